//! The service in process (`oneshot`) over a real SQLite store.

use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use jwtkeep_core::Secret;
use jwtkeep_server::{Config, KeysError, Service};
use jwtkeep_store::{MasterKey, SigningKeys as _, SqliteStore};
use serde_json::Value;

use crate::common;

const NOW: i64 = 1_800_000_000;

struct Fixture {
    app: Router,
    store: SqliteStore,
    master: Secret,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.db")).await.unwrap();
    let (master, secret) = MasterKey::generate().unwrap();
    let app = Service::start(store.clone(), master, Config::default(), Arc::new(|| NOW))
        .await
        .unwrap();
    Fixture {
        app,
        store,
        master: secret,
        _dir: dir,
    }
}

async fn call(app: &Router, method: &str, uri: &str) -> (StatusCode, axum::http::HeaderMap, Value) {
    common::send(
        app,
        Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

fn assert_security_headers(headers: &axum::http::HeaderMap) {
    // HSTS only over HTTPS (here: no connection at all).
    assert!(headers.get("strict-transport-security").is_none());
    for (name, want) in [
        ("x-content-type-options", "nosniff"),
        ("x-frame-options", "DENY"),
        ("referrer-policy", "no-referrer"),
    ] {
        assert_eq!(headers.get(name).unwrap(), want, "{name}");
    }
    assert!(headers
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("default-src 'none'"));
}

#[tokio::test]
async fn health_readiness_and_headers_on_every_response() {
    let f = fixture().await;
    let (status, headers, body) = call(&f.app, "GET", "/healthz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_security_headers(&headers);
    let (status, _, body) = call(&f.app, "GET", "/readyz").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["store"], "sqlite");
}

#[tokio::test]
async fn the_generator_page_is_served_with_its_own_policy_and_no_framing() {
    use tower::ServiceExt as _;
    let f = fixture().await;
    let response = f
        .app
        .clone()
        .oneshot(
            axum::http::Request::get("/")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let headers = response.headers().clone();
    assert_security_headers(&headers);
    assert_eq!(headers["content-type"], "text/html; charset=utf-8");
    let policy = headers["content-security-policy"].to_str().unwrap();
    let page = jwtkeep_server::GENERATOR_PAGE;
    // The header repeats the page's meta policy exactly, and forbids framing.
    let meta = page
        .split("http-equiv=\"Content-Security-Policy\" content=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert_eq!(policy, format!("{meta}; frame-ancestors 'none'"));
    assert!(policy.contains("connect-src 'none'") && policy.contains("script-src 'sha256-"));
    let body = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .unwrap();
    assert_eq!(body, page.as_bytes());
}

#[tokio::test]
async fn unknown_routes_and_methods_are_json_errors_with_headers() {
    let f = fixture().await;
    let (status, headers, body) = call(&f.app, "GET", "/nope").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["error"], "not_found");
    assert!(body["message"].as_str().unwrap().contains("openapi"));
    assert_security_headers(&headers);
    let (status, headers, body) = call(&f.app, "DELETE", "/healthz").await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["error"], "method_not_allowed");
    assert_security_headers(&headers);
}

#[tokio::test]
async fn jwks_publishes_the_access_key_only_public_and_briefly_cached() {
    let f = fixture().await;
    let (status, headers, body) = call(&f.app, "GET", "/.well-known/jwks.json").await;
    assert_eq!(status, StatusCode::OK);
    let keys = body["keys"].as_array().unwrap();
    assert_eq!(
        keys.len(),
        1,
        "refresh and confirmation keys are never published"
    );
    let key = &keys[0];
    assert_eq!(key["kty"], "EC");
    assert_eq!(key["alg"], "ES256");
    assert_eq!(key["use"], "sig");
    assert!(key["kid"].as_str().is_some_and(|k| !k.is_empty()));
    assert!(key.get("d").is_none(), "no private member");
    let access = f.store.keys("access").await.unwrap();
    assert_eq!(key["kid"], access[0].kid.as_str());
    // Cached no longer than a staged rotation publishes a key before it signs.
    let cache = headers.get("cache-control").unwrap().to_str().unwrap();
    assert_eq!(cache, "public, max-age=300");
}

#[tokio::test]
async fn keys_survive_a_restart_and_refuse_another_master_key() {
    let f = fixture().await;
    let before: Vec<String> = f
        .store
        .keys("access")
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    for purpose in ["refresh", "confirm"] {
        assert_eq!(f.store.keys(purpose).await.unwrap().len(), 1, "{purpose}");
    }
    // The same master key: the same keys, none added.
    let again = MasterKey::new(&f.master).unwrap();
    let _app = Service::start(
        f.store.clone(),
        again,
        Config::default(),
        Arc::new(|| NOW + 5),
    )
    .await
    .unwrap();
    let after: Vec<String> = f
        .store
        .keys("access")
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(before, after);
    // Another master key: refused, with what to check.
    let (other, _) = MasterKey::generate().unwrap();
    let err = Service::start(f.store.clone(), other, Config::default(), Arc::new(|| NOW))
        .await
        .err()
        .unwrap();
    assert!(matches!(err, KeysError::Seal { .. }), "{err}");
    assert!(err.to_string().contains("master key"), "{err}");
}

#[tokio::test]
async fn openapi_document_lists_the_routes() {
    let f = fixture().await;
    let (status, headers, body) = call(&f.app, "GET", "/openapi.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers.get("content-type").unwrap(), "application/json");
    assert_eq!(body["openapi"], "3.1.0");
    // Every route the router declares is documented, and nothing else is.
    let source = include_str!("../../src/routes.rs");
    let mut routed: Vec<&str> = source
        .split(".route(")
        .skip(1)
        .filter_map(|rest| rest.trim_start().strip_prefix('"')?.split('"').next())
        .collect();
    routed.sort_unstable();
    let mut documented: Vec<&str> = body["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    documented.sort_unstable();
    assert_eq!(routed, documented);
}
