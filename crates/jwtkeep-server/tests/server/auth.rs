//! Login and /me in process, over a real SQLite store.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use jwtkeep_core::{Algorithm, JwkSet, KeyRing, Policy, Verifier};
use jwtkeep_server::{passwords, Config, Control, Service};
use jwtkeep_store::{Revocation, Revocations as _, SqliteStore, Users as _};
use serde_json::{json, Value};

use crate::common;

const T0: i64 = 1_800_000_000;
const PASSWORD: &str = "correct horse battery staple";

struct Fixture {
    app: Router,
    control: Control<SqliteStore>,
    store: SqliteStore,
    now: Arc<AtomicI64>,
    user_id: String,
    _dir: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.db")).await.unwrap();
    let user = store
        .create_user(
            "alice@example.com",
            passwords::hash(PASSWORD).unwrap(),
            false,
            jwtkeep_store::Scopes::none(),
            T0,
        )
        .await
        .unwrap();
    let now = Arc::new(AtomicI64::new(T0));
    let clock = Arc::clone(&now);
    let (master, _) = jwtkeep_store::MasterKey::generate().unwrap();
    let (app, control) = Service::start_with_control(
        store.clone(),
        master,
        Config::default(),
        Arc::new(move || clock.load(Ordering::SeqCst)),
    )
    .await
    .unwrap();
    Fixture {
        app,
        control,
        store,
        now,
        user_id: user.id,
        _dir: dir,
    }
}

use common::send;

/// Brings the service's revocation view up to date (as its background sync
/// would), then makes `call`, which must answer 401; the 401's body.
async fn refused_once_synced<F, Fut>(f: &Fixture, call: F) -> Value
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = (StatusCode, Value)>,
{
    f.control.sync_revocations().await.unwrap();
    let (status, body) = call().await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    body
}

fn login_request(body: &str) -> Request<Body> {
    Request::post("/v1/auth/login")
        .header("content-type", "application/json")
        .body(Body::from(body.to_owned()))
        .unwrap()
}

async fn login(
    app: &Router,
    username: &str,
    password: &str,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    send(
        app,
        login_request(&json!({"username": username, "password": password}).to_string()),
    )
    .await
}

