//! CORS: browser apps on the origins in `cors_origins`, and no others.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use jwtkeep_server::Config;
use serde_json::Value;

use crate::common;
use common::{fixture, fixture_with, send, Fixture};

const APP: &str = "http://127.0.0.1:5173";
const OTHER: &str = "http://127.0.0.1:6666";

async fn with_cors(cookie_mode: bool) -> Fixture {
    fixture_with(Config {
        cors_origins: vec![APP.to_owned()],
        cookie_mode,
        ..Config::default()
    })
    .await
}

/// A preflight of `GET /v1/auth/me` with an Authorization header, from `origin`.
async fn preflight(f: &Fixture, origin: &str) -> (StatusCode, HeaderMap, Value) {
    let request = Request::builder()
        .method("OPTIONS")
        .uri("/v1/auth/me")
        .header("origin", origin)
        .header("access-control-request-method", "GET")
        .header("access-control-request-headers", "authorization")
        .body(Body::empty())
        .unwrap();
    send(&f.app, request).await
}

/// `GET /v1/auth/me` with `token`, from `origin`.
async fn me_from(f: &Fixture, origin: &str, token: &str) -> (StatusCode, HeaderMap) {
    let request = Request::get("/v1/auth/me")
        .header("origin", origin)
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let (status, headers, _) = send(&f.app, request).await;
    (status, headers)
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_origin_gets_its_preflight_and_answers_and_others_get_nothing() {
    let f = with_cors(false).await;
    let (status, headers, _) = preflight(&f, APP).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(APP));
    assert_eq!(
        header(&headers, "access-control-allow-methods"),
        Some("GET, POST, PUT, DELETE")
    );
    assert_eq!(
        header(&headers, "access-control-allow-headers"),
        Some("Authorization, Content-Type")
    );
    assert_eq!(header(&headers, "vary"), Some("Origin"));
    // Tokens travel in Authorization: no credentials outside cookie mode.
    assert_eq!(header(&headers, "access-control-allow-credentials"), None);

    let (status, headers, body) = preflight(&f, OTHER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("origin_not_allowed"))
    );
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
    // Not a prefix match, not the wildcard's spelling.
    for near in [
        "http://127.0.0.1:51730",
        "http://127.0.0.1:5173/",
        "null",
        "*",
    ] {
        let (status, headers, _) = preflight(&f, near).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{near}");
        assert_eq!(
            header(&headers, "access-control-allow-origin"),
            None,
            "{near}"
        );
    }

    let token = f.access("alice").await;
    let (status, headers) = me_from(&f, APP, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(APP));
    assert!(header(&headers, "access-control-expose-headers")
        .is_some_and(|h| h.contains("WWW-Authenticate")));
    let (status, headers) = me_from(&f, OTHER, &token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
    assert_eq!(header(&headers, "vary"), Some("Origin"));
    // Refusals are marked too, so the app can read why.
    let (status, headers) = me_from(&f, APP, "not.a.token").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(header(&headers, "access-control-allow-origin"), Some(APP));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_cors_origins_there_is_no_cross_origin_access() {
    let f = fixture().await;
    let (status, headers, _) = preflight(&f, APP).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
    let token = f.access("alice").await;
    let (_, headers) = me_from(&f, APP, &token).await;
    assert_eq!(header(&headers, "access-control-allow-origin"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn in_cookie_mode_an_allowed_origin_may_send_the_cookies() {
    let f = with_cors(true).await;
    let (status, headers, _) = preflight(&f, APP).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        header(&headers, "access-control-allow-credentials"),
        Some("true")
    );
    // A state-changing request relying on cookies, from the app's origin,
    // passes the cookie mode's origin check (it fails later, for want of
    // a session, not for its origin); from another origin it does not.
    for (origin, refused) in [(APP, false), (OTHER, true)] {
        let request = Request::post("/v1/auth/logout")
            .header("origin", origin)
            .header("cookie", "jwtkeep_access=x")
            .body(Body::empty())
            .unwrap();
        let (_, _, body) = send(&f.app, request).await;
        assert_eq!(
            body["error"] == "origin_refused",
            refused,
            "{origin}: {body}"
        );
    }
}
