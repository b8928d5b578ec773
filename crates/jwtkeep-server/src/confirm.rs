//! Step-up confirmation tokens: before a sensitive operation (changing an
//! e-mail address, deleting an account) the user proves their password
//! again and gets a short, single-use token bound to their subject and to
//! the one action it confirms.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use jwtkeep_store::{Revoked, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::attempts::check_current_password;
use crate::error::ConfirmRefusal;
use crate::events::{record_details, SecurityEvent};
use crate::extract::{ApiJson, Bearer, ClientAddr};
use crate::gate::{authenticate, check_revocation, verify_token};
use crate::issue::{no_store, random_id};
use crate::{ApiError, AppState, Purpose};

/// What asking for a confirmation sends.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfirmRequest {
    password: String,
    action: String,
}

/// What checking one sends.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VerifyRequest {
    token: String,
    action: String,
}

/// Claims of a confirmation token.
#[derive(Serialize)]
struct ConfirmClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: &'a str,
    act: &'a str,
}

/// Actions are short names: `email.change`, `account:delete`.
fn check_action(action: &str) -> Result<(), ApiError> {
    let ok = !action.is_empty()
        && action.len() <= 64
        && action
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._:-".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(ApiError::InvalidAction(
            "action must be 1 to 64 characters of a-z 0-9 . _ : -",
        ))
    }
}

/// `POST /v1/auth/confirm`: the password again → a confirmation token.
pub(crate) async fn issue<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    ApiJson(request): ApiJson<ConfirmRequest>,
) -> Result<Response, ApiError> {
    let password = Zeroizing::new(request.password);
    check_action(&request.action)?;
    let now = (state.clock)();
    let client = client.map(|ip| ip.to_string());
    let verified = authenticate(&state, &token, now).await?;
    let subject = verified.payload().sub().unwrap_or_default().to_owned();
    // The same limits as logins: this is a password check too.
    check_current_password(
        &state,
        &subject,
        password,
        client.clone(),
        SecurityEvent::ConfirmFailed,
        now,
    )
    .await?;
    let jti = random_id()?;
    let ttl = state.config.confirm_ttl_secs;
    let claims = ConfirmClaims {
        iss: &state.config.issuer,
        sub: &subject,
        aud: &state.config.issuer,
        exp: now + ttl,
        iat: now,
        jti: &jti,
        act: &request.action,
    };
    let confirmation = state
        .keys
        .sign(Purpose::Confirm, &claims, now)
        .ok_or(ApiError::Unavailable("a signing key"))?;
    state.metrics.issued(Purpose::Confirm);
    let mut details = Map::new();
    details.insert("action".into(), request.action.clone().into());
    record_details(
        &state,
        SecurityEvent::ConfirmIssued,
        Some(&subject),
        client,
        details,
        now,
    )
    .await;
    Ok(no_store(
        Json(serde_json::json!({
            "confirmation_token": confirmation,
            "action": request.action,
            "expires_in": ttl,
        }))
        .into_response(),
    ))
}

/// `POST /v1/auth/confirm/verify`: checks a confirmation token for `action`
/// and uses it up. It must be presented with an access token of the same
/// user; of any number of concurrent checks exactly one succeeds.
pub(crate) async fn verify<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    ApiJson(request): ApiJson<VerifyRequest>,
) -> Result<Response, ApiError> {
    check_action(&request.action)?;
    let now = (state.clock)();
    let caller = authenticate(&state, &token, now).await?;
    let verified = verify_token(&state, Purpose::Confirm, &request.token, now).await?;
    let claims = verified.payload();
    if claims.sub() != caller.payload().sub() {
        return Err(ApiError::Confirmation(ConfirmRefusal::OtherSubject));
    }
    if claims.get("act") != Some(Value::String(request.action.clone())) {
        return Err(ApiError::Confirmation(ConfirmRefusal::OtherAction));
    }
    let used = || ApiError::Confirmation(ConfirmRefusal::Used);
    // A used confirmation is denied by its jti: say so in the same words
    // whether the revocation view or the store noticed first.
    check_revocation(
        &state,
        claims,
        now,
        "this confirmation has been revoked: ask for a new one",
    )
    .map_err(|e| match e {
        ApiError::Revoked {
            reason: Revoked::Token,
            ..
        } => used(),
        e => e,
    })?;
    let (Some(issuer), Some(jti), Some(exp)) = (claims.iss(), claims.jti(), claims.exp()) else {
        return Err(ApiError::TokenUnusable(
            "the confirmation lacks iss, jti or exp",
        ));
    };
    let first = state.store.consume(issuer, jti, exp, now).await?;
    if !first {
        return Err(used());
    }
    let subject = claims.sub().unwrap_or_default();
    let mut details = Map::new();
    details.insert("action".into(), request.action.clone().into());
    record_details(
        &state,
        SecurityEvent::ConfirmUsed,
        Some(subject),
        client.map(|ip| ip.to_string()),
        details,
        now,
    )
    .await;
    Ok(no_store(
        Json(serde_json::json!({
            "confirmed": true,
            "action": request.action,
            "sub": subject,
        }))
        .into_response(),
    ))
}
