//! Machine tokens (the client credentials grant at /oauth2/token) and the
//! authorization server metadata, in process over a real SQLite store.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use jwtkeep_server::Config;
use jwtkeep_store::{ClientSecretHash, Clients as _, Scopes};
use serde_json::{json, Value};

use crate::common;
use common::{basic, fixture, fixture_with, oauth, send, Fixture, T0};

const SECRET: &str = "mN8vQ2xR7wTcB4kL9pS3dF6gH1jZ5aYqWeRtUiOpLkJ";

/// A service with the client "billing", allowed `orders:read invoices:write`.
async fn with_machine_client(config: Config) -> (Fixture, String) {
    let f = fixture_with(config).await;
    f.store
        .create_client(
            "billing",
            ClientSecretHash::of(SECRET),
            Scopes::parse("orders:read,invoices:write").unwrap(),
            T0,
        )
        .await
        .unwrap();
    (f, basic("billing", SECRET))
}

async fn token(f: &Fixture, auth: Option<&str>, form: &str) -> (StatusCode, Value) {
    let (status, headers, body) = oauth(f, "/oauth2/token", auth, form).await;
    if status == StatusCode::OK {
        assert_eq!(headers["cache-control"], "no-store");
    }
    if status == StatusCode::UNAUTHORIZED {
        assert_eq!(headers["www-authenticate"], "Basic realm=\"jwtkeep\"");
    }
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_gets_a_revocable_rfc9068_token_with_its_scopes() {
    let (f, auth) = with_machine_client(Config::default()).await;
    let (status, body) = token(&f, Some(&auth), "grant_type=client_credentials").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["scope"], "invoices:write orders:read");
    assert!(body.get("refresh_token").is_none(), "{body}");
    let access = body["access_token"].as_str().unwrap();
    let header = jwtkeep_core::inspect::decode_unverified(access)
        .unwrap()
        .header;
    assert_eq!(header["typ"], "at+jwt");
    let (status, me) = f.me(access).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    let claims = &me["claims"];
    assert_eq!(claims["sub"], "billing");
    assert_eq!(claims["client_id"], "billing");
    assert_eq!(claims["scope"], "invoices:write orders:read");
    assert_eq!(
        (claims["iat"].as_i64(), claims["exp"].as_i64()),
        (Some(T0), Some(T0 + 900))
    );
    assert!(claims.get("sid").is_none(), "{claims}");

    // A subset, in any order and repeated; the same client's basic credentials with its client_id.
    let form = "grant_type=client_credentials&scope=orders:read%20orders:read&client_id=billing";
    let (status, body) = token(&f, Some(&auth), form).await;
    assert_eq!(
        (status, body["scope"].as_str()),
        (StatusCode::OK, Some("orders:read"))
    );

    // Introspection shows it as the client's; revocation ends it.
    let (_, _, seen) = oauth(
        &f,
        "/oauth2/introspect",
        Some(&auth),
        &format!("token={access}"),
    )
    .await;
    assert_eq!(
        (seen["active"].as_bool(), seen["client_id"].as_str()),
        (Some(true), Some("billing"))
    );
    let (status, _, _) = oauth(
        &f,
        "/oauth2/revoke",
        Some(&auth),
        &format!("token={access}"),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = f.me(access).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("token_revoked"))
    );
    let log = f.log.lock().unwrap().clone();
    let issued = log
        .iter()
        .filter(|e| e["event"] == "client.token_issued")
        .count();
    assert_eq!(issued, 2);
    assert!(!serde_json::to_string(&log).unwrap().contains(SECRET));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_token_requests_get_rfc6749_errors() {
    let (f, auth) = with_machine_client(Config::default()).await;
    let in_body = format!("grant_type=client_credentials&client_secret={SECRET}");
    let only_body =
        format!("grant_type=client_credentials&client_id=billing&client_secret={SECRET}");
    let cases: Vec<(Option<String>, &str, StatusCode, &str)> = vec![
        (
            None,
            "grant_type=client_credentials",
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            Some(basic("billing", "wrong")),
            "grant_type=client_credentials",
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            Some(basic("nobody", SECRET)),
            "grant_type=client_credentials",
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (
            Some("Bearer x".to_owned()),
            "grant_type=client_credentials",
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        // The secret in the body: refused even beside the right header.
        (
            Some(auth.clone()),
            &in_body,
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
        (None, &only_body, StatusCode::UNAUTHORIZED, "invalid_client"),
        (
            Some(auth.clone()),
            "grant_type=password&username=a&password=b",
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            Some(auth.clone()),
            "grant_type=authorization_code&code=x",
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            Some(auth.clone()),
            "grant_type=refresh_token&refresh_token=x",
            StatusCode::BAD_REQUEST,
            "unsupported_grant_type",
        ),
        (
            Some(auth.clone()),
            "",
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Some(auth.clone()),
            "grant_type=client_credentials&grant_type=client_credentials",
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Some(auth.clone()),
            "grant_type=client_credentials&client_id=other",
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            Some(auth.clone()),
            "grant_type=client_credentials&scope=orders:write",
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            Some(auth.clone()),
            "grant_type=client_credentials&scope=admin",
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            Some(auth.clone()),
            "grant_type=client_credentials&scope=orders%2Cread",
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
        (
            Some(auth.clone()),
            "grant_type=client_credentials&scope=%FF",
            StatusCode::BAD_REQUEST,
            "invalid_scope",
        ),
    ];
    for (authorization, form, want, code) in cases {
        let (status, body) = token(&f, authorization.as_deref(), form).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (want, Some(code)),
            "{form}: {body}"
        );
        assert_eq!(body["error_description"], body["message"], "{form}");
    }
    // A JSON body is not a form.
    let request = Request::post("/oauth2/token")
        .header("authorization", &auth)
        .header("content-type", "application/json")
        .body(Body::from(r#"{"grant_type":"client_credentials"}"#))
        .unwrap();
    let (status, _, body) = send(&f.app, request).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_client_authentications_are_limited_like_logins() {
    let config = Config {
        login_attempts: 3,
        ..Config::default()
    };
    let (f, auth) = with_machine_client(config).await;
    let wrong = basic("billing", "guess");
    for _ in 0..3 {
        let (status, _) = token(&f, Some(&wrong), "grant_type=client_credentials").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, headers, body) = oauth(
        &f,
        "/oauth2/token",
        Some(&wrong),
        "grant_type=client_credentials",
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too_many_attempts"))
    );
    assert!(headers.contains_key("retry-after"));
    // The right secret from the same place waits too: the limit is not a
    // way to learn that a guess was right.
    let (status, _) = token(&f, Some(&auth), "grant_type=client_credentials").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    // Introspection counts against the same limit.
    let (status, _, _) = oauth(&f, "/oauth2/introspect", Some(&auth), "token=x").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    f.set_time(T0 + 901);
    let (status, body) = token(&f, Some(&auth), "grant_type=client_credentials").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let log = f.log.lock().unwrap().clone();
    let named = |name: &str| log.iter().filter(|e| e["event"] == name).count();
    assert_eq!(named("client.auth_failed"), 3);
    assert!(named("client.auth_limited") >= 1);
    assert!(!serde_json::to_string(&log).unwrap().contains("guess"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_metadata_names_the_issuers_endpoints_and_only_what_it_does() {
    let (f, _) = with_machine_client(Config::default()).await;
    let issuer = Config::default().issuer;
    let mut documents = Vec::new();
    for path in [
        "/.well-known/oauth-authorization-server",
        "/.well-known/openid-configuration",
    ] {
        let (status, headers, body) =
            send(&f.app, Request::get(path).body(Body::empty()).unwrap()).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert_eq!(headers["cache-control"], "public, max-age=300");
        documents.push(body);
    }
    assert_eq!(documents[0], documents[1]);
    assert_eq!(
        documents[0],
        json!({
            "issuer": issuer,
            "jwks_uri": format!("{issuer}/.well-known/jwks.json"),
            "token_endpoint": format!("{issuer}/oauth2/token"),
            "introspection_endpoint": format!("{issuer}/oauth2/introspect"),
            "revocation_endpoint": format!("{issuer}/oauth2/revoke"),
            "grant_types_supported": ["client_credentials"],
            "response_types_supported": [],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            "introspection_endpoint_auth_methods_supported": ["client_secret_basic"],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic"],
            "scopes_supported": ["invoices:write", "orders:read"],
        })
    );
    let f = fixture().await;
    let (_, _, body) = send(
        &f.app,
        Request::get("/.well-known/openid-configuration")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(body["scopes_supported"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn basic_credentials_form_encoded_as_rfc6749_asks_are_accepted() {
    let (f, _) = with_machine_client(Config::default()).await;
    f.store
        .create_client(
            "svc+jobs@example.com",
            ClientSecretHash::of(SECRET),
            Scopes::none(),
            T0,
        )
        .await
        .unwrap();
    for name in ["svc%2Bjobs%40example.com", "svc+jobs@example.com"] {
        let auth = basic(name, SECRET);
        let (status, body) = token(&f, Some(&auth), "grant_type=client_credentials").await;
        assert_eq!(status, StatusCode::OK, "{name}: {body}");
    }
}
