//! Helpers shared by the service's test files: an in-process service over a
//! real SQLite store with a clock the test moves, and request helpers.
#![allow(dead_code)]

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use jwtkeep_server::passwords::PasswordPool;
use jwtkeep_server::{create_user, Config, Control, EventLog, Service};
use jwtkeep_store::SqliteStore;
use serde_json::{json, Value};
use tower::ServiceExt as _;
use zeroize::Zeroizing;

/// Sends `request` to `app` in process; the body parsed as JSON (Null when it is not).
pub(crate) async fn send(app: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, Value) {
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (
        status,
        headers,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

/// Sends `request` to `app` in process; the body as text, read to its end.
pub(crate) async fn send_raw(
    app: &Router,
    request: Request<Body>,
) -> (StatusCode, HeaderMap, String) {
    let response = app.clone().oneshot(request).await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, headers, String::from_utf8(bytes.to_vec()).unwrap())
}

pub(crate) const T0: i64 = 1_800_000_000;
pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// A running service: "root" (an administrator) and "alice" exist, both with [`PASSWORD`].
pub(crate) struct Fixture {
    pub(crate) app: Router,
    /// Runs the service's timed work (revocation sync, key maintenance) on demand.
    pub(crate) control: Control<SqliteStore>,
    pub(crate) store: SqliteStore,
    pub(crate) now: Arc<AtomicI64>,
    pub(crate) log: Arc<Mutex<Vec<Value>>>,
    /// The master key the service's signing keys are sealed with.
    pub(crate) master: jwtkeep_store::MasterKey,
    _dir: tempfile::TempDir,
}

impl Fixture {
    pub(crate) fn set_time(&self, t: i64) {
        self.now.store(t, Ordering::SeqCst);
    }

    pub(crate) async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = Request::builder().method(method).uri(path);
        if let Some(token) = token {
            request = request.header("authorization", format!("Bearer {token}"));
        }
        let body = match body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Body::from(body.to_string())
            }
            None => Body::empty(),
        };
        let (status, _, body) = send(&self.app, request.body(body).unwrap()).await;
        (status, body)
    }

    pub(crate) async fn login(&self, username: &str) -> Value {
        let (status, body) = self
            .call(
                "POST",
                "/v1/auth/login",
                None,
                Some(json!({"username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    /// Tries to log `username` in with `password`: the status and body.
    pub(crate) async fn try_login(&self, username: &str, password: &str) -> (StatusCode, Value) {
        let body = json!({"username": username, "password": password});
        self.call("POST", "/v1/auth/login", None, Some(body)).await
    }

    /// Presents a refresh token: the status and body.
    pub(crate) async fn refresh(&self, refresh_token: &str) -> (StatusCode, Value) {
        let body = json!({"refresh_token": refresh_token});
        self.call("POST", "/v1/auth/refresh", None, Some(body))
            .await
    }

    pub(crate) async fn access(&self, username: &str) -> String {
        self.login(username).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub(crate) async fn me(&self, token: &str) -> (StatusCode, Value) {
        self.call("GET", "/v1/auth/me", Some(token), None).await
    }

    /// Brings the revocation view up to date (as its background sync would),
    /// then asks /me, which must answer 401; the 401's body.
    pub(crate) async fn until_refused(&self, token: &str) -> Value {
        self.control.sync_revocations().await.unwrap();
        let (status, body) = self.me(token).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        body
    }
}

pub(crate) async fn fixture_with(config: Config) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.db")).await.unwrap();
    create_users(&store).await;
    let now = Arc::new(AtomicI64::new(T0));
    let clock = Arc::clone(&now);
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    let config = Config {
        event_log: EventLog::new(move |line| sink.lock().unwrap().push(line.clone())),
        ..config
    };
    let (master, secret) = jwtkeep_store::MasterKey::generate().unwrap();
    let (app, control) = Service::start_with_control(
        store.clone(),
        master,
        config,
        Arc::new(move || clock.load(Ordering::SeqCst)),
    )
    .await
    .unwrap();
    Fixture {
        app,
        control,
        store,
        now,
        log,
        master: jwtkeep_store::MasterKey::new(&secret).unwrap(),
        _dir: dir,
    }
}

pub(crate) async fn fixture() -> Fixture {
    fixture_with(Config::default()).await
}

pub(crate) fn kid_of(token: &str) -> String {
    let decoded = jwtkeep_core::inspect::decode_unverified(token).unwrap();
    decoded.header["kid"].as_str().unwrap().to_owned()
}

/// Creates "root" (an administrator) and "alice", both with [`PASSWORD`].
pub(crate) async fn create_users<S: jwtkeep_store::Store>(store: &S) {
    let pool = PasswordPool::new(1, 2).unwrap();
    for (name, admin) in [("root", true), ("alice", false)] {
        create_user(
            store,
            &pool,
            name,
            Zeroizing::new(PASSWORD.into()),
            admin,
            jwtkeep_store::Scopes::none(),
            T0,
        )
        .await
        .unwrap();
    }
}

/// An HTTP Basic `Authorization` value.
pub(crate) fn basic(name: &str, secret: &str) -> String {
    let text =
        jwtkeep_core::encoding::TextEncoding::Base64.encode(format!("{name}:{secret}").as_bytes());
    format!("Basic {}", text.as_str())
}

/// POSTs a form to an /oauth2 endpoint with the given Authorization.
pub(crate) async fn oauth(
    f: &Fixture,
    path: &str,
    authorization: Option<&str>,
    form: &str,
) -> (StatusCode, axum::http::HeaderMap, Value) {
    let mut request =
        Request::post(path).header("content-type", "application/x-www-form-urlencoded");
    if let Some(a) = authorization {
        request = request.header("authorization", a);
    }
    send(&f.app, request.body(Body::from(form.to_owned())).unwrap()).await
}

/// The id of the user `name`, as the admin API lists it to `token`.
pub(crate) async fn user_id(f: &Fixture, token: &str, name: &str) -> String {
    let (_, users) = f.call("GET", "/v1/admin/users", Some(token), None).await;
    users["users"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == name)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}
