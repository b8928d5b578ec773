//! The handlers of a session: login, the caller's claims, refresh with
//! rotation and reuse detection, and logout.

use std::borrow::Cow;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{FromRequest as _, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jwtkeep_store::{normalise_username, session_of, RotateOutcome, Store};
use serde::Deserialize;
use serde_json::Value;
use zeroize::Zeroizing;

use crate::attempts::{password_matches, Attempt};
use crate::cookies::{self, RefreshSource};
use crate::error::BadBody;
use crate::events::{record, SecurityEvent};
use crate::extract::{optional_json, ApiJson, Bearer, ClientAddr};
use crate::gate::{authenticate, check_revocation, denial_of, sync_own_revocation, verify_token};
use crate::issue::{deliver, issue_new_pair, no_store, random_id, sign_pair, SessionStep};
use crate::{ApiError, AppState, Purpose, SessionEnd};

/// What a login sends.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    username: String,
    password: String,
    /// A subset of the user's scopes (space-separated); all of them when absent.
    #[serde(default, deserialize_with = "crate::extract::present")]
    scope: Option<String>,
}

/// `POST /v1/auth/login`.
pub(crate) async fn login<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let password = Zeroizing::new(request.password);
    let requested = crate::scope::parse_request(request.scope.as_deref())?;
    let now = (state.clock)();
    let client = client.map(|ip| ip.to_string());
    let account =
        normalise_username(&request.username).unwrap_or_else(|_| request.username.to_lowercase());
    let attempt = Attempt::new(&format!("name:{account}"), client.clone());
    attempt.count(&state, now).await?;
    let user = state.store.user_by_name(&request.username).await?;
    let stored = user
        .as_ref()
        .filter(|u| !u.disabled)
        .map(|u| u.password_hash.clone());
    // The same argon2id work whether or not the user exists (or is disabled).
    let matches = password_matches(&state, password, stored).await?;
    let Some(user) = user.filter(|_| matches) else {
        state.metrics.login("failed");
        record(&state, SecurityEvent::LoginFailed, None, client, now).await;
        return Err(ApiError::BadCredentials);
    };
    attempt.succeeded(&state, now).await;
    let scope = crate::scope::narrow(&user.scopes, user.admin, requested, "user")?;
    let pair = issue_new_pair(&state, &user.id, &scope, now).await?;
    state.metrics.login("succeeded");
    record(
        &state,
        SecurityEvent::LoginSucceeded,
        Some(&user.id),
        client,
        now,
    )
    .await;
    Ok(deliver(&state.config, pair))
}

/// `GET /v1/auth/me`: the caller's verified claims, revocation included.
pub(crate) async fn me<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Bearer(token): Bearer,
) -> Result<Response, ApiError> {
    let now = (state.clock)();
    let verified = authenticate(&state, &token, now).await?;
    Ok(Json(serde_json::json!({ "claims": verified.payload().to_map() })).into_response())
}

/// What a refresh sends.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RefreshRequest {
    refresh_token: String,
}

/// `POST /v1/auth/refresh`: rotates the refresh token; presenting one that was
/// already rotated ends the whole family.
pub(crate) async fn refresh<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    source: RefreshSource,
) -> Result<Response, ApiError> {
    let request = match source {
        RefreshSource::Cookie(refresh_token) => RefreshRequest { refresh_token },
        RefreshSource::Body(request) => {
            let ApiJson(request) =
                ApiJson::<RefreshRequest>::from_request(*request, &state).await?;
            request
        }
    };
    let now = (state.clock)();
    let client = client.map(|ip| ip.to_string());
    let verified = verify_token(&state, Purpose::Refresh, &request.refresh_token, now).await?;
    let claims = verified.payload();
    let (Some(subject), Some(jti), Some(Value::String(family))) =
        (claims.sub(), claims.jti(), claims.get("fam"))
    else {
        return Err(ApiError::TokenUnusable(
            "the refresh token lacks its family",
        ));
    };
    // Cut-offs (log out everywhere, emergency) apply to refresh tokens too.
    check_revocation(
        &state,
        claims,
        now,
        "the session has been revoked: log in again",
    )?;
    // The session's scope travels in its refresh tokens (signed by this
    // service), so a refresh is one store operation: the rotation. Whatever
    // would change it ends the session instead (disabling a user revokes
    // their families in the same store step). Refresh tokens from before
    // the scope was carried are answered from the user's record.
    let scope = match claims.get_str("scope") {
        Some(scope) => scope,
        None => {
            let user = state.store.user_by_id(subject).await?;
            let Some(user) = user.filter(|u| !u.disabled) else {
                return Err(ApiError::TokenUnusable("the account is no longer active"));
            };
            Cow::Owned(crate::scope::narrow(
                &user.scopes,
                user.admin,
                None,
                "user",
            )?)
        }
    };
    let successor = random_id()?;
    let outcome = state
        .store
        .rotate_family(&family, jti, &successor, now)
        .await?;
    let (next, issued_at, refresh_exp) = match outcome {
        RotateOutcome::Rotated {
            successor,
            rotated_at,
            idle_expires_at,
            absolute_expires_at,
        }
        | RotateOutcome::Grace {
            successor,
            rotated_at,
            idle_expires_at,
            absolute_expires_at,
        } => (
            successor,
            rotated_at,
            idle_expires_at.min(absolute_expires_at),
        ),
        RotateOutcome::ReuseDetected { subject } => {
            state.metrics.reuse();
            state.metrics.revocation("family");
            // The store ended the session with the family: tell this instance's view now.
            sync_own_revocation(&state, now).await;
            record(
                &state,
                SecurityEvent::RefreshReuse,
                Some(&subject),
                client,
                now,
            )
            .await;
            return Err(ApiError::SessionEnded(SessionEnd::Reuse));
        }
        RotateOutcome::Revoked => return Err(ApiError::SessionEnded(SessionEnd::Revoked)),
        RotateOutcome::Expired => return Err(ApiError::SessionEnded(SessionEnd::Expired)),
        RotateOutcome::Unknown => {
            return Err(ApiError::TokenUnusable(
                "the refresh token is not known; log in again",
            ))
        }
    };
    let step = SessionStep {
        subject,
        scope: &scope,
        family: &family,
        refresh_jti: &next,
        issued_at,
        refresh_exp,
    };
    let pair = sign_pair(&state, &step, now)?;
    Ok(deliver(&state.config, pair))
}

