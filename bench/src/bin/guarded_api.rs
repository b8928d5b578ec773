//! The guard's cost inside an axum service: one handler served twice, bare
//! and behind `GuardLayer`, following a running `jwtkeep serve`.
//!
//! ```sh
//! JWTKEEP_CLIENT_ID=... JWTKEEP_CLIENT_SECRET=... TOKEN=... \
//!   guarded-api ISSUER PLAIN_PORT GUARDED_PORT     # both on 127.0.0.1, for wrk
//! JWTKEEP_CLIENT_ID=... JWTKEEP_CLIENT_SECRET=... TOKEN=... \
//!   guarded-api ISSUER --in-process                # per-request time, no network
//! ```
//!
//! In process, each router is called with the same request (the bearer
//! token from `TOKEN`) in a loop on one thread, in alternating batches, and
//! the mean time per request of each is printed; the difference is what
//! the guard adds to a request whose token it has seen (its signature
//! already paid; key, claims, revocation and scopes checked every time).

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::routing::get;
use axum::Router;
use jwtkeep_guard::{FeedConfig, Guard, GuardConfig, GuardLayer};
use tower::ServiceExt as _;
use zeroize::Zeroizing;

fn required(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| panic!("set {name}"))
}

async fn hello() -> &'static str {
    "hello\n"
}

fn request(token: &str) -> Request<Body> {
    Request::get("/orders")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap()
}

/// Mean time per request of `router` over `n` calls.
async fn mean(router: &Router, token: &str, n: u32) -> Duration {
    let started = Instant::now();
    for _ in 0..n {
        let answer = router.clone().oneshot(request(token)).await.unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
    }
    started.elapsed() / n
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let issuer = args.first().expect("usage: guarded-api ISSUER (PLAIN GUARDED | --in-process)");
    let feed = FeedConfig::new(
        issuer,
        &required("JWTKEEP_CLIENT_ID"),
        Zeroizing::new(required("JWTKEEP_CLIENT_SECRET")),
    );
    let guard = Guard::start(GuardConfig::new(issuer, "jwtkeep", feed))
        .await
        .expect("the guard starts");
    let plain = Router::new().route("/orders", get(hello));
    let guarded = Router::new()
        .route("/orders", get(hello))
        .layer(GuardLayer::new(guard));

    if args.get(1).map(String::as_str) == Some("--in-process") {
        let token = required("TOKEN");
        // Warm-up: the guard pays the token's signature once here.
        mean(&plain, &token, 10_000).await;
        mean(&guarded, &token, 10_000).await;
        let (mut bare, mut with) = (Vec::new(), Vec::new());
        for _ in 0..10 {
            bare.push(mean(&plain, &token, 50_000).await);
            with.push(mean(&guarded, &token, 50_000).await);
        }
        bare.sort();
        with.sort();
        let (bare, with) = (bare[bare.len() / 2], with[with.len() / 2]);
        println!(
            "in_process plain_ns={} guarded_ns={} added_ns={}",
            bare.as_nanos(),
            with.as_nanos(),
            with.as_nanos().saturating_sub(bare.as_nanos())
        );
        return;
    }
    let port = |i: usize| -> u16 {
        args.get(i)
            .and_then(|p| p.parse().ok())
            .expect("usage: guarded-api ISSUER PLAIN_PORT GUARDED_PORT")
    };
    let (plain_port, guarded_port) = (port(1), port(2));
    let plain_listener = tokio::net::TcpListener::bind(("127.0.0.1", plain_port))
        .await
        .unwrap();
    let guarded_listener = tokio::net::TcpListener::bind(("127.0.0.1", guarded_port))
        .await
        .unwrap();
    println!("listening");
    let bare = tokio::spawn(async move { axum::serve(plain_listener, plain).await });
    axum::serve(guarded_listener, guarded).await.unwrap();
    bare.await.unwrap().unwrap();
}
