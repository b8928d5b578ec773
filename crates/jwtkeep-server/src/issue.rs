//! Issuing tokens: the claims of access and refresh tokens, a pair signed
//! for a new or rotated refresh family, and the response that carries them.

use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jwtkeep_store::{FamilyLimits, NewFamily, Store};
use serde::Serialize;

use crate::{ApiError, AppState, Config, Purpose};

/// Claims of an access token (RFC 9068), with `sid`: the session (refresh
/// family) it came from, so that ending the session ends it too.
#[derive(Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: &'a str,
    sid: &'a str,
    client_id: &'a str,
    scope: &'a str,
}

/// Claims of a refresh token: its family, and nothing a client needs to read.
#[derive(Serialize)]
struct RefreshClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: &'a str,
    fam: &'a str,
    /// The session's scope, as its access tokens carry it: a refresh
    /// takes it from here instead of reading the user again.
    scope: &'a str,
}

/// The login and refresh response.
#[derive(Serialize)]
pub(crate) struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: String,
}

pub(crate) fn random_id() -> Result<String, ApiError> {
    jwtkeep_core::random_id().map_err(|_| ApiError::Unavailable("the random generator"))
}

/// A response caches must not keep (it holds a token, or says whether one is live).
pub(crate) fn no_store(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Delivers a token pair as configured, never stored by caches: a JSON
/// body (RFC 6749 §5.1), or in cookie mode HttpOnly cookies and a body
/// that keeps only `expires_in` (with `token_type: "cookie"`).
pub(crate) fn deliver(config: &Config, pair: TokenResponse) -> Response {
    if !config.cookie_mode {
        return no_store(Json(pair).into_response());
    }
    let body = serde_json::json!({"token_type": "cookie", "expires_in": pair.expires_in});
    let mut response = no_store(Json(body).into_response());
    crate::cookies::set_tokens(
        &mut response,
        &pair.access_token,
        pair.expires_in,
        &pair.refresh_token,
        config.refresh_ttl_secs,
    );
    response
}

/// One step of a session: what a token pair is signed for.
pub(crate) struct SessionStep<'a> {
    pub(crate) subject: &'a str,
    /// The session's scope (RFC 9068's space-separated list), fixed at login.
    pub(crate) scope: &'a str,
    /// The session: the refresh family's id.
    pub(crate) family: &'a str,
    /// The family's current refresh token.
    pub(crate) refresh_jti: &'a str,
    /// When the family took that token (the login, or the rotation): both
    /// tokens carry it as `iat`, and the access token expires a lifetime
    /// after it, so that presenting the same refresh token again within the
    /// grace window yields no token that outlives the first answer.
    pub(crate) issued_at: i64,
    /// When the refresh token expires (the family's idle or absolute end).
    pub(crate) refresh_exp: i64,
}

/// No token is issued from a store that was reset (wiped or replaced):
/// 503 until the operator has looked.
pub(crate) fn store_not_reset<S: Store>(state: &AppState<S>) -> Result<(), ApiError> {
    match state.view.usable() {
        Err(e @ jwtkeep_store::ViewError::StoreReset { .. }) => {
            Err(ApiError::RevocationsUnknown(e))
        }
        _ => Ok(()),
    }
}

/// Signs the access token and the refresh token of one session step.
pub(crate) fn sign_pair<S: Store>(
    state: &AppState<S>,
    step: &SessionStep<'_>,
    now: i64,
) -> Result<TokenResponse, ApiError> {
    store_not_reset(state)?;
    let config = &state.config;
    let access_jti = random_id()?;
    let access_exp = step.issued_at.saturating_add(config.access_ttl_secs);
    let access = AccessClaims {
        iss: &config.issuer,
        sub: step.subject,
        aud: &config.audience,
        exp: access_exp,
        iat: step.issued_at,
        jti: &access_jti,
        sid: step.family,
        client_id: "jwtkeep",
        scope: step.scope,
    };
    let refresh = RefreshClaims {
        iss: &config.issuer,
        sub: step.subject,
        aud: &config.issuer,
        exp: step.refresh_exp,
        iat: step.issued_at,
        jti: step.refresh_jti,
        fam: step.family,
        scope: step.scope,
    };
    let signing = || ApiError::Unavailable("a signing key");
    state.metrics.issued(Purpose::Access);
    state.metrics.issued(Purpose::Refresh);
    Ok(TokenResponse {
        access_token: state
            .keys
            .sign(Purpose::Access, &access, now)
            .ok_or_else(signing)?,
        token_type: "Bearer",
        expires_in: access_exp.saturating_sub(now).max(0),
        refresh_token: state
            .keys
            .sign(Purpose::Refresh, &refresh, now)
            .ok_or_else(signing)?,
    })
}

/// Issues an access token and a refresh token of a new family for `subject`.
pub(crate) async fn issue_new_pair<S: Store>(
    state: &AppState<S>,
    subject: &str,
    scope: &str,
    now: i64,
) -> Result<TokenResponse, ApiError> {
    let config = &state.config;
    let (refresh_jti, family) = (random_id()?, random_id()?);
    let limits = FamilyLimits {
        idle_secs: config.refresh_ttl_secs,
        absolute_secs: config.refresh_ttl_secs.saturating_mul(4),
        grace_secs: config.refresh_grace_secs,
        access_secs: config.access_ttl_secs,
    };
    state
        .store
        .create_family(NewFamily {
            id: family.clone(),
            subject: subject.to_owned(),
            jti: refresh_jti.clone(),
            now,
            limits,
        })
        .await?;
    let step = SessionStep {
        subject,
        scope,
        family: &family,
        refresh_jti: &refresh_jti,
        issued_at: now,
        refresh_exp: now + config.refresh_ttl_secs,
    };
    sign_pair(state, &step, now)
}