/// What a logout may send: the refresh token, to end its family too.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogoutRequest {
    #[serde(default, deserialize_with = "crate::extract::present")]
    refresh_token: Option<String>,
}

/// `POST /v1/auth/logout`: ends the access token's session (its refresh
/// family, and with it every token of the session, on every instance) and
/// revokes the access token itself until it expires; a refresh token sent
/// along ends its own session too, when it is another one of the same user.
/// In cookie mode the answer expires both cookies, whatever its outcome.
pub(crate) async fn logout<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    token: Result<Bearer, ApiError>,
    source: Result<RefreshSource, ApiError>,
) -> Response {
    let mut response = end_session(&state, client, token, source)
        .await
        .into_response();
    if state.config.cookie_mode {
        cookies::clear(&mut response);
    }
    response
}

/// What a logout does: the access token denied, the refresh family ended.
async fn end_session<S: Store>(
    state: &Arc<AppState<S>>,
    client: Option<std::net::IpAddr>,
    token: Result<Bearer, ApiError>,
    source: Result<RefreshSource, ApiError>,
) -> Result<Response, ApiError> {
    let Bearer(token) = token?;
    let request = match source? {
        RefreshSource::Cookie(refresh_token) => LogoutRequest {
            refresh_token: Some(refresh_token),
        },
        RefreshSource::Body(request) => {
            let body = Bytes::from_request(*request, state)
                .await
                .map_err(|_| ApiError::BadBody(BadBody::TooLarge))?;
            optional_json(&body, "{\"refresh_token\": \"...\"}")?
        }
    };
    let state = &**state;
    let now = (state.clock)();
    let verified = verify_token(state, Purpose::Access, &token, now).await?;
    let claims = verified.payload();
    let (Some(denial), Some(subject)) = (denial_of(claims), claims.sub()) else {
        return Err(ApiError::TokenUnusable(
            "the access token lacks iss, jti, sub or exp",
        ));
    };
    // The refresh token is checked before anything is revoked, so that a
    // refusal leaves everything as it was.
    let other_family = match &request.refresh_token {
        None => None,
        Some(refresh_token) => Some(
            verify_token(state, Purpose::Refresh, refresh_token, now)
                .await
                .ok()
                .filter(|r| r.payload().sub() == Some(subject))
                .and_then(|r| match r.payload().get("fam") {
                    Some(Value::String(fam)) => Some(fam),
                    _ => None,
                })
                .ok_or(ApiError::TokenUnusable(
                    "the refresh token is not this user's valid refresh token; nothing was revoked",
                ))?,
        ),
    };
    state.store.revoke(denial, now).await?;
    state.metrics.revocation("token");
    let session = session_of(claims).map(Cow::into_owned);
    for family in session
        .iter()
        .chain(other_family.iter().filter(|f| Some(*f) != session.as_ref()))
    {
        if state.store.revoke_family(family, "logout", now).await? {
            state.metrics.revocation("family");
        }
    }
    sync_own_revocation(state, now).await;
    record(
        state,
        SecurityEvent::Logout,
        Some(subject),
        client.map(|ip| ip.to_string()),
        now,
    )
    .await;
    Ok(no_store(
        Json(serde_json::json!({"status": "logged_out"})).into_response(),
    ))
}
