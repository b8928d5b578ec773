//! A real `jwtkeep serve` for the guard's tests: in process, on 127.0.0.1,
//! over a SQLite file, with the user "alice", the administrator "root" and
//! the client "guard".

use std::net::SocketAddr;
use std::sync::Arc;

use jwtkeep_server::passwords::PasswordPool;
use jwtkeep_server::{create_user, Config, Service};
use jwtkeep_store::{ClientSecretHash, Clients as _, MasterKey, SqliteStore};
use serde_json::Value;
use zeroize::Zeroizing;

pub const PASSWORD: &str = "correct horse battery staple";
pub const SECRET: &str = "guard-client-secret-guard-client-secret";

/// Seconds since the epoch.
pub fn now() -> i64 {
    let elapsed = std::time::UNIX_EPOCH.elapsed().unwrap();
    elapsed.as_secs().cast_signed()
}

pub struct Serve {
    pub addr: SocketAddr,
    pub server: tokio::task::JoinHandle<()>,
    master: jwtkeep_core::Secret,
    dir: tempfile::TempDir,
}

pub async fn serve() -> Serve {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.db")).await.unwrap();
    let pool = PasswordPool::new(1, 1).unwrap();
    for (name, admin) in [("alice", false), ("root", true)] {
        let password = Zeroizing::new(PASSWORD.to_owned());
        create_user(
            &store,
            &pool,
            name,
            password,
            admin,
            jwtkeep_store::Scopes::none(),
            now(),
        )
        .await
        .unwrap();
    }
    store
        .create_client(
            "guard",
            ClientSecretHash::of(SECRET),
            jwtkeep_store::Scopes::none(),
            now(),
        )
        .await
        .unwrap();
    let (_, master) = MasterKey::generate().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = run(store, &master, listener).await;
    Serve {
        addr,
        server,
        master,
        dir,
    }
}

/// The service over `store`, on `listener`, its issuer the listener's address.
async fn run(
    store: SqliteStore,
    master: &jwtkeep_core::Secret,
    listener: tokio::net::TcpListener,
) -> tokio::task::JoinHandle<()> {
    let addr = listener.local_addr().unwrap();
    let config = Config {
        issuer: format!("http://{addr}"),
        ..Config::default()
    };
    let master = MasterKey::new(master).unwrap();
    let app = Service::start(store, master, config, Arc::new(now))
        .await
        .unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    })
}

impl Serve {
    /// Stops listening (connections already open are left to close).
    pub async fn stop(&mut self) {
        self.server.abort();
        let _ = (&mut self.server).await;
    }

    /// Starts again on the same address, store and keys.
    pub async fn restart(&mut self) {
        let store = SqliteStore::open(self.dir.path().join("s.db"))
            .await
            .unwrap();
        let listener = tokio::net::TcpListener::bind(self.addr).await.unwrap();
        self.server = run(store, &self.master, listener).await;
    }
}

/// A blocking HTTP call (from a blocking thread): status and JSON body.
pub async fn call(
    addr: SocketAddr,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let url = format!("http://{addr}{path}");
    let bearer = bearer.map(str::to_owned);
    tokio::task::spawn_blocking(move || {
        let agent = agent();
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

pub fn facts(claims: &Value) -> (String, String, String, String, i64) {
    let text = |k: &str| claims[k].as_str().unwrap().to_owned();
    (
        text("iss"),
        text("jti"),
        text("sub"),
        text("sid"),
        claims["iat"].as_i64().unwrap(),
    )
}

pub fn claims_of(token: &str) -> Value {
    let decoded = jwtkeep_core::inspect::decode_unverified(token).unwrap();
    Value::Object(decoded.claims.unwrap())
}

/// Logs alice in at `service`: her access token.
pub async fn login(service: &Serve) -> String {
    login_as(service, "alice").await
}

/// Logs `username` in at `service`: the access token.
pub async fn login_as(service: &Serve, username: &str) -> String {
    let body = serde_json::json!({"username": username, "password": PASSWORD});
    let (status, pair) = call(service.addr, "/v1/auth/login", None, Some(body)).await;
    assert_eq!(status, 200, "{pair}");
    pair["access_token"].as_str().unwrap().to_owned()
}

/// A client that reports every status rather than failing on 4xx and 5xx.
pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into()
}

/// Asks `accepted` until it answers false, waiting for the next revocation
/// sync between two asks; fails when that takes a second or more.
pub async fn refused_within_a_second<F, Fut>(
    syncs: &mut tokio::sync::watch::Receiver<u64>,
    mut accepted: F,
) where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = std::time::Instant::now();
    while accepted().await {
        let waited = started.elapsed();
        assert!(
            waited < std::time::Duration::from_secs(1),
            "still accepted after {waited:?}"
        );
        tokio::time::timeout(std::time::Duration::from_secs(1), syncs.changed())
            .await
            .unwrap()
            .unwrap();
    }
}
