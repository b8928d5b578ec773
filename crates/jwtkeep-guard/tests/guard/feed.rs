//! The guard following a real `jwtkeep serve` (in process, on 127.0.0.1,
//! over a SQLite file): the service's own revocation view, fed over HTTP.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jwtkeep_guard::{FeedClient, FeedConfig};
use jwtkeep_server::passwords::PasswordPool;
use jwtkeep_server::{create_user, Config, Service};
use jwtkeep_store::{
    ClientSecretHash, Clients as _, MasterKey, RevocationFeed as _, RevocationView, Revoked,
    SqliteStore, TokenFacts, ViewSync,
};
use serde_json::{json, Value};
use zeroize::Zeroizing;

const PASSWORD: &str = "correct horse battery staple";
const SECRET: &str = "guard-client-secret-guard-client-secret";

/// Seconds since the epoch.
fn now() -> i64 {
    let elapsed = std::time::UNIX_EPOCH.elapsed().unwrap();
    elapsed.as_secs().cast_signed()
}

struct Service_ {
    addr: SocketAddr,
    server: tokio::task::JoinHandle<()>,
    _dir: tempfile::TempDir,
}

async fn serve() -> Service_ {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.db")).await.unwrap();
    create_user(
        &store,
        &PasswordPool::new(1, 1).unwrap(),
        "alice",
        Zeroizing::new(PASSWORD.into()),
        false,
        now(),
    )
    .await
    .unwrap();
    store
        .create_client("guard", ClientSecretHash::of(SECRET), now())
        .await
        .unwrap();
    let (master, _) = MasterKey::generate().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        issuer: format!("http://{addr}"),
        ..Config::default()
    };
    let app = Service::start(store, master, config, Arc::new(now))
        .await
        .unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Service_ {
        addr,
        server,
        _dir: dir,
    }
}

/// A blocking HTTP call (from a blocking thread): status and JSON body.
async fn call(
    addr: SocketAddr,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("http://{addr}{path}");
    let bearer = bearer.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let mut response = match body {
            Some(body) => {
                let mut request = agent.post(&url);
                if let Some(token) = &bearer {
                    request = request.header("Authorization", &format!("Bearer {token}"));
                }
                request
                    .header("Content-Type", "application/json")
                    .send(body.to_string())
            }
            None => {
                let mut request = agent.post(&url);
                if let Some(token) = &bearer {
                    request = request.header("Authorization", &format!("Bearer {token}"));
                }
                request.send_empty()
            }
        }
        .unwrap();
        let status = response.status().as_u16();
        let text = response.body_mut().read_to_string().unwrap_or_default();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    })
    .await
    .unwrap()
}

fn facts(claims: &Value) -> (String, String, String, String, i64) {
    let text = |k: &str| claims[k].as_str().unwrap().to_owned();
    (
        text("iss"),
        text("jti"),
        text("sub"),
        text("sid"),
        claims["iat"].as_i64().unwrap(),
    )
}

fn claims_of(token: &str) -> Value {
    let decoded = jwtkeep_core::inspect::decode_unverified(token).unwrap();
    Value::Object(decoded.claims.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_learns_of_a_logout_from_the_stream_and_fails_closed_without_the_service() {
    let service = serve().await;
    let feed = FeedClient::start(FeedConfig::new(
        &format!("http://{}", service.addr),
        "guard",
        Zeroizing::new(SECRET.to_owned()),
    ));
    let identity = feed.identity().await.unwrap().unwrap();
    let view = RevocationView::new(Duration::from_secs(2)).expecting(identity);
    // Polling every minute: anything sooner is the stream's doing.
    let _sync = ViewSync::spawn(feed.clone(), view.clone(), Duration::from_secs(60), now);

    let (status, pair) = call(
        service.addr,
        "/v1/auth/login",
        None,
        Some(json!({"username": "alice", "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "{pair}");
    let access = pair["access_token"].as_str().unwrap().to_owned();
    let (iss, jti, sub, sid, iat) = facts(&claims_of(&access));
    let token = TokenFacts::new(&iss, &jti, &sub, iat).in_session(&sid);
    let mut syncs = view.syncs();
    while view.check(token, now()).is_err() {
        syncs.changed().await.unwrap();
    }
    assert_eq!(view.check(token, now()).unwrap(), None);

    let (status, _) = call(service.addr, "/v1/auth/logout", Some(&access), None).await;
    assert_eq!(status, 200);
    let logged_out = Instant::now();
    while view.check(token, now()).unwrap() != Some(Revoked::Token) {
        assert!(
            logged_out.elapsed() < Duration::from_secs(5),
            "the guard never learnt of the logout"
        );
        tokio::time::timeout(Duration::from_secs(5), syncs.changed())
            .await
            .unwrap()
            .unwrap();
    }
    let learnt_in = logged_out.elapsed();
    assert!(learnt_in < Duration::from_secs(1), "{learnt_in:?}");
    // Another token of the same session: its session ended with it.
    let sibling = TokenFacts::new(&iss, "another-jti", &sub, iat).in_session(&sid);
    assert_eq!(view.check(sibling, now()).unwrap(), Some(Revoked::Session));

    // The service goes away: past the bound, the guard refuses to answer.
    service.server.abort();
    let _ = service.server.await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let refused = view.check(sibling, now()).unwrap_err();
    assert_eq!(refused.code(), "revocations_stale");
}
