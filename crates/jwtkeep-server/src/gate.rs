//! The gate every protected endpoint goes through: a token verified for its
//! purpose (signature and claims policy), then checked against the
//! revocation view, failing closed when the view cannot vouch for its answer.

use std::sync::Arc;

use jwtkeep_core::VerifyError;
use jwtkeep_store::Store;

use crate::{ApiError, AppState, Purpose};

/// Verifies a token of `purpose` (signature and claims policy; not
/// revocation). A token naming a key this instance does not hold makes it
/// reload its keys once before answering (another instance may have just
/// rotated): see [`crate::KeyService::reload_for_unknown_kid`].
///
/// Access tokens, used for many requests each, pay their signature once:
/// later uses are answered from [`AppState::verified`] after the key (the
/// very key, still allowed to verify now), `typ` and claims checks run
/// again. Refresh and confirmation tokens are used once and not held.
pub(crate) async fn verify_token<S: Store>(
    state: &AppState<S>,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> Result<Arc<jwtkeep_core::Verified<jwtkeep_core::Claims>>, ApiError> {
    let verify = |keys: &crate::KeyService| {
        keys.with_verifier(purpose, |v| {
            v.map(|v| match purpose {
                Purpose::Access => v.verify_cached(&state.verified, token, now),
                _ => v.verify_at(token, now).map(Arc::new),
            })
        })
    };
    let mut result = verify(&state.keys).ok_or(ApiError::Unavailable("a signing key"))?;
    if matches!(result, Err(VerifyError::UnknownKid)) {
        let unknown =
            |keys: &crate::KeyService| matches!(verify(keys), Some(Err(VerifyError::UnknownKid)));
        if state
            .keys
            .reload_for_unknown_kid(&state.store, unknown)
            .await
        {
            result = verify(&state.keys).ok_or(ApiError::Unavailable("a signing key"))?;
        }
    }
    result.map_err(|reason| {
        state.metrics.verification("invalid");
        ApiError::TokenRefused { purpose, reason }
    })
}

/// Consults the revocation view for verified `claims`: 401 with the reason
/// (and `revoked_message`) when revoked, 503 when the view cannot vouch for
/// its answer (verification fails closed).
pub(crate) fn check_revocation<S: Store>(
    state: &AppState<S>,
    claims: &jwtkeep_core::Claims,
    now: i64,
    revoked_message: &'static str,
) -> Result<(), ApiError> {
    let revoked = state.view.check_claims(claims, now).map_err(|e| {
        state.metrics.verification("unavailable");
        ApiError::RevocationsUnknown(e)
    })?;
    match revoked {
        Some(reason) => {
            state.metrics.verification("revoked");
            Err(ApiError::Revoked {
                reason,
                message: revoked_message,
            })
        }
        None => {
            state.metrics.verification("valid");
            Ok(())
        }
    }
}

/// Brings this instance's revocation view up to date after it wrote a
/// revocation, so that its own next check already sees it (other instances
/// learn of it through the store's notifications). A failed sync leaves the
/// view to its background task: the revocation itself is stored.
pub(crate) async fn sync_own_revocation<S: Store>(state: &AppState<S>, now: i64) {
    let _ = state.view.sync(&state.store, now).await;
}

/// The denial of a verified token by its `iss` and `jti` until its `exp`
/// (how a single token is revoked), if it names all three.
pub(crate) fn denial_of(claims: &jwtkeep_core::Claims) -> Option<jwtkeep_store::Revocation> {
    Some(jwtkeep_store::Revocation::Token {
        issuer: claims.iss()?.to_owned(),
        jti: claims.jti()?.to_owned(),
        exp: claims.exp()?,
    })
}

/// Verifies an access token completely: signature, claims and revocation.
pub(crate) async fn authenticate<S: Store>(
    state: &AppState<S>,
    token: &str,
    now: i64,
) -> Result<Arc<jwtkeep_core::Verified<jwtkeep_core::Claims>>, ApiError> {
    let verified = verify_token(state, Purpose::Access, token, now).await?;
    check_revocation(
        state,
        verified.payload(),
        now,
        "the access token has been revoked: log in again",
    )?;
    Ok(verified)
}
