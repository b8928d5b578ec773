//! Cookie mode: the same API, with the tokens carried in cookies that
//! scripts cannot read, for browser applications. No request or response
//! body is rewritten; instead:
//! - the credential extractors find the access token in the `Authorization`
//!   header or, in cookie mode, the access cookie ([`crate::extract::Bearer`]),
//!   and the refresh token of a refresh or logout in the JSON body or, when
//!   the body is empty, the refresh cookie ([`RefreshSource`]);
//! - the token responder ([`crate::issue::deliver`]) sets the cookies and
//!   keeps only `expires_in` in the body; a logout expires them ([`clear`]);
//! - a state-changing request that relies on cookies must come from an
//!   allowed `Origin` (cross-site request forgery), the login included (login
//!   forgery) ([`require_origin`]). Requests that carry their own
//!   `Authorization` need no check: another site cannot set that header.
//!
//! The access cookie is `__Host-` (Secure, Path=/, no Domain). The refresh
//! cookie is `__Secure-`, because `__Host-` forbids the narrower path it
//! is scoped to (`/v1/auth`, so only refresh and logout ever receive it).

use std::sync::Arc;

use axum::body::{to_bytes, Body};
use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jwtkeep_store::Store;

use crate::error::BadBody;
use crate::{ApiError, AppState};

/// The access token's cookie.
pub const ACCESS_COOKIE: &str = "__Host-jwtkeep-access";
/// The refresh token's cookie.
pub const REFRESH_COOKIE: &str = "__Secure-jwtkeep-refresh";
/// Where the refresh cookie is sent.
const REFRESH_PATH: &str = "/v1/auth";

/// The value of cookie `name` in the request's `Cookie` headers.
pub(crate) fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
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

/// Refuses, in cookie mode, a state-changing `/v1/` request without its own
/// `Authorization` header unless its `Origin` is one of `allowed_origins`.
pub(crate) async fn require_origin(
    allowed_origins: Arc<[String]>,
    request: Request,
    next: Next,
) -> Response {
    let headers = request.headers();
    let relies_on_cookies = request.uri().path().starts_with("/v1/")
        && !matches!(
            *request.method(),
            Method::GET | Method::HEAD | Method::OPTIONS
        )
        && !headers.contains_key(header::AUTHORIZATION);
    if relies_on_cookies {
        let allowed = headers
            .get(header::ORIGIN)
            .and_then(|o| o.to_str().ok())
            .is_some_and(|o| allowed_origins.iter().any(|a| a == o));
        if !allowed {
            return ApiError::OriginRefused.into_response();
        }
    }
    next.run(request).await
}

/// Where the refresh token of a refresh or logout comes from: in cookie mode,
/// the refresh cookie when the body is empty; otherwise the body, untouched,
/// for the endpoint's own JSON rules.
pub(crate) enum RefreshSource {
    /// The refresh cookie's token.
    Cookie(String),
    /// The request, body and all (boxed: it is much larger than a token).
    Body(Box<Request>),
}

impl<S: Store> FromRequest<Arc<AppState<S>>> for RefreshSource {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &Arc<AppState<S>>) -> Result<Self, ApiError> {
        let token = state
            .config
            .cookie_mode
            .then(|| cookie(request.headers(), REFRESH_COOKIE).map(str::to_owned))
            .flatten();
        let Some(token) = token else {
            return Ok(RefreshSource::Body(Box::new(request)));
        };
        let (parts, body) = request.into_parts();
        let bytes = to_bytes(body, state.config.body_limit_bytes)
            .await
            .map_err(|_| ApiError::BadBody(BadBody::TooLarge))?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            Ok(RefreshSource::Cookie(token))
        } else {
            Ok(RefreshSource::Body(Box::new(Request::from_parts(
                parts,
                Body::from(bytes),
            ))))
        }
    }
}

/// Puts a token pair in cookies: the access token for every path, the
/// refresh token for `/v1/auth` only, for `refresh_ttl_secs`.
pub(crate) fn set_tokens(
    response: &mut Response,
    access: &str,
    expires_in: i64,
    refresh: &str,
    refresh_ttl_secs: i64,
) {
    let cookies = [
        set_cookie(ACCESS_COOKIE, access, "/", expires_in),
        set_cookie(REFRESH_COOKIE, refresh, REFRESH_PATH, refresh_ttl_secs),
    ];
    for value in cookies.into_iter().flatten() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}

/// Expires both cookies (a logout, whatever its outcome: the browser forgets them).
pub(crate) fn clear(response: &mut Response) {
    let expired = [
        set_cookie(ACCESS_COOKIE, "", "/", 0),
        set_cookie(REFRESH_COOKIE, "", REFRESH_PATH, 0),
    ];
    for value in expired.into_iter().flatten() {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
}
