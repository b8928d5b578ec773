//! Cookie mode: the same API, with the tokens carried in cookies that
//! scripts cannot read, for browser applications.
//!
//! One middleware adapts requests and responses, so no endpoint has two
//! code paths:
//! - a login or refresh response's tokens move from the JSON body into
//!   `Set-Cookie` headers (the body keeps `expires_in` only); a logout clears them;
//! - a request without `Authorization` gets its access token from the access
//!   cookie, and a refresh or logout without a body gets the refresh cookie;
//! - a state-changing request that relies on cookies must come from an
//!   allowed `Origin` (cross-site request forgery), the login included (login
//!   forgery). Requests that carry their own `Authorization` need no check:
//!   another site cannot set that header.
//!
//! The access cookie is `__Host-` (Secure, Path=/, no Domain). The refresh
//! cookie is `__Secure-`, because `__Host-` forbids the narrower path it
//! is scoped to (`/v1/auth`, so only refresh and logout ever receive it).

use axum::body::{to_bytes, Body};
use axum::http::{header, HeaderMap, HeaderValue, Method, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::error::BadBody;
use crate::ApiError;

/// The access token's cookie.
pub const ACCESS_COOKIE: &str = "__Host-jwtkeep-access";
/// The refresh token's cookie.
pub const REFRESH_COOKIE: &str = "__Secure-jwtkeep-refresh";
/// Where the refresh cookie is sent.
const REFRESH_PATH: &str = "/v1/auth";

/// Largest body the adapter reads (token responses are a few kilobytes).
const MAX_BODY: usize = 64 * 1024;

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

fn set_cookie(name: &str, value: &str, path: &str, max_age: i64) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "{name}={value}; Path={path}; Max-Age={max_age}; Secure; HttpOnly; SameSite=Strict"
    ))
    .ok()
}

fn origin_refused() -> Response {
    ApiError::OriginRefused.into_response()
}

/// The cookie-mode adapter (see the module's documentation).
pub(crate) async fn adapt(
    allowed_origins: std::sync::Arc<[String]>,
    refresh_ttl_secs: i64,
    mut request: Request<Body>,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let auth_route = path.starts_with("/v1/");
    let headers = request.headers();
    let has_authorization = headers.contains_key(header::AUTHORIZATION);
    let changes_state = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if auth_route && changes_state && !has_authorization {
        let allowed = headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .is_some_and(|o| allowed_origins.iter().any(|a| a == o));
        if !allowed {
            return origin_refused();
        }
    }
    let access = cookie(headers, ACCESS_COOKIE).map(str::to_owned);
    let refresh = cookie(headers, REFRESH_COOKIE).map(str::to_owned);
    if !has_authorization {
        if let Some(value) = access.and_then(|t| HeaderValue::from_str(&format!("Bearer {t}")).ok())
        {
            request.headers_mut().insert(header::AUTHORIZATION, value);
        }
    }
    let takes_refresh = path == "/v1/auth/refresh" || path == "/v1/auth/logout";
    if takes_refresh {
        if let Some(refresh) = refresh {
            let (parts, body) = request.into_parts();
            let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
                return ApiError::BadBody(BadBody::TooLarge).into_response();
            };
            let mut parts = parts;
            let body = if bytes.iter().all(u8::is_ascii_whitespace) {
                parts.headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                Body::from(serde_json::json!({ "refresh_token": refresh }).to_string())
            } else {
                Body::from(bytes)
            };
            request = Request::from_parts(parts, body);
        }
    }
    let response = next.run(request).await;
    match path.as_str() {
        "/v1/auth/login" | "/v1/auth/refresh" if response.status().is_success() => {
            into_cookies(response, refresh_ttl_secs).await
        }
        "/v1/auth/logout" => clear_cookies(response),
        _ => response,
    }
}

/// Moves the tokens of a login or refresh response into cookies.
async fn into_cookies(response: Response, refresh_ttl_secs: i64) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else {
        return ApiError::Unavailable("the token response").into_response();
    };
    let Ok(Value::Object(mut members)) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    let expires_in = members
        .get("expires_in")
        .and_then(Value::as_i64)
        .unwrap_or(0);
    let cookies = [
        members
            .remove("access_token")
            .and_then(|t| set_cookie(ACCESS_COOKIE, t.as_str()?, "/", expires_in)),
        members
            .remove("refresh_token")
            .and_then(|t| set_cookie(REFRESH_COOKIE, t.as_str()?, REFRESH_PATH, refresh_ttl_secs)),
    ];
    for value in cookies.into_iter().flatten() {
        parts.headers.append(header::SET_COOKIE, value);
    }
    members.insert("token_type".into(), "cookie".into());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(Value::Object(members).to_string()))
}

/// Expires both cookies (a logout, whatever its outcome: the browser forgets them).
fn clear_cookies(mut response: Response) -> Response {
    let expired = [
        set_cookie(ACCESS_COOKIE, "", "/", 0),
        set_cookie(REFRESH_COOKIE, "", REFRESH_PATH, 0),
    ];
    for value in expired.into_iter().flatten() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}
