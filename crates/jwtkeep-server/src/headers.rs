//! Headers on every response, the request timeout, and the log line of a
//! failure on the service's side.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jwtkeep_store::Store;

use crate::error::ServerDetail;
use crate::{ApiError, AppState};

/// The headers every response carries.
const SECURITY_HEADERS: [(header::HeaderName, &str); 5] = [
    (
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=63072000; includeSubDomains",
    ),
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    ),
    (header::REFERRER_POLICY, "no-referrer"),
];

/// Adds the security headers to every response, errors included.
pub(crate) async fn security_headers(request: Request<Body>, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    response
}

/// Logs, once, the detail of every failure on the service's side that an
/// [`ApiError`] left in its response (the client read only a generic sentence).
pub(crate) async fn log_server_errors<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let mut response = next.run(request).await;
    if let Some(failure) = response.extensions_mut().remove::<ServerDetail>() {
        let now = (state.clock)();
        state
            .config
            .event_log
            .server_error(now, &path, failure.code, &failure.detail);
    }
    response
}

/// Ends a request that takes longer than `timeout` with 503.
pub(crate) async fn timeout(
    timeout: std::time::Duration,
    request: Request<Body>,
    next: Next,
) -> Response {
    match tokio::time::timeout(timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::Timeout.into_response(),
    }
}