async fn me(app: &Router, token: &str) -> (StatusCode, Value) {
    let (status, _, body) = send(
        app,
        Request::get("/v1/auth/me")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_issues_an_access_token_that_verifies_from_the_jwks_alone() {
    let f = fixture().await;
    let (status, headers, body) = login(&f.app, "Alice@Example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    let access = body["access_token"].as_str().unwrap();
    let refresh = body["refresh_token"].as_str().unwrap();

    // Another service, holding only the JWKS, verifies the access token.
    let (_, _, jwks) = send(
        &f.app,
        Request::get("/.well-known/jwks.json")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    let set: JwkSet = serde_json::from_value(jwks).unwrap();
    let verifier = Verifier::new(
        KeyRing::from_jwk_set(&set, Some(Algorithm::Es256)).unwrap(),
        Policy::new()
            .issuer("http://127.0.0.1:8080")
            .audience("jwtkeep")
            .typ("at+jwt"),
    );
    let verified = verifier.verify_at(access, T0 + 1).unwrap();
    assert_eq!(verified.payload().sub(), Some(f.user_id.as_str()));
    assert_eq!(verified.payload().exp(), Some(T0 + 900));
    assert_eq!(verified.payload().get("client_id"), Some(json!("jwtkeep")));
    // The refresh token is not an access token anywhere: another key and another typ.
    assert!(verifier.verify_at(refresh, T0 + 1).is_err());

    let (status, body) = me(&f.app, access).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["claims"]["sub"], f.user_id.as_str());
    let (status, body) = me(&f.app, refresh).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let f = fixture().await;
    let (s1, _, wrong) = login(&f.app, "alice@example.com", "not the password at all").await;
    let (s2, _, unknown) = login(&f.app, "nobody@example.com", PASSWORD).await;
    assert_eq!(
        (s1, s2),
        (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED)
    );
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["error"], "invalid_credentials");
    // A disabled user is refused the same way.
    f.store.set_disabled(&f.user_id, true, T0).await.unwrap();
    let (s3, _, disabled) = login(&f.app, "alice@example.com", PASSWORD).await;
    assert_eq!(s3, StatusCode::UNAUTHORIZED);
    assert_eq!(disabled, wrong);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_parallel_burst_of_wrong_passwords_is_cut_at_the_limit() {
    let f = fixture().await;
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let app = f.app.clone();
            tokio::spawn(async move {
                login(&app, "alice@example.com", &format!("wrong password {i:04}")).await
            })
        })
        .collect();
    let mut unauthorized = 0;
    let mut limited = 0;
    for task in tasks {
        let (status, headers, body) = task.await.unwrap();
        match status {
            StatusCode::UNAUTHORIZED => unauthorized += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                limited += 1;
                assert_eq!(body["error"], "too_many_attempts");
                let retry: i64 = headers
                    .get("retry-after")
                    .unwrap()
                    .to_str()
                    .unwrap()
                    .parse()
                    .unwrap();
                assert!((1..=900).contains(&retry));
            }
            other => panic!("{other}"),
        }
    }
    assert_eq!(
        (unauthorized, limited),
        (5, 7),
        "only the limit's worth of passwords were checked"
    );
    // Even the right password waits for the window.
    let (status, _, _) = login(&f.app, "alice@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    f.now.store(T0 + 900, Ordering::SeqCst);
    let (status, _, _) = login(&f.app, "alice@example.com", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoked_and_expired_access_tokens_are_refused_by_me() {
    let f = fixture().await;
    let (_, _, body) = login(&f.app, "alice@example.com", PASSWORD).await;
    let access = body["access_token"].as_str().unwrap().to_owned();
    assert_eq!(me(&f.app, &access).await.0, StatusCode::OK);
    // Log out everywhere: the view learns of it and /me refuses the token.
    f.store
        .revoke(
            Revocation::Subject {
                subject: f.user_id.clone(),
                before: T0 + 1,
            },
            T0,
        )
        .await
        .unwrap();
    let refused = refused_once_synced(&f, || me(&f.app, &access)).await;
    assert_eq!(refused["error"], "subject_revoked");
    // Past its exp (and the leeway) the token is expired whatever else holds.
    f.now.store(T0 + 900 + 31, Ordering::SeqCst);
    let (status, body) = me(&f.app, &access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(
        body["message"].as_str().unwrap().contains("token_expired"),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_are_4xx_json_never_500() {
    let f = fixture().await;
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (
            login_request("{not json"),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            login_request(r#"{"username": "a"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            login_request(r#"{"username": "a", "password": "b", "admin": true}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            login_request(r#"{"username": 5, "password": "b"}"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Request::post("/v1/auth/login")
                .header("content-type", "text/plain")
                .body(Body::from("{}"))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            Request::post("/v1/auth/login")
                .header("content-type", "application/json")
                .body(Body::from(vec![0xff, 0xfe, b'{']))
                .unwrap(),
            StatusCode::BAD_REQUEST,
            "invalid_json",
        ),
        (
            login_request(&format!(
                r#"{{"username": "a", "password": "{}"}}"#,
                "x".repeat(20_000)
            )),
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
        ),
        (
            login_request(r#"["alice@example.com", "correct horse battery staple"]"#),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_request",
        ),
        (
            Request::post("/v1/auth/login")
                .header("content-type", "application/json; charset=utf-16")
                .body(Body::from(r#"{"username": "a", "password": "b"}"#))
                .unwrap(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            Request::get("/v1/auth/me").body(Body::empty()).unwrap(),
            StatusCode::UNAUTHORIZED,
            "missing_token",
        ),
        (
            Request::get("/v1/auth/me")
                .header("authorization", "Bearer not.a.token")
                .body(Body::empty())
                .unwrap(),
            StatusCode::UNAUTHORIZED,
            "invalid_token",
        ),
        (
            Request::get("/v1/auth/login").body(Body::empty()).unwrap(),
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
    ];
    for (request, want_status, want_code) in cases {
        let label = format!("{} {}", request.method(), request.uri());
        let (status, headers, body) = send(&f.app, request).await;
        assert_eq!(status, want_status, "{label}: {body}");
        assert_eq!(body["error"], want_code, "{label}: {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{label}"
        );
        assert_eq!(headers.get("x-frame-options").unwrap(), "DENY", "{label}");
    }
}

async fn refresh(app: &Router, token: &str) -> (StatusCode, Value) {
    let (status, _, body) = send(
        app,
        Request::post("/v1/auth/refresh")
            .header("content-type", "application/json")
            .body(Body::from(json!({ "refresh_token": token }).to_string()))
            .unwrap(),
    )
    .await;
    (status, body)
}

fn jti_of(token: &str) -> String {
    let payload = token.split('.').nth(1).unwrap();
    let claims: Value = serde_json::from_slice(&base64_url_decode(payload)).unwrap();
    claims["jti"].as_str().unwrap().to_owned()
}

fn base64_url_decode(text: &str) -> Vec<u8> {
    use jwtkeep_core::encoding::TextEncoding;
    TextEncoding::Base64Url.decode(text).unwrap().to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_rotates_and_reuse_of_a_rotated_token_ends_the_session() {
    let f = fixture().await;
    let (_, _, first) = login(&f.app, "alice@example.com", PASSWORD).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();

    f.now.store(T0 + 60, Ordering::SeqCst);
    let (status, second) = refresh(&f.app, &r1).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let r2 = second["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(jti_of(&r1), jti_of(&r2));
    assert_eq!(
        me(&f.app, second["access_token"].as_str().unwrap()).await.0,
        StatusCode::OK
    );

    // Within the grace window a second tab presenting r1 gets the same successor.
    f.now.store(T0 + 65, Ordering::SeqCst);
    let (status, racing) = refresh(&f.app, &r1).await;
    assert_eq!(status, StatusCode::OK, "{racing}");
    assert_eq!(
        jti_of(racing["refresh_token"].as_str().unwrap()),
        jti_of(&r2)
    );

    // Later, r1 again is reuse: the family ends, r2 dies with it, the event is kept.
    f.now.store(T0 + 120, Ordering::SeqCst);
    let (status, body) = refresh(&f.app, &r1).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "refresh_reuse");
    let (status, body) = refresh(&f.app, &r2).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "session_revoked");
    let events = jwtkeep_store::Events::events(
        &f.store,
        jwtkeep_store::EventQuery {
            from: T0,
            to: T0 + 1000,
            name: Some("refresh.reuse".into()),
            limit: 10,
        },
    )
    .await
    .unwrap();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].subject.as_deref(), Some(f.user_id.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_refreshes_of_one_token_share_one_successor() {
    let f = fixture().await;
    let (_, _, first) = login(&f.app, "alice@example.com", PASSWORD).await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (app, token) = (f.app.clone(), r1.clone());
            tokio::spawn(async move { refresh(&app, &token).await })
        })
        .collect();
    let mut successors = std::collections::HashSet::new();
    for task in tasks {
        let (status, body) = task.await.unwrap();
        assert_eq!(status, StatusCode::OK, "{body}");
        successors.insert(jti_of(body["refresh_token"].as_str().unwrap()));
    }
    assert_eq!(successors.len(), 1, "one successor, never a new branch");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_access_token_is_not_a_refresh_token_and_log_out_everywhere_ends_refresh() {
    let f = fixture().await;
    let (_, _, first) = login(&f.app, "alice@example.com", PASSWORD).await;
    let (status, body) = refresh(&f.app, first["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "invalid_token");
    f.store
        .revoke(
            Revocation::Subject {
                subject: f.user_id.clone(),
                before: T0 + 1,
            },
            T0,
        )
        .await
        .unwrap();
    let token = first["refresh_token"].as_str().unwrap();
    let last = refused_once_synced(&f, || refresh(&f.app, token)).await;
    assert_eq!(last["error"], "subject_revoked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_revokes_the_access_token_and_ends_the_refresh_family() {
    let f = fixture().await;
    let (_, _, pair) = login(&f.app, "alice@example.com", PASSWORD).await;
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let refresh_token = pair["refresh_token"].as_str().unwrap().to_owned();
    let (status, headers, body) = send(
        &f.app,
        Request::post("/v1/auth/logout")
            .header("authorization", format!("Bearer {access}"))
            .header("content-type", "application/json")
            .body(Body::from(
                json!({ "refresh_token": refresh_token }).to_string(),
            ))
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(headers.get("cache-control").unwrap(), "no-store");
    let answer = refused_once_synced(&f, || me(&f.app, &access)).await;
    assert_eq!(answer["error"], "token_revoked");
    let (status, body) = refresh(&f.app, &refresh_token).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "session_revoked");

    // Without a token, or with someone else's refresh token, nothing happens.
    let (status, _, body) = send(
        &f.app,
        Request::post("/v1/auth/logout")
            .body(Body::empty())
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("missing_token"))
    );
    let (_, _, other) = login(&f.app, "alice@example.com", PASSWORD).await;
    let (status, _, body) = send(
        &f.app,
        Request::post("/v1/auth/logout")
            .header(
                "authorization",
                format!("Bearer {}", other["access_token"].as_str().unwrap()),
            )
            .body(Body::from("{\"nonsense\": 1}"))
            .unwrap(),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_request"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_grace_window_is_a_setting_and_zero_turns_it_off() {
    let f = common::fixture_with(Config {
        refresh_grace_secs: 0,
        ..Config::default()
    })
    .await;
    let first = f.login("alice").await;
    let r1 = first["refresh_token"].as_str().unwrap().to_owned();
    let (status, body) = refresh(&f.app, &r1).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // Without a grace window, presenting r1 again at once is reuse.
    let (status, body) = refresh(&f.app, &r1).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"], "refresh_reuse");
}
