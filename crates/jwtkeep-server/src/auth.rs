//! Login and the simplest protected resource.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jwtkeep_store::{normalise_username, FamilyLimits, NewFamily, RotateOutcome, Store};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::events::{record, SecurityEvent};
use crate::extract::{optional_json, ApiJson, Bearer, ClientAddr};
use crate::{passwords, ApiError, AppState, Purpose, SessionEnd};

/// What a login sends.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LoginRequest {
    username: String,
    password: String,
}

/// Claims of an access token (RFC 9068).
#[derive(Serialize)]
struct AccessClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: &'a str,
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
}

/// The login and refresh response.
#[derive(Serialize)]
struct TokenResponse {
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

/// A token response, never stored by caches.
fn token_response(body: TokenResponse) -> Response {
    no_store(Json(body).into_response())
}

/// Counts one attempt on each of `keys` before any password is checked (so
/// a parallel burst cannot outrun the count); 429 when one is over its limit.
pub(crate) async fn count_attempt<S: Store>(
    state: &AppState<S>,
    keys: &[String],
    client: Option<String>,
    now: i64,
) -> Result<(), ApiError> {
    for key in keys {
        let decision = state
            .store
            .hit(
                key,
                state.config.login_attempts,
                state.config.login_window_secs,
                now,
            )
            .await?;
        if !decision.allowed {
            state.metrics.login("limited");
            record(state, SecurityEvent::LoginLimited, None, client, now).await;
            return Err(ApiError::RateLimited {
                retry_after_secs: decision.retry_after_secs,
            });
        }
    }
    Ok(())
}

/// Whether `password` matches `stored`, checked off the async threads; with
/// no hash (no such user, or disabled) the same argon2id work against a decoy.
pub(crate) async fn password_matches(
    password: Zeroizing<String>,
    stored: Option<jwtkeep_store::PasswordHash>,
) -> bool {
    tokio::task::spawn_blocking(move || passwords::verify(&password, stored.as_ref()))
        .await
        .unwrap_or(false)
}

/// Signs an access token for `subject` and the refresh token `refresh_jti` of `family`.
fn sign_pair<S: Store>(
    state: &AppState<S>,
    subject: &str,
    admin: bool,
    refresh_jti: &str,
    family: &str,
    refresh_exp: i64,
    now: i64,
) -> Result<TokenResponse, ApiError> {
    let config = &state.config;
    let access_jti = random_id()?;
    let access = AccessClaims {
        iss: &config.issuer,
        sub: subject,
        aud: &config.audience,
        exp: now + config.access_ttl_secs,
        iat: now,
        jti: &access_jti,
        client_id: "jwtkeep",
        scope: if admin { "admin" } else { "" },
    };
    let refresh = RefreshClaims {
        iss: &config.issuer,
        sub: subject,
        aud: &config.issuer,
        exp: refresh_exp,
        iat: now,
        jti: refresh_jti,
        fam: family,
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
        expires_in: config.access_ttl_secs,
        refresh_token: state
            .keys
            .sign(Purpose::Refresh, &refresh, now)
            .ok_or_else(signing)?,
    })
}

