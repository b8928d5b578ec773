//! Cross-origin requests from the browser apps named in `cors_origins`, so a
//! single-page app on another origin can call the service.
//!
//! Origins are compared exactly (`scheme://host[:port]`, as browsers send
//! them); there is no wildcard. A preflight from an allowed origin is
//! answered `204` with the methods and headers the API takes; one from any
//! other origin `403 origin_not_allowed`, with no CORS headers, so the
//! browser refuses the request. Answers to allowed origins name them in
//! `Access-Control-Allow-Origin`; every answer carries `Vary: Origin`, so
//! that no cache serves one origin's answer to another. Credentials
//! (cookies) are allowed only in cookie mode: elsewhere the access token
//! travels in `Authorization`, which needs none.

use std::sync::Arc;

use axum::extract::Request;
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::ApiError;

/// The methods the API answers, for preflights.
const METHODS: &str = "GET, POST, PUT, DELETE";
/// The request headers a browser app may send.
const HEADERS: &str = "Authorization, Content-Type";
/// The response headers a browser app may read beyond the simple ones.
const EXPOSED: &str = "WWW-Authenticate, Retry-After";
/// How long a browser may keep a preflight's answer (seconds).
const MAX_AGE: &str = "600";

/// Who may call across origins.
#[derive(Debug)]
pub(crate) struct Cors {
    /// The allowed origins, exactly.
    pub(crate) origins: Vec<String>,
    /// Whether credentials (cookies) may be sent: cookie mode only.
    pub(crate) credentials: bool,
}

/// The middleware: preflights answered here, other requests passed on and
/// their answers marked.
pub(crate) async fn cors(cors: Arc<Cors>, request: Request, next: Next) -> Response {
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .filter(|o| {
            o.to_str()
                .is_ok_and(|o| cors.origins.iter().any(|allowed| allowed == o))
        })
        .cloned();
    let preflight = request.method() == Method::OPTIONS
        && request
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let mut response = if preflight {
        match &origin {
            Some(_) => StatusCode::NO_CONTENT.into_response(),
            None => ApiError::CorsOriginRefused.into_response(),
        }
    } else {
        next.run(request).await
    };
    let headers = response.headers_mut();
    headers.append(header::VARY, HeaderValue::from_static("Origin"));
    if let Some(origin) = origin {
        headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
        if cors.credentials {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        if preflight {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_METHODS,
                HeaderValue::from_static(METHODS),
            );
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_HEADERS,
                HeaderValue::from_static(HEADERS),
            );
            headers.insert(
                header::ACCESS_CONTROL_MAX_AGE,
                HeaderValue::from_static(MAX_AGE),
            );
        } else {
            headers.insert(
                header::ACCESS_CONTROL_EXPOSE_HEADERS,
                HeaderValue::from_static(EXPOSED),
            );
        }
    }
    response
}
