//! Headers on every response, the request timeout, and the log line of a
//! failure on the service's side.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderValue, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jwtkeep_store::Store;

use crate::error::ServerDetail;
use crate::{ApiError, AppState};

/// The headers every response carries (HSTS only over HTTPS: `https`).
const SECURITY_HEADERS: [(header::HeaderName, &str); 4] = [
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
    // A Uri clone shares its bytes: no copy on requests that succeed.
    let uri = request.uri().clone();
    let mut response = next.run(request).await;
    if let Some(failure) = response.extensions_mut().remove::<ServerDetail>() {
        let now = (state.clock)();
        state
            .config
            .event_log
            .server_error(now, uri.path(), failure.code, &failure.detail);
    }
    response
}

/// Ends a request that takes longer than `timeout` with 503.
pub(crate) async fn timeout(
    timeout: std::time::Duration,
    request: Request<Body>,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    let received = Arc::new(AtomicBool::new(http_body::Body::is_end_stream(&body)));
    let body = Body::new(Watched {
        inner: body,
        received: Arc::clone(&received),
    });
    match tokio::time::timeout(timeout, next.run(Request::from_parts(parts, body))).await {
        Ok(response) => response,
        // The client had not sent its whole body by then: its delay, not ours.
        Err(_) if !received.load(Ordering::Relaxed) => ApiError::RequestTimeout.into_response(),
        Err(_) => ApiError::Timeout.into_response(),
    }
}

/// A request body that notes when it has been received to its end.
struct Watched {
    inner: Body,
    received: Arc<AtomicBool>,
}

impl http_body::Body for Watched {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        let frame = Pin::new(&mut self.inner).poll_frame(cx);
        if matches!(frame, Poll::Ready(None)) || self.inner.is_end_stream() {
            self.received.store(true, Ordering::Relaxed);
        }
        frame
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}
