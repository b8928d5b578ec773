//! Manual key rotations of every kind, with two instances verifying each
//! other's tokens the whole time: no verification fails on either.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use jwtkeep_server::{Config, Control, Service};
use jwtkeep_store::{MasterKey, RedisConfig, RedisStore, SqliteStore};
use serde_json::{json, Value};

use crate::common::kid_of;
use crate::instances::{http, start, Instance};

use crate::common::{PASSWORD, T0};

async fn login(addr: SocketAddr, username: &str) -> String {
    crate::instances::login(addr, username).await["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Asks every instance to verify every token; the refusals, as
/// (instance, token index, error).
async fn refusals(instances: &[&Instance], tokens: &[String]) -> Vec<(usize, usize, Value)> {
    let mut refused = Vec::new();
    for (i, instance) in instances.iter().enumerate() {
        for (t, token) in tokens.iter().enumerate() {
            let (status, body) = http(instance.addr, "GET", "/v1/auth/me", Some(token), None).await;
            if status != 200 {
                refused.push((i, t, body["error"].clone()));
            }
        }
    }
    refused
}

async fn rotate(addr: SocketAddr, admin: &str, mode: &str) -> Value {
    let (status, body) = http(
        addr,
        "POST",
        "/v1/admin/keys/rotate",
        Some(admin),
        Some(json!({"purpose": "access", "mode": mode})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["mode"], mode);
    body
}

/// Waits until `control`'s instance has installed new key rings.
async fn key_install(installs: &mut tokio::sync::watch::Receiver<u64>) {
    tokio::time::timeout(Duration::from_secs(5), installs.changed())
        .await
        .expect("the rotation never reached the other instance")
        .unwrap();
}

async fn jwks_kids(addr: SocketAddr) -> Vec<String> {
    let (_, body) = http(addr, "GET", "/.well-known/jwks.json", None, None).await;
    body["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotations_of_every_kind_fail_no_verification_on_either_instance() {
    let prefix = format!("jwtkeep-test:{}:", jwtkeep_core::random_id().unwrap());
    let (_, master) = MasterKey::generate().unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    // A key check a minute apart: the staged lead (361 s) stays within the
    // access tokens' 15 minutes, so every token here outlives the test.
    let minute = Duration::from_secs(60);
    let a = start(&prefix, &master, Arc::clone(&clock), minute).await;
    let b = start(&prefix, &master, Arc::clone(&clock), minute).await;
    let store =
        RedisStore::open(RedisConfig::new("redis://127.0.0.1:6379").prefix(prefix.as_str()))
            .await
            .unwrap();
    crate::common::create_users(&store).await;
    let both = [&a, &b];
    let mut tokens = vec![login(a.addr, "alice").await, login(b.addr, "alice").await];
    let first_kid = kid_of(&tokens[0]);

    // Staged (the default): published at once on both, signing only after the lead.
    let mut b_installs = b.control.key_installs();
    b_installs.mark_unchanged();
    let staged = rotate(a.addr, &login(a.addr, "root").await, "staged").await;
    let staged_kid = staged["rotated"]["access"].as_str().unwrap().to_owned();
    let signs_from = staged["signs_from"]["access"].as_i64().unwrap();
    assert_eq!(signs_from, T0 + 300 + 60 + 1, "{staged}");
    key_install(&mut b_installs).await;
    for instance in both {
        assert!(jwks_kids(instance.addr).await.contains(&staged_kid));
    }
    // Before it signs, both instances still sign with the old key.
    clock.store(signs_from - 1, Ordering::SeqCst);
    for instance in both {
        let token = login(instance.addr, "alice").await;
        assert_eq!(kid_of(&token), first_kid);
        tokens.push(token);
    }
    clock.store(signs_from, Ordering::SeqCst);
    for instance in both {
        let token = login(instance.addr, "alice").await;
        assert_eq!(kid_of(&token), staged_kid);
        tokens.push(token);
    }
    assert_eq!(refusals(&both, &tokens).await, vec![]);

    // Immediate: A signs with the new key at once; B verifies it at once,
    // whether or not the announcement has reached it yet.
    let root = login(a.addr, "root").await;
    let immediate = rotate(a.addr, &root, "immediate").await;
    let immediate_kid = immediate["rotated"]["access"].as_str().unwrap().to_owned();
    assert_eq!(immediate["signs_from"]["access"], signs_from);
    let token = login(a.addr, "alice").await;
    assert_eq!(kid_of(&token), immediate_kid);
    tokens.push(token);
    assert_eq!(refusals(&both, &tokens).await, vec![]);

    // Revoke the old keys: their tokens die on both instances; new ones live.
    let mut b_installs = b.control.key_installs();
    b_installs.mark_unchanged();
    let revoked = rotate(a.addr, &root, "revoke_old").await;
    let fresh_kid = revoked["rotated"]["access"].as_str().unwrap().to_owned();
    key_install(&mut b_installs).await;
    let fresh = vec![login(a.addr, "alice").await, login(b.addr, "alice").await];
    assert!(fresh.iter().all(|t| kid_of(t) == fresh_kid));
    assert_eq!(refusals(&both, &fresh).await, vec![]);
    let old = refusals(&both, &tokens).await;
    assert_eq!(
        old.len(),
        2 * tokens.len(),
        "every older token refused: {old:?}"
    );
    assert!(old.iter().all(|(_, _, e)| e == "invalid_token"), "{old:?}");
    for instance in both {
        assert_eq!(jwks_kids(instance.addr).await, vec![fresh_kid.clone()]);
    }
}

/// Two services on one SQLite file: nothing announces a rotation from one
/// to the other, and the key check is an hour away.
async fn on_one_file(dir: &std::path::Path) -> [(axum::Router, Control<SqliteStore>); 2] {
    let (_, master) = MasterKey::generate().unwrap();
    let path = dir.join("s.db");
    let mut services = Vec::new();
    for _ in 0..2 {
        let store = SqliteStore::open(&path).await.unwrap();
        let config = Config {
            key_check_interval: Duration::from_secs(3600),
            ..Config::default()
        };
        services.push(
            Service::start_with_control(
                store,
                MasterKey::new(&master).unwrap(),
                config,
                Arc::new(|| T0),
            )
            .await
            .unwrap(),
        );
    }
    services.try_into().unwrap()
}

/// POSTs JSON (or GETs without a body) in process: status and body.
async fn call(
    app: &axum::Router,
    path: &str,
    bearer: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let method = if body.is_some() { "POST" } else { "GET" };
    let mut request = axum::http::Request::builder().method(method).uri(path);
    if let Some(token) = bearer {
        request = request.header("authorization", format!("Bearer {token}"));
    }
    let body = match body {
        Some(b) => {
            request = request.header("content-type", "application/json");
            axum::body::Body::from(b.to_string())
        }
        None => axum::body::Body::empty(),
    };
    let (status, _, body) = crate::common::send(app, request.body(body).unwrap()).await;
    (status.as_u16(), body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_meeting_an_unknown_kid_reloads_its_keys_before_answering() {
    let dir = tempfile::tempdir().unwrap();
    let [(a, _), (b, _)] = on_one_file(dir.path()).await;
    let store = SqliteStore::open(dir.path().join("s.db")).await.unwrap();
    crate::common::create_users(&store).await;
    let credentials = |name: &str| Some(json!({"username": name, "password": PASSWORD}));
    let login = |app: &axum::Router, name: &'static str| {
        let app = app.clone();
        async move {
            let (status, body) = call(&app, "/v1/auth/login", None, credentials(name)).await;
            assert_eq!(status, 200, "{body}");
            body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let root = login(&a, "root").await;
    let (status, body) = call(
        &a,
        "/v1/admin/keys/rotate",
        Some(&root),
        Some(json!({"purpose": "access", "mode": "immediate"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let token = login(&a, "alice").await;
    assert_eq!(kid_of(&token), body["rotated"]["access"].as_str().unwrap());
    // B has not heard of the key: it reloads from the store and accepts.
    let (status, body) = call(&b, "/v1/auth/me", Some(&token), None).await;
    assert_eq!(status, 200, "{body}");

    // A kid nobody issued is refused (after at most one reload a second).
    let (header, rest) = token.split_once('.').unwrap();
    let mut forged_header: Value = serde_json::from_slice(
        &jwtkeep_core::encoding::TextEncoding::Base64Url
            .decode(header)
            .unwrap(),
    )
    .unwrap();
    forged_header["kid"] = json!("made-up");
    let forged = format!(
        "{}.{rest}",
        jwtkeep_core::encoding::TextEncoding::Base64Url
            .encode(forged_header.to_string().as_bytes())
            .as_str()
    );
    for _ in 0..3 {
        let (status, body) = call(&b, "/v1/auth/me", Some(&forged), None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (401, Some("invalid_token")),
            "{body}"
        );
    }
}
