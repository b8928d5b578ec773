//! The issuer's metadata (RFC 8414, OpenID Connect Discovery) against a
//! real server on 127.0.0.1 publishing what each test gives it.

use std::collections::HashMap;
use std::time::Duration;

use axum::http::{StatusCode, Uri};
use jwtkeep_guard::{jwks_uri, DiscoveryError, FeedConfig, Guard, GuardConfig, GuardError};
use zeroize::Zeroizing;

/// A server answering each path with the (status, body) that `documents`
/// gives for its base URL, 404 elsewhere: its base URL.
async fn metadata_server(documents: impl Fn(&str) -> Vec<(&'static str, u16, String)>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let documents: HashMap<&str, (u16, String)> = documents(&base)
        .into_iter()
        .map(|(path, status, body)| (path, (status, body)))
        .collect();
    let app = axum::Router::new().fallback(move |uri: Uri| {
        let answer = documents.get(uri.path()).cloned();
        async move {
            match answer {
                Some((status, body)) => (StatusCode::from_u16(status).unwrap(), body),
                None => (StatusCode::NOT_FOUND, String::new()),
            }
        }
    });
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

async fn discover(issuer: &str) -> Result<Option<String>, DiscoveryError> {
    let issuer = issuer.to_owned();
    tokio::task::spawn_blocking(move || jwks_uri(&issuer, Duration::from_secs(2)))
        .await
        .unwrap()
}

fn metadata(issuer: &str, jwks: &str) -> String {
    serde_json::json!({"issuer": issuer, "jwks_uri": jwks}).to_string()
}

const RFC_8414: &str = "/.well-known/oauth-authorization-server";
const OPENID: &str = "/.well-known/openid-configuration";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_jwks_is_found_from_the_issuers_metadata() {
    // RFC 8414 first; for an issuer with a path, after the well-known segment.
    let base = metadata_server(|base| {
        vec![
            (
                "/.well-known/oauth-authorization-server/tenant",
                200,
                metadata(&format!("{base}/tenant"), "https://keys.example.com/8414"),
            ),
            (
                "/tenant/.well-known/openid-configuration",
                200,
                metadata(&format!("{base}/tenant"), "https://keys.example.com/oidc"),
            ),
        ]
    })
    .await;
    let found = discover(&format!("{base}/tenant")).await;
    assert_eq!(found, Ok(Some("https://keys.example.com/8414".to_owned())));

    // OpenID Connect's where RFC 8414's is absent.
    let base =
        metadata_server(|base| vec![(OPENID, 200, metadata(base, &format!("{base}/keys")))]).await;
    assert_eq!(discover(&base).await, Ok(Some(format!("{base}/keys"))));

    // Neither: none (the guard then asks {issuer}/.well-known/jwks.json).
    let base = metadata_server(|_| Vec::new()).await;
    assert_eq!(discover(&base).await, Ok(None));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metadata_that_is_not_the_issuers_is_refused() {
    for (documents, want) in [
        // Another issuer's metadata (a mix-up, RFC 8414 §3.3).
        (
            vec![(
                RFC_8414,
                200,
                metadata("https://evil.example.com", "https://evil.example.com/k"),
            )],
            "refused",
        ),
        // Metadata of an issuer named otherwise, and a document that is not JSON.
        (
            vec![(RFC_8414, 200, r#"{"issuer": "x"}"#.to_owned())],
            "refused",
        ),
        (vec![(OPENID, 200, "<html>".to_owned())], "refused"),
        // An error is not an absence: the guard does not guess.
        (vec![(RFC_8414, 500, String::new())], "unreachable"),
    ] {
        let base = metadata_server(move |_| documents.clone()).await;
        let answer = discover(&base).await;
        let kind = match &answer {
            Err(DiscoveryError::Refused { .. }) => "refused",
            Err(DiscoveryError::Unreachable { .. }) => "unreachable",
            _ => "accepted",
        };
        assert_eq!(kind, want, "{answer:?}");
    }
    // The metadata names the issuer but no jwks_uri.
    let base = metadata_server(|base| {
        vec![(
            RFC_8414,
            200,
            serde_json::json!({"issuer": base}).to_string(),
        )]
    })
    .await;
    assert!(matches!(
        discover(&base).await,
        Err(DiscoveryError::Refused { .. })
    ));

    // A guard pointed at such an issuer does not start.
    let base = metadata_server(|_| {
        vec![(
            RFC_8414,
            200,
            metadata("https://evil.example.com", "https://evil.example.com/k"),
        )]
    })
    .await;
    let feed = FeedConfig::new(&base, "guard", Zeroizing::new("unused-secret".to_owned()));
    let started = Guard::start(GuardConfig::new(&base, "jwtkeep", feed)).await;
    assert!(
        matches!(
            started,
            Err(GuardError::Discovery(DiscoveryError::Refused { .. }))
        ),
        "{:?}",
        started.err()
    );
}
