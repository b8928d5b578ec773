//! Two instances of the service on their own ports, sharing the real Redis
//! on 127.0.0.1:6379 (a unique key prefix per test): what one revokes the
//! other refuses within 100 ms, and of the two only one rotates each key.
//! No timers: the test waits on the other instance's revocation syncs and
//! runs the scheduled key work itself.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use jwtkeep_server::passwords::PasswordPool;
use jwtkeep_server::{create_user, Config, Control, EventLog, Service};
use jwtkeep_store::{MasterKey, RedisConfig, RedisStore};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use zeroize::Zeroizing;

const T0: i64 = 1_800_000_000;
const PASSWORD: &str = "correct horse battery staple";

/// One HTTP/1.1 request over a fresh connection: the status and the JSON body.
pub(crate) async fn http(
    addr: SocketAddr,
    method: &str,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let auth = bearer
        .map(|t| format!("Authorization: Bearer {t}\r\n"))
        .unwrap_or_default();
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response
        .split_once("\r\n\r\n")
        .and_then(|(_, b)| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    (status, body)
}

/// Logs `username` in (with the tests' password) at `addr`: the token response.
pub(crate) async fn login(addr: SocketAddr, username: &str) -> Value {
    let (status, body) = http(
        addr,
        "POST",
        "/v1/auth/login",
        None,
        Some(json!({"username": username, "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    body
}

pub(crate) struct Instance<S: jwtkeep_store::Store = RedisStore> {
    pub(crate) addr: SocketAddr,
    pub(crate) log: Arc<Mutex<Vec<Value>>>,
    pub(crate) control: Control<S>,
}

/// An instance whose key check runs every `key_check` (the test runs the
/// scheduled work itself: the timer must stay out of its way).
pub(crate) async fn start(
    prefix: &str,
    master: &jwtkeep_core::Secret,
    clock: Arc<AtomicI64>,
    key_check: Duration,
) -> Instance {
    start_on("redis://127.0.0.1:6379", prefix, master, clock, key_check).await
}

/// [`start`] on the Redis at `url`.
pub(crate) async fn start_on(
    url: &str,
    prefix: &str,
    master: &jwtkeep_core::Secret,
    clock: Arc<AtomicI64>,
    key_check: Duration,
) -> Instance {
    let store = RedisStore::open(RedisConfig::new(url).prefix(prefix))
        .await
        .expect("Redis must answer on 127.0.0.1:6379 (.ci/run starts one)");
    serve_store(store, master, clock, key_check).await
}

/// An instance on `store` (initialised as `jwtkeep store init` does; a
/// second instance finds it done), serving on a port of its own.
pub(crate) async fn serve_store<S: jwtkeep_store::Store>(
    store: S,
    master: &jwtkeep_core::Secret,
    clock: Arc<AtomicI64>,
    key_check: Duration,
) -> Instance<S> {
    store.initialise(false, T0).await.unwrap();
    let log = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&log);
    let config = Config {
        rotation_secs: 1000,
        publish_ahead_secs: 100,
        key_check_interval: key_check,
        event_log: EventLog::new(move |e| sink.lock().unwrap().push(e.clone())),
        ..Config::default()
    };
    let (app, control) = Service::start_with_control(
        store,
        MasterKey::new(master).unwrap(),
        config,
        Arc::new(move || clock.load(Ordering::SeqCst)),
    )
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    Instance { addr, log, control }
}

/// Two instances on a fresh prefix of the real Redis, with `users` (name,
/// administrator) created with the tests' password; the clock they share.
async fn two_instances(users: &[(&str, bool)]) -> (Instance, Instance, Arc<AtomicI64>) {
    let prefix = format!("jwtkeep-test:{}:", jwtkeep_core::random_id().unwrap());
    let (_, master) = MasterKey::generate().unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let hour = Duration::from_secs(3600);
    let a = start(&prefix, &master, Arc::clone(&clock), hour).await;
    let b = start(&prefix, &master, Arc::clone(&clock), hour).await;
    let admin_store =
        RedisStore::open(RedisConfig::new("redis://127.0.0.1:6379").prefix(prefix.as_str()))
            .await
            .unwrap();
    let pool = PasswordPool::new(1, 2).unwrap();
    for &(name, admin) in users {
        let password = Zeroizing::new(PASSWORD.into());
        let none = jwtkeep_store::Scopes::none();
        create_user(&admin_store, &pool, name, password, admin, none, T0)
            .await
            .unwrap();
    }
    (a, b, clock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_sharing_redis_see_each_others_revocations_and_rotate_once() {
    let (a, b, clock) = two_instances(&[("alice", false)]).await;

    // Logged in through A, accepted by B: one set of keys.
    let (status, login) = http(
        a.addr,
        "POST",
        "/v1/auth/login",
        None,
        Some(json!({"username": "alice", "password": PASSWORD})),
    )
    .await;
    assert_eq!(status, 200, "{login}");
    let access = login["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        http(b.addr, "GET", "/v1/auth/me", Some(&access), None)
            .await
            .0,
        200
    );

    // The session goes on through B: a second access token of the same session.
    let (status, rotated) = http(
        b.addr,
        "POST",
        "/v1/auth/refresh",
        None,
        Some(json!({"refresh_token": login["refresh_token"]})),
    )
    .await;
    assert_eq!(status, 200, "{rotated}");
    let sibling = rotated["access_token"].as_str().unwrap().to_owned();

    // Logged out through A with the first access token alone: B refuses it,
    // and the session's other access token, within 100 ms.
    let mut b_syncs = b.control.revocation_syncs();
    b_syncs.mark_unchanged();
    let (status, _) = http(a.addr, "POST", "/v1/auth/logout", Some(&access), None).await;
    assert_eq!(status, 200);
    let revoked_at = Instant::now();
    let refused_after = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            let (status, body) = http(b.addr, "GET", "/v1/auth/me", Some(&access), None).await;
            let (sibling_status, sibling_body) =
                http(b.addr, "GET", "/v1/auth/me", Some(&sibling), None).await;
            if status == 401 && sibling_status == 401 {
                assert_eq!(body["error"], "token_revoked", "{body}");
                assert_eq!(sibling_body["error"], "session_revoked", "{sibling_body}");
                return revoked_at.elapsed();
            }
            // B's view syncs when Redis announces the revocation: wait for that, not a timer.
            b_syncs.changed().await.unwrap();
        }
    })
    .await
    .expect("B never refused the session's tokens");
    assert!(
        refused_after < Duration::from_millis(100),
        "B refused it after {refused_after:?}"
    );

    assert_each_key_rotates_once(&a, &b, &clock).await;
}

/// The next keys fall due: both instances run their scheduled key work at
/// the same moment, twice; the store's lock lets one publish each key, and
/// both serve it.
pub(crate) async fn assert_each_key_rotates_once<S: jwtkeep_store::Store>(
    a: &Instance<S>,
    b: &Instance<S>,
    clock: &AtomicI64,
) {
    clock.store(T0 + 900, Ordering::SeqCst);
    for _ in 0..2 {
        let (ra, rb) = tokio::join!(a.control.maintain_keys(), b.control.maintain_keys());
        ra.unwrap();
        rb.unwrap();
    }
    let jwks_len = |addr| async move {
        http(addr, "GET", "/.well-known/jwks.json", None, None)
            .await
            .1["keys"]
            .as_array()
            .map_or(0, Vec::len)
    };
    assert_eq!((jwks_len(a.addr).await, jwks_len(b.addr).await), (2, 2));
    let rotations = |log: &Arc<Mutex<Vec<Value>>>| {
        log.lock()
            .unwrap()
            .iter()
            .filter(|e| e["event"] == "key.rotated")
            .map(|e| e["details"]["purpose"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let mut all = rotations(&a.log);
    all.extend(rotations(&b.log));
    all.sort();
    assert_eq!(
        all,
        ["access", "confirm", "refresh"],
        "each purpose rotated exactly once"
    );
}

/// A user deleted through one instance: the other refuses their tokens
/// within 100 ms, and the name can be taken again through it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_deleted_through_one_instance_is_refused_by_the_other_at_once() {
    let (a, b, clock) = two_instances(&[("root", true), ("alice", false)]).await;
    let root = login(a.addr, "root").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let alice = login(b.addr, "alice").await;
    let access = alice["access_token"].as_str().unwrap();
    assert_eq!(
        http(b.addr, "GET", "/v1/auth/me", Some(access), None)
            .await
            .0,
        200
    );
    let (_, me) = http(a.addr, "GET", "/v1/auth/me", Some(access), None).await;
    let id = me["claims"]["sub"].as_str().unwrap().to_owned();

    let mut b_syncs = b.control.revocation_syncs();
    b_syncs.mark_unchanged();
    let path = format!("/v1/admin/users/{id}");
    let (status, body) = http(a.addr, "DELETE", &path, Some(&root), None).await;
    assert_eq!(status, 200, "{body}");
    let deleted_at = Instant::now();
    let refused_after = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            let (status, body) = http(b.addr, "GET", "/v1/auth/me", Some(access), None).await;
            if status == 401 {
                assert_eq!(body["error"], "subject_revoked", "{body}");
                return deleted_at.elapsed();
            }
            b_syncs.changed().await.unwrap();
        }
    })
    .await
    .expect("B never refused the deleted user's token");
    assert!(
        refused_after < Duration::from_millis(100),
        "B refused it after {refused_after:?}"
    );
    let refresh = json!({"refresh_token": alice["refresh_token"]});
    let (status, body) = http(b.addr, "POST", "/v1/auth/refresh", None, Some(refresh)).await;
    assert_eq!(status, 401, "{body}");

    // The name is free again, through the other instance.
    let create = json!({"username": "alice", "password": PASSWORD});
    let (status, body) = http(b.addr, "POST", "/v1/admin/users", Some(&root), Some(create)).await;
    assert_eq!(status, 201, "{body}");
    assert_ne!(body["id"], id.as_str());
    clock.store(T0 + 1, Ordering::SeqCst);
    let again = login(a.addr, "alice").await;
    let token = again["access_token"].as_str().unwrap();
    assert_eq!(
        http(b.addr, "GET", "/v1/auth/me", Some(token), None)
            .await
            .0,
        200
    );
}