/// Issues an access token and a refresh token of a new family for `subject`.
async fn issue_new_pair<S: Store>(
    state: &AppState<S>,
    subject: &str,
    admin: bool,
    now: i64,
) -> Result<TokenResponse, ApiError> {
    let config = &state.config;
    let (refresh_jti, family) = (random_id()?, random_id()?);
    let limits = FamilyLimits {
        idle_secs: config.refresh_ttl_secs,
        absolute_secs: config.refresh_ttl_secs.saturating_mul(4),
        grace_secs: 10,
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
    sign_pair(
        state,
        subject,
        admin,
        &refresh_jti,
        &family,
        now + config.refresh_ttl_secs,
        now,
    )
}

/// Verifies a token of `purpose` (signature and claims policy; not revocation).
pub(crate) fn verify_token<S: Store>(
    state: &AppState<S>,
    purpose: Purpose,
    token: &str,
    now: i64,
) -> Result<jwtkeep_core::Verified<jwtkeep_core::Claims>, ApiError> {
    state
        .keys
        .with_verifier(purpose, |v| v.map(|v| v.verify_at(token, now)))
        .ok_or(ApiError::Unavailable("a signing key"))?
        .map_err(|reason| {
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
    let revoked = state
        .view
        .check(
            claims.iss().unwrap_or_default(),
            claims.jti().unwrap_or_default(),
            claims.sub().unwrap_or_default(),
            claims.iat().unwrap_or(i64::MIN),
            now,
        )
        .map_err(|e| {
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
pub(crate) fn authenticate<S: Store>(
    state: &AppState<S>,
    token: &str,
    now: i64,
) -> Result<jwtkeep_core::Verified<jwtkeep_core::Claims>, ApiError> {
    let verified = verify_token(state, Purpose::Access, token, now)?;
    check_revocation(
        state,
        verified.payload(),
        now,
        "the access token has been revoked: log in again",
    )?;
    Ok(verified)
}

/// `POST /v1/auth/login`.
pub(crate) async fn login<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let password = Zeroizing::new(request.password);
    let now = (state.clock)();
    let client = client.map(|ip| ip.to_string());
    let account =
        normalise_username(&request.username).unwrap_or_else(|_| request.username.to_lowercase());
    let keys = [
        format!("login:client:{}", client.as_deref().unwrap_or("unknown")),
        format!("login:account:{account}"),
    ];
    count_attempt(&state, &keys, client.clone(), now).await?;
    let user = state.store.user_by_name(&request.username).await?;
    let stored = user
        .as_ref()
        .filter(|u| !u.disabled)
        .map(|u| u.password_hash.clone());
    // The same argon2id work whether or not the user exists (or is disabled).
    let matches = password_matches(password, stored).await;
    let Some(user) = user.filter(|_| matches) else {
        state.metrics.login("failed");
        record(&state, SecurityEvent::LoginFailed, None, client, now).await;
        return Err(ApiError::BadCredentials);
    };
    for key in &keys {
        let _ = state.store.reset(key).await;
    }
    let pair = issue_new_pair(&state, &user.id, user.admin, now).await?;
    state.metrics.login("succeeded");
    record(
        &state,
        SecurityEvent::LoginSucceeded,
        Some(&user.id),
        client,
        now,
    )
    .await;
    Ok(token_response(pair))
}

/// `GET /v1/auth/me`: the caller's verified claims, revocation included.
pub(crate) async fn me<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    Bearer(token): Bearer,
) -> Result<Response, ApiError> {
    let now = (state.clock)();
    let verified = authenticate(&state, &token, now)?;
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
    ApiJson(request): ApiJson<RefreshRequest>,
) -> Result<Response, ApiError> {
    let now = (state.clock)();
    let client = client.map(|ip| ip.to_string());
    let verified = verify_token(&state, Purpose::Refresh, &request.refresh_token, now)?;
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
    let user = state.store.user_by_id(subject).await?;
    let Some(user) = user.filter(|u| !u.disabled) else {
        return Err(ApiError::TokenUnusable("the account is no longer active"));
    };
    let successor = random_id()?;
    let outcome = state
        .store
        .rotate_family(&family, jti, &successor, now)
        .await?;
    let (next, absolute_expires_at) = match outcome {
        RotateOutcome::Rotated {
            successor,
            absolute_expires_at,
            ..
        }
        | RotateOutcome::Grace {
            successor,
            absolute_expires_at,
            ..
        } => (successor, absolute_expires_at),
        RotateOutcome::ReuseDetected { subject } => {
            state.metrics.reuse();
            state.metrics.revocation("family");
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
    let refresh_exp = (now + state.config.refresh_ttl_secs).min(absolute_expires_at);
    let pair = sign_pair(
        &state,
        subject,
        user.admin,
        &next,
        &family,
        refresh_exp,
        now,
    )?;
    Ok(token_response(pair))
}

/// What a logout may send: the refresh token, to end its family too.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct LogoutRequest {
    refresh_token: Option<String>,
}

/// `POST /v1/auth/logout`: revokes the access token's `jti` until it expires,
/// and the refresh token's family when one is sent.
pub(crate) async fn logout<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let now = (state.clock)();
    let request: LogoutRequest = optional_json(&body, "{\"refresh_token\": \"...\"}")?;
    let verified = verify_token(&state, Purpose::Access, &token, now)?;
    let claims = verified.payload();
    let (Some(denial), Some(subject)) = (denial_of(claims), claims.sub()) else {
        return Err(ApiError::TokenUnusable(
            "the access token lacks iss, jti, sub or exp",
        ));
    };
    state.store.revoke(denial, now).await?;
    sync_own_revocation(&state, now).await;
    state.metrics.revocation("token");
    if let Some(refresh_token) = &request.refresh_token {
        let family = verify_token(&state, Purpose::Refresh, refresh_token, now)
            .ok()
            .filter(|r| r.payload().sub() == Some(subject))
            .and_then(|r| match r.payload().get("fam") {
                Some(Value::String(fam)) => Some(fam),
                _ => None,
            })
            .ok_or(ApiError::TokenUnusable("the refresh token is not this user's valid refresh token; the access token was revoked"))?;
        state.store.revoke_family(&family, "logout", now).await?;
        state.metrics.revocation("family");
    }
    record(
        &state,
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
