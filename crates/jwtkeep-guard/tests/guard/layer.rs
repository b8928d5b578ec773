//! The guard as a tower layer in front of a real axum API on 127.0.0.1,
//! tokens from a real `jwtkeep serve`.

use std::net::SocketAddr;

use axum::routing::get;
use axum::Router;
use jwtkeep_guard::{Authenticated, FeedConfig, Guard, GuardConfig, GuardLayer};
use serde_json::Value;
use zeroize::Zeroizing;

use crate::service::{agent, call, login, login_as, refused_within_a_second, serve, SECRET};

/// The API: `/profile` for any valid token, `/admin/...` for the `admin` scope.
async fn api(guard: Guard) -> SocketAddr {
    let app = Router::new()
        .route(
            "/profile",
            get(|who: Authenticated| async move {
                axum::Json(serde_json::json!({
                    "sub": who.claims().sub(),
                    "scopes": who.scopes(),
                }))
            }),
        )
        .route("/admin/report", get(|| async { "the report" }))
        .layer(GuardLayer::new(guard).require("/admin", &["admin"]));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// GET `path` at `addr`: status, `WWW-Authenticate`, body.
async fn get_with(addr: SocketAddr, path: &str, bearer: Option<&str>) -> (u16, String, Value) {
    let url = format!("http://{addr}{path}");
    let bearer = bearer.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let mut request = agent().get(&url);
        if let Some(token) = &bearer {
            request = request.header("Authorization", &format!("Bearer {token}"));
        }
        let mut response = request.call().unwrap();
        let challenge = response
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        (response.status().as_u16(), challenge, body)
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_layer_answers_as_rfc_6750_says_and_handlers_get_the_claims() {
    let service = serve().await;
    let issuer = format!("http://{}", service.addr);
    let feed = FeedConfig::new(&issuer, "guard", Zeroizing::new(SECRET.to_owned()));
    let guard = Guard::start(GuardConfig::new(&issuer, "jwtkeep", feed))
        .await
        .unwrap();
    let mut syncs = guard.revocation_syncs();
    while guard.ready().is_err() {
        syncs.changed().await.unwrap();
    }
    let api = api(guard).await;
    let (alice, root) = (login(&service).await, login_as(&service, "root").await);

    let (status, challenge, body) = get_with(api, "/profile", None).await;
    assert_eq!(
        (status, challenge.as_str(), &body["error"]),
        (401, "Bearer", &Value::from("missing_token"))
    );
    let (status, challenge, body) = get_with(api, "/profile", Some("not.a.token")).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("invalid_token"))
    );
    assert_eq!(challenge, "Bearer error=\"invalid_token\"");

    let (status, _, body) = get_with(api, "/profile", Some(&alice)).await;
    assert_eq!(status, 200, "{body}");
    assert!(body["sub"].as_str().is_some_and(|s| !s.is_empty()));
    let (status, challenge, body) = get_with(api, "/admin/report", Some(&alice)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (403, Some("insufficient_scope"))
    );
    assert_eq!(
        challenge,
        "Bearer error=\"insufficient_scope\", scope=\"admin\""
    );
    // A prefix on a path boundary only: /administrator is not /admin.
    let (status, _, _) = get_with(api, "/administrator", Some(&alice)).await;
    assert_eq!(status, 404);
    let (status, _, body) = get_with(api, "/admin/report", Some(&root)).await;
    assert_eq!(
        (status, body),
        (200, Value::String("the report".to_owned()))
    );

    // Logged out at the service: refused at the API within a second.
    let (status, _) = call(service.addr, "/v1/auth/logout", Some(&alice), None).await;
    assert_eq!(status, 200);
    refused_within_a_second(&mut syncs, || async {
        get_with(api, "/profile", Some(&alice)).await.0 == 200
    })
    .await;
    let (status, _, body) = get_with(api, "/profile", Some(&alice)).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (401, Some("token_revoked"))
    );
}
