//! Machine tokens: the OAuth 2 client credentials grant (RFC 6749 §4.4) at
//! `POST /oauth2/token`, and the metadata that lets OAuth libraries find it
//! (RFC 8414, and the same document where OpenID Connect libraries look).
//!
//! A registered client authenticates with HTTP Basic and receives an RFC
//! 9068 access token (`typ: at+jwt`, signed by the access key) whose `sub`
//! and `client_id` are the client's name and whose `scope` is a subset of
//! the client's allowed scopes. No refresh token: a client holds its
//! secret and asks again. The token has no session (`sid`); it is revoked
//! by itself (`/oauth2/revoke`), with every token of the client (removing
//! the client), or with everything.

use std::sync::Arc;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jwtkeep_store::Store;
use serde::{Deserialize, Serialize};

use crate::clients::authenticate_client;
use crate::error::BadBody;
use crate::events::{record_details, SecurityEvent};
use crate::extract::ClientAddr;
use crate::issue::{no_store, random_id, store_not_reset};
use crate::{ApiError, AppState, Purpose};

/// The grant this endpoint issues.
const CLIENT_CREDENTIALS: &str = "client_credentials";

/// What a token request sends (RFC 6749 §4.4.2); other parameters are
/// ignored, as §3.2 asks, and a repeated one is refused.
#[derive(Deserialize)]
pub(crate) struct GrantRequest {
    grant_type: Option<String>,
    scope: Option<String>,
    /// Allowed beside HTTP Basic when it names the same client.
    client_id: Option<String>,
    /// Never: the secret travels in the Authorization header only.
    client_secret: Option<String>,
}

/// Claims of a machine token (RFC 9068 §2.2).
#[derive(Serialize)]
struct MachineClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: &'a str,
    client_id: &'a str,
    scope: &'a str,
}

/// `POST /oauth2/token`.
pub(crate) async fn token<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    request: Result<Form<GrantRequest>, FormRejection>,
) -> Result<Response, ApiError> {
    let Ok(Form(request)) = request else {
        return Err(ApiError::BadBody(BadBody::Form(
            "send grant_type=client_credentials (and optionally scope=...) as application/x-www-form-urlencoded, each once",
        )));
    };
    if request.client_secret.is_some() {
        // RFC 6749 §2.3.1 allows the body only for clients that cannot send
        // Basic; a secret in a body ends up in access logs and traces.
        return Err(ApiError::BadClient);
    }
    let client = authenticate_client(&state, &headers, address).await?;
    if request
        .client_id
        .as_deref()
        .is_some_and(|id| jwtkeep_store::normalise_username(id).ok().as_deref() != Some(&client))
    {
        return Err(ApiError::BadRequest(
            "client_id names another client than the Authorization header".to_owned(),
        ));
    }
    match request.grant_type.as_deref() {
        Some(CLIENT_CREDENTIALS) => {}
        Some(_) => return Err(ApiError::UnsupportedGrantType),
        None => {
            return Err(ApiError::BadRequest(
                "grant_type is missing: send grant_type=client_credentials".to_owned(),
            ))
        }
    }
    let requested = crate::scope::parse_request(request.scope.as_deref())?;
    let now = (state.clock)();
    // The allowed scopes as stored now (the authentication may have come
    // from the cache, which holds secrets' hashes only).
    let Some(stored) = state.store.client(&client).await? else {
        return Err(ApiError::BadClient);
    };
    let scope = crate::scope::narrow(&stored.scopes, false, requested, "client")?;
    let response = issue_machine_token(&state, &client, &scope, now)?;
    let mut details = serde_json::Map::new();
    details.insert("client".into(), client.into());
    details.insert("scope".into(), scope.into());
    let address = address.map(|ip| ip.to_string());
    record_details(
        &state,
        SecurityEvent::ClientTokenIssued,
        None,
        address,
        details,
        now,
    )
    .await;
    Ok(response)
}

/// Signs a machine token for `client` with `scope`: RFC 6749 §5.1's answer.
fn issue_machine_token<S: Store>(
    state: &AppState<S>,
    client: &str,
    scope: &str,
    now: i64,
) -> Result<Response, ApiError> {
    store_not_reset(state)?;
    let config = &state.config;
    let jti = random_id()?;
    let exp = now.saturating_add(config.access_ttl_secs);
    let claims = MachineClaims {
        iss: &config.issuer,
        sub: client,
        aud: &config.audience,
        exp,
        iat: now,
        jti: &jti,
        client_id: client,
        scope,
    };
    let token = state
        .keys
        .sign(Purpose::Access, &claims, now)
        .ok_or(ApiError::Unavailable("a signing key"))?;
    state.metrics.issued(Purpose::Access);
    Ok(no_store(
        Json(serde_json::json!({
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": config.access_ttl_secs,
            "scope": scope,
        }))
        .into_response(),
    ))
}

/// How long the metadata may be cached, seconds: clients and their scopes
/// change rarely, and nothing in it is a secret.
const METADATA_MAX_AGE_SECS: u32 = 300;

/// `GET /.well-known/oauth-authorization-server` (RFC 8414) and
/// `/.well-known/openid-configuration`: where the endpoints are and what
/// they take, derived from the configured issuer. Only what the service
/// does: no authorization endpoint, so no response types; `scopes_supported`
/// lists the scopes registered clients may ask the token endpoint for.
pub(crate) async fn metadata<S: Store>(
    State(state): State<Arc<AppState<S>>>,
) -> Result<Response, ApiError> {
    let issuer = state.config.issuer.as_str();
    let base = issuer.trim_end_matches('/');
    let mut scopes: Vec<String> = state
        .store
        .list_clients()
        .await?
        .iter()
        .flat_map(|c| c.scopes.iter().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    scopes.sort_unstable();
    scopes.dedup();
    let basic = ["client_secret_basic"];
    let body = serde_json::json!({
        "issuer": issuer,
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "token_endpoint": format!("{base}/oauth2/token"),
        "introspection_endpoint": format!("{base}/oauth2/introspect"),
        "revocation_endpoint": format!("{base}/oauth2/revoke"),
        "grant_types_supported": [CLIENT_CREDENTIALS],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": basic,
        "introspection_endpoint_auth_methods_supported": basic,
        "revocation_endpoint_auth_methods_supported": basic,
        "scopes_supported": scopes,
    });
    let mut response = Json(body).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!("public, max-age={METADATA_MAX_AGE_SECS}")) {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    Ok(response)
}
