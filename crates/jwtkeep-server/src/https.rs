//! Whether a request came over HTTPS, the rule that refuses one that did
//! not, and HSTS on the answers to those that did.
//!
//! A request came over HTTPS when its connection is this service's TLS
//! ([`crate::listen::OverTls`]), or when its peer is a trusted proxy that
//! reports `https` (`Forwarded: proto=`, `X-Forwarded-Proto`). With
//! [`crate::Config::require_https`] (which `jwtkeep serve` sets), any other
//! request is refused with 403 `https_required` — the security guide's
//! force-HTTPS middleware, without redirecting a request that may already
//! have carried credentials in the clear — except from a direct peer on
//! the loopback interface (development, a local health check), and the
//! probes `GET /healthz`, `/readyz` and `/metrics`, which carry no secret
//! and which load balancers and Prometheus ask for on the private side.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderValue, Method, Request};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use jwtkeep_store::Store;

use crate::listen::OverTls;
use crate::{ApiError, AppState};

/// HSTS: two years, subdomains too (the guide's value).
const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Probes answered whatever the scheme.
const PROBES: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// How a request reached the service.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arrival {
    /// Over HTTPS: this service's TLS, or a trusted proxy that says so.
    Https,
    /// From a trusted proxy that reports another scheme, or none.
    ProxiedPlain,
    /// Plain HTTP straight from the peer.
    DirectPlain { loopback: bool },
    /// In process, with no connection (an embedding's or a test's `oneshot`).
    NoConnection,
}

fn arrival<S: Store>(state: &AppState<S>, request: &Request<Body>) -> Arrival {
    if request.extensions().get::<OverTls>().is_some() {
        return Arrival::Https;
    }
    let Some(ConnectInfo(peer)) = request.extensions().get::<ConnectInfo<SocketAddr>>() else {
        return Arrival::NoConnection;
    };
    let trusted = &state.config.trusted_proxies;
    if trusted.iter().any(|c| c.contains(peer.ip())) {
        return match crate::proxies::forwarded_proto(request.headers()).as_deref() {
            Some("https") => Arrival::Https,
            _ => Arrival::ProxiedPlain,
        };
    }
    Arrival::DirectPlain {
        loopback: peer.ip().to_canonical().is_loopback(),
    }
}

/// Applies the rule and marks HTTPS answers with HSTS.
pub(crate) async fn https_policy<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    request: Request<Body>,
    next: Next,
) -> Response {
    let arrival = arrival(&state, &request);
    let allowed = match arrival {
        Arrival::Https | Arrival::NoConnection | Arrival::DirectPlain { loopback: true } => true,
        Arrival::ProxiedPlain | Arrival::DirectPlain { loopback: false } => {
            !state.config.require_https
                || (request.method() == Method::GET && PROBES.contains(&request.uri().path()))
        }
    };
    if !allowed {
        return ApiError::HttpsRequired.into_response();
    }
    let mut response = next.run(request).await;
    if arrival == Arrival::Https {
        response.headers_mut().insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static(HSTS),
        );
    }
    response
}
