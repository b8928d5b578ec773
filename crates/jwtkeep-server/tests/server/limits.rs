//! Login limits that cannot be turned against users: failures counted per
//! (account, address) pair, per address and per account, none forgiven by a
//! success from elsewhere; the client address read through trusted proxies only.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use jwtkeep_server::Config;
use serde_json::{json, Value};

use crate::common;
use common::{fixture_with, send, Fixture, PASSWORD};

/// A login from socket peer `peer`, with `forwarded` as X-Forwarded-For.
async fn login_from(
    f: &Fixture,
    peer: &str,
    forwarded: Option<&str>,
    username: &str,
    password: &str,
) -> (StatusCode, Value) {
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    let mut request = Request::post("/v1/auth/login")
        .header("content-type", "application/json")
        .extension(ConnectInfo(peer));
    if let Some(forwarded) = forwarded {
        request = request.header("x-forwarded-for", forwarded);
    }
    let body = json!({"username": username, "password": password}).to_string();
    let (status, _, body) = send(&f.app, request.body(Body::from(body)).unwrap()).await;
    (status, body)
}

const WRONG: &str = "a wrong password, long enough";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_an_attackers_failures_do_not_lock_out_the_owner() {
    let f = fixture_with(Config {
        trusted_proxies: vec!["10.0.0.0/8".parse().unwrap()],
        ..Config::default()
    })
    .await;
    let proxy = "10.0.0.2";
    for _ in 0..5 {
        let (status, _) = login_from(&f, proxy, Some("203.0.113.9"), "alice", WRONG).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = login_from(&f, proxy, Some("203.0.113.9"), "alice", WRONG).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    // The owner, behind the same proxy, from another address.
    let (status, body) = login_from(&f, proxy, Some("198.51.100.7"), "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_address_cannot_spray_passwords_between_its_own_logins() {
    let f = fixture_with(Config::default()).await;
    let me = "192.0.2.10";
    // Each round: its own login, then one wrong password at one of five
    // accounts; `refused` is how many failures there were before a 429.
    let mut refused = None;
    for failures in 0..30 {
        let (status, body) = login_from(&f, me, None, "alice", PASSWORD).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(failures);
            break;
        }
        assert_eq!(status, StatusCode::OK, "{body}");
        let victim = format!("user{}", failures % 5);
        let (status, _) = login_from(&f, me, None, &victim, WRONG).await;
        if status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(failures);
            break;
        }
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    assert_eq!(refused, Some(20), "the address limit (20 failures) holds");
    // Another address is not affected.
    let (status, _) = login_from(&f, "192.0.2.11", None, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_lock_their_own_pair_and_the_account_only_at_its_own_limit() {
    let f = fixture_with(Config {
        login_attempts_per_account: 8,
        ..Config::default()
    })
    .await;
    for _ in 0..5 {
        let (status, _) = login_from(&f, "192.0.2.20", None, "alice", WRONG).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = login_from(&f, "192.0.2.20", None, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "the pair is locked");
    let (status, _) = login_from(&f, "192.0.2.21", None, "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "the owner elsewhere is not");
    // Three more failures from elsewhere reach the account's limit of 8 (the
    // owner's success was forgiven, and the attempt refused at the pair's
    // limit never reached the account's count).
    for _ in 0..3 {
        let (status, _) = login_from(&f, "192.0.2.22", None, "alice", WRONG).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = login_from(&f, "192.0.2.23", None, "alice", PASSWORD).await;
    assert_eq!(
        status,
        StatusCode::TOO_MANY_REQUESTS,
        "the account limit holds"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_headers_from_an_untrusted_peer_are_ignored() {
    let f = fixture_with(Config::default()).await;
    for n in 0..5 {
        let spoofed = format!("198.51.100.{n}");
        let (status, _) = login_from(&f, "192.0.2.30", Some(&spoofed), "alice", WRONG).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _) = login_from(&f, "192.0.2.30", Some("198.51.100.99"), "alice", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}
