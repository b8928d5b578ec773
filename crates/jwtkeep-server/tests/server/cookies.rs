//! Cookie mode: tokens in HttpOnly cookies, and the Origin check on every
//! state-changing request that relies on them.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use jwtkeep_server::{Config, ACCESS_COOKIE, REFRESH_COOKIE};
use serde_json::{json, Value};

use crate::common;
use common::{fixture_with, send, Fixture, PASSWORD};

const ORIGIN: &str = "https://auth.example.com";

async fn cookie_fixture() -> Fixture {
    fixture_with(Config {
        cookie_mode: true,
        issuer: format!("{ORIGIN}/"),
        ..Config::default()
    })
    .await
}

/// A request with optional Origin, Cookie and JSON body.
async fn request(
    f: &Fixture,
    method: &str,
    path: &str,
    origin: Option<&str>,
    cookies: &str,
    body: Option<Value>,
) -> (StatusCode, HeaderMap, Value) {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(origin) = origin {
        builder = builder.header("origin", origin);
    }
    if !cookies.is_empty() {
        builder = builder.header("cookie", cookies);
    }
    let body = match body {
        Some(b) => {
            builder = builder.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    send(&f.app, builder.body(body).unwrap()).await
}

/// The `name=value` pairs a response sets, with each cookie's attributes.
fn set_cookies(headers: &HeaderMap) -> Vec<(String, String, String)> {
    headers
        .get_all("set-cookie")
        .iter()
        .map(|v| {
            let text = v.to_str().unwrap();
            let (pair, attributes) = text.split_once(';').unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            (
                name.to_owned(),
                value.to_owned(),
                attributes.trim().to_owned(),
            )
        })
        .collect()
}

fn jar(headers: &HeaderMap) -> String {
    set_cookies(headers)
        .into_iter()
        .map(|(n, v, _)| format!("{n}={v}"))
        .collect::<Vec<_>>()
        .join("; ")
}

async fn login(f: &Fixture, origin: Option<&str>, user: &str) -> (StatusCode, HeaderMap, Value) {
    request(
        f,
        "POST",
        "/v1/auth/login",
        origin,
        "",
        Some(json!({"username": user, "password": PASSWORD})),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tokens_travel_in_httponly_cookies_never_in_the_body() {
    let f = cookie_fixture().await;
    let (status, headers, body) = login(&f, Some(ORIGIN), "alice").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"token_type": "cookie", "expires_in": 900}));
    let cookies = set_cookies(&headers);
    assert_eq!(cookies.len(), 2);
    assert_eq!(cookies[0].0, ACCESS_COOKIE);
    assert_eq!(
        cookies[0].2,
        "Path=/; Max-Age=900; Secure; HttpOnly; SameSite=Strict"
    );
    assert_eq!(cookies[1].0, REFRESH_COOKIE);
    assert_eq!(
        cookies[1].2,
        "Path=/v1/auth; Max-Age=604800; Secure; HttpOnly; SameSite=Strict"
    );
    let first = jar(&headers);

    // Reading needs no Origin; the access cookie authenticates.
    let (status, _, me) = request(&f, "GET", "/v1/auth/me", None, &first, None).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert!(me["claims"]["sub"].is_string());

    // Refresh from the cookie; the old refresh cookie is then a reuse.
    let (status, headers, body) =
        request(&f, "POST", "/v1/auth/refresh", Some(ORIGIN), &first, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.get("refresh_token").is_none() && body.get("access_token").is_none());
    let second = jar(&headers);
    assert_ne!(second, first);
    // Past the 10 s grace window for a second tab.
    f.set_time(common::T0 + 11);
    let (status, _, body) =
        request(&f, "POST", "/v1/auth/refresh", Some(ORIGIN), &first, None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("refresh_reuse"))
    );

    // Logout clears both cookies.
    let (_, headers, _) = login(&f, Some(ORIGIN), "alice").await;
    let third = jar(&headers);
    let (status, headers, body) =
        request(&f, "POST", "/v1/auth/logout", Some(ORIGIN), &third, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let cleared = set_cookies(&headers);
    assert_eq!(cleared.len(), 2);
    assert!(cleared
        .iter()
        .all(|(_, v, a)| v.is_empty() && a.contains("Max-Age=0")));
    f.control.sync_revocations().await.unwrap();
    let (status, _, _) = request(&f, "GET", "/v1/auth/me", None, &third, None).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "the logged-out access cookie still works"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_changing_cookie_requests_need_an_allowed_origin() {
    let f = cookie_fixture().await;
    for origin in [
        None,
        Some("https://evil.example"),
        Some("null"),
        Some("https://auth.example.com.evil.example"),
    ] {
        let (status, _, body) = login(&f, origin, "alice").await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::FORBIDDEN, Some("origin_refused")),
            "{origin:?}"
        );
    }
    let (_, headers, _) = login(&f, Some(ORIGIN), "root").await;
    let cookies = jar(&headers);
    for (method, path) in [
        ("POST", "/v1/auth/refresh"),
        ("POST", "/v1/auth/logout"),
        ("POST", "/v1/admin/revoke-all"),
        ("POST", "/v1/admin/keys/rotate"),
    ] {
        let (status, _, body) = request(
            &f,
            method,
            path,
            Some("https://evil.example"),
            &cookies,
            None,
        )
        .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::FORBIDDEN, Some("origin_refused")),
            "{path}"
        );
    }
    // The cookies still work: nothing above was carried out.
    let (status, _, _) = request(&f, "GET", "/v1/admin/users", None, &cookies, None).await;
    assert_eq!(status, StatusCode::OK);

    // Bearer requests carry their own credentials: no Origin needed, even in cookie mode.
    let access = f.call("POST", "/v1/auth/login", None, None).await;
    assert_eq!(
        access.0,
        StatusCode::FORBIDDEN,
        "a login without Origin is refused"
    );
    let cookie_value = cookies
        .split("; ")
        .find_map(|c| c.strip_prefix(&format!("{ACCESS_COOKIE}=")))
        .unwrap()
        .to_owned();
    let (status, _) = f.me(&cookie_value).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_up_confirmation_works_from_cookies() {
    let f = cookie_fixture().await;
    let (_, headers, _) = login(&f, Some(ORIGIN), "alice").await;
    let cookies = jar(&headers);
    let ask = json!({"password": PASSWORD, "action": "email.change"});
    let (status, _, body) = request(
        &f,
        "POST",
        "/v1/auth/confirm",
        None,
        &cookies,
        Some(ask.clone()),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("origin_refused"))
    );
    let (status, _, body) = request(
        &f,
        "POST",
        "/v1/auth/confirm",
        Some(ORIGIN),
        &cookies,
        Some(ask),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let check = json!({"token": body["confirmation_token"], "action": "email.change"});
    let (status, _, body) = request(
        &f,
        "POST",
        "/v1/auth/confirm/verify",
        Some(ORIGIN),
        &cookies,
        Some(check.clone()),
    )
    .await;
    assert_eq!(
        (status, body["confirmed"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{body}"
    );
    let (status, _, body) = request(
        &f,
        "POST",
        "/v1/auth/confirm/verify",
        Some(ORIGIN),
        &cookies,
        Some(check),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("confirmation_used"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_logout_still_expires_both_cookies() {
    let f = cookie_fixture().await;
    let (status, headers, body) = request(
        &f,
        "POST",
        "/v1/auth/logout",
        Some(ORIGIN),
        &format!("{ACCESS_COOKIE}=not.a.token"),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "invalid_token");
    let cleared = set_cookies(&headers);
    assert_eq!(cleared.len(), 2, "{cleared:?}");
    assert!(cleared
        .iter()
        .all(|(_, v, a)| v.is_empty() && a.contains("Max-Age=0")));
}
