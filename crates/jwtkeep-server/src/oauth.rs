//! Token introspection (RFC 7662) and revocation (RFC 7009) for registered
//! clients (`jwtkeep client add`), which authenticate with HTTP Basic.
//! Both take `application/x-www-form-urlencoded` bodies, as the RFCs say.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use jwtkeep_core::{Claims, Verified};
use jwtkeep_store::Store;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::clients::authenticate_client;
use crate::error::BadBody;
use crate::events::{record_details, SecurityEvent};
use crate::extract::ClientAddr;
use crate::gate::{check_revocation, denial_of, sync_own_revocation, verify_token};
use crate::issue::no_store;
use crate::{ApiError, AppState, Purpose};

/// What both endpoints take.
#[derive(Deserialize)]
pub(crate) struct TokenRequest {
    token: String,
    /// `access_token` or `refresh_token`: only the order tried.
    token_type_hint: Option<String>,
}

fn form<T>(form: Result<Form<T>, FormRejection>) -> Result<T, ApiError> {
    form.map(|Form(t)| t).map_err(|_| {
        ApiError::BadBody(BadBody::Form(
            "send token=... (and optionally token_type_hint=...) as application/x-www-form-urlencoded",
        ))
    })
}

/// A token of this service, verified as `purpose` (signature, claims, cut-offs).
enum Known {
    Access(std::sync::Arc<Verified<Claims>>),
    Refresh(std::sync::Arc<Verified<Claims>>),
}

/// Tries the token as an access token and as a refresh token, in the order
/// the hint suggests. Revoked tokens are not known.
async fn identify<S: Store>(
    state: &AppState<S>,
    token: &str,
    hint: Option<&str>,
    now: i64,
) -> Option<Known> {
    let order = if hint == Some("refresh_token") {
        [Purpose::Refresh, Purpose::Access]
    } else {
        [Purpose::Access, Purpose::Refresh]
    };
    for purpose in order {
        let Ok(v) = verify_token(state, purpose, token, now).await else {
            continue;
        };
        if check_revocation(state, v.payload(), now, "revoked").is_ok() {
            return Some(match purpose {
                Purpose::Access => Known::Access(v),
                Purpose::Refresh | Purpose::Confirm => Known::Refresh(v),
            });
        }
    }
    None
}

/// The refresh family of `claims`, if the token is still its current one.
async fn live_family<S: Store>(
    state: &AppState<S>,
    claims: &Claims,
    now: i64,
) -> Result<bool, ApiError> {
    let (Some(Value::String(family)), Some(jti)) = (claims.get("fam"), claims.jti()) else {
        return Ok(false);
    };
    let family = state.store.family(&family).await?;
    Ok(family.is_some_and(|f| f.is_live(now) && f.current_jti == jti))
}

/// `POST /oauth2/introspect` (RFC 7662). An inactive token — unknown,
/// expired, revoked, or not this service's — gets `{"active": false}` and
/// nothing else.
pub(crate) async fn introspect<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    request: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, ApiError> {
    authenticate_client(&state, &headers, address).await?;
    let request = form(request)?;
    let now = (state.clock)();
    let inactive = || Ok(no_store(Json(json!({"active": false})).into_response()));
    let (verified, token_type) = match identify(
        &state,
        &request.token,
        request.token_type_hint.as_deref(),
        now,
    )
    .await
    {
        Some(Known::Access(v)) => (v, "access_token"),
        Some(Known::Refresh(v)) => match live_family(&state, v.payload(), now).await? {
            true => (v, "refresh_token"),
            false => return inactive(),
        },
        None => return inactive(),
    };
    let claims = verified.payload();
    let mut body = serde_json::Map::new();
    if let Value::Object(members) = json!({
        "active": true,
        "token_type": token_type,
        "iss": claims.iss(),
        "sub": claims.sub(),
        "aud": claims.get("aud"),
        "exp": claims.exp(),
        "iat": claims.iat(),
        "jti": claims.jti(),
    }) {
        body = members;
    }
    for member in ["scope", "client_id"] {
        if let Some(value @ Value::String(_)) = claims.get(member) {
            body.insert(member.to_owned(), value);
        }
    }
    Ok(no_store(Json(Value::Object(body)).into_response()))
}

/// `POST /oauth2/revoke` (RFC 7009): an access token is denied until it
/// expires; a refresh token ends its family. Unknown or invalid tokens get
/// the same 200 (RFC 7009 §2.2): the answer says nothing about the token.
pub(crate) async fn revoke<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    request: Result<Form<TokenRequest>, FormRejection>,
) -> Result<Response, ApiError> {
    let client = authenticate_client(&state, &headers, address).await?;
    let request = form(request)?;
    let now = (state.clock)();
    let result = match identify(
        &state,
        &request.token,
        request.token_type_hint.as_deref(),
        now,
    )
    .await
    {
        Some(Known::Access(v)) => match denial_of(v.payload()) {
            Some(denial) => {
                state.metrics.revocation("token");
                state
                    .store
                    .revoke(denial, now)
                    .await
                    .map(|()| Some(("access_token", v.payload().sub().map(str::to_owned))))
            }
            None => Ok(None),
        },
        Some(Known::Refresh(v)) => match v.payload().get("fam") {
            Some(Value::String(family)) => {
                state.metrics.revocation("family");
                state
                    .store
                    .revoke_family(&family, "client_revoked", now)
                    .await
                    .map(|_| Some(("refresh_token", v.payload().sub().map(str::to_owned))))
            }
            _ => Ok(None),
        },
        None => Ok(None),
    };
    if let Some((kind, subject)) = result? {
        sync_own_revocation(&state, now).await;
        let mut details = serde_json::Map::new();
        details.insert("client".into(), client.into());
        details.insert("token_type".into(), kind.into());
        record_details(
            &state,
            SecurityEvent::TokenRevoked,
            subject.as_deref(),
            None,
            details,
            now,
        )
        .await;
    }
    Ok(no_store(Json(json!({})).into_response()))
}
