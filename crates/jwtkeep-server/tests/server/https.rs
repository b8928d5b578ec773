//! The force-HTTPS rule and HSTS, in process: the connection's facts (TLS,
//! the peer) are what the listener would attach to each request.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use jwtkeep_server::{Config, OverTls};

use crate::common;
use common::{fixture_with, send, Fixture};

async fn fixture_requiring_https() -> Fixture {
    fixture_with(Config {
        require_https: true,
        trusted_proxies: vec!["10.0.0.2".parse().unwrap()],
        ..Config::default()
    })
    .await
}

/// GET `path` from `peer`, with `headers`, over TLS when `tls`: the status,
/// the `error` code and whether HSTS came back.
async fn get(
    f: &Fixture,
    path: &str,
    peer: &str,
    tls: bool,
    headers: &[(&str, &str)],
) -> (StatusCode, Option<String>, bool) {
    let peer = SocketAddr::new(peer.parse().unwrap(), 40000);
    let mut request = Request::get(path).extension(ConnectInfo(peer));
    if tls {
        request = request.extension(OverTls);
    }
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let (status, answer, body) = send(&f.app, request.body(Body::empty()).unwrap()).await;
    (
        status,
        body["error"].as_str().map(str::to_owned),
        answer.contains_key("strict-transport-security"),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_requests_that_came_over_https_are_served_and_only_they_get_hsts() {
    let f = fixture_requiring_https().await;
    let path = "/.well-known/jwks.json";
    let https = [("x-forwarded-proto", "https")];
    let refused = (
        StatusCode::FORBIDDEN,
        Some("https_required".to_owned()),
        false,
    );
    let served = |hsts| (StatusCode::OK, None, hsts);
    // This service's TLS, from anywhere.
    assert_eq!(get(&f, path, "203.0.113.9", true, &[]).await, served(true));
    // A trusted proxy that says https (either header), or does not.
    assert_eq!(get(&f, path, "10.0.0.2", false, &https).await, served(true));
    let forwarded = [("forwarded", "for=203.0.113.9;proto=https")];
    assert_eq!(
        get(&f, path, "10.0.0.2", false, &forwarded).await,
        served(true)
    );
    assert_eq!(get(&f, path, "10.0.0.2", false, &[]).await, refused);
    let http = [("x-forwarded-proto", "http")];
    assert_eq!(get(&f, path, "10.0.0.2", false, &http).await, refused);
    // Any other peer's word is its own: plain HTTP from it is refused.
    assert_eq!(get(&f, path, "203.0.113.9", false, &https).await, refused);
    // A direct loopback peer (development, a local check) is served, without HSTS.
    assert_eq!(get(&f, path, "127.0.0.1", false, &[]).await, served(false));
    assert_eq!(get(&f, path, "::1", false, &[]).await, served(false));
    // The probes answer whatever the scheme.
    for probe in ["/healthz", "/metrics"] {
        assert_eq!(
            get(&f, probe, "10.0.0.2", false, &[]).await.0,
            StatusCode::OK
        );
    }
    // Without the rule (an embedding's default) nothing is refused.
    let open = fixture_with(Config::default()).await;
    assert_eq!(
        get(&open, path, "203.0.113.9", false, &[]).await,
        served(false)
    );
}
