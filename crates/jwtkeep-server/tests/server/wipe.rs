//! A Redis that restarts without its data, under two running instances: no
//! revoked token is accepted again, not for a moment; both fail closed with
//! `store_reset`, say so once, and make no key; `/readyz` says not ready.
//! And a Redis that hangs for a while: the outage is logged once when it
//! starts and once when it ends, and counted.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use jwtkeep_store::{
    Identity as _, Initialised, MasterKey, RedisConfig, RedisStore, SigningKeys as _,
};
use serde_json::{json, Value};

use crate::common::{create_users, PASSWORD, T0};
use crate::instances::{http, start_on, Instance};

#[path = "../../../jwtkeep-store/tests/store/redis_server.rs"]
mod redis_server;

async fn login(instance: &Instance, username: &str) -> Value {
    crate::instances::login(instance.addr, username).await
}

async fn open_when_up(url: &str, prefix: &str) -> RedisStore {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        match RedisStore::open(RedisConfig::new(url).prefix(prefix)).await {
            Ok(store) => return store,
            Err(e) if Instant::now() > deadline => panic!("redis-server did not come up: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wiped_store_fails_closed_everywhere_and_no_revoked_token_comes_back() {
    let port = redis_server::spare_port();
    let url = format!("redis://127.0.0.1:{port}");
    let mut server = redis_server::Server::start(port);
    let prefix = "jwtkeep:";
    let store = open_when_up(&url, prefix).await;
    assert!(matches!(
        store.initialise(false, T0).await.unwrap(),
        Initialised::Created(_)
    ));
    create_users(&store).await;
    let (_, master) = MasterKey::generate().unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let minute = Duration::from_secs(60);
    let a = start_on(&url, prefix, &master, Arc::clone(&clock), minute).await;
    let b = start_on(&url, prefix, &master, Arc::clone(&clock), minute).await;

    // Revoked before the wipe: a logged-out session, and a user logged out everywhere.
    let session = login(&a, "alice").await;
    let alice = session["access_token"].as_str().unwrap().to_owned();
    let root = login(&a, "root").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let victim = login(&b, "root").await["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, _) = http(a.addr, "POST", "/v1/auth/logout", Some(&alice), None).await;
    assert_eq!(status, 200);
    let root_id = {
        let (_, me) = http(a.addr, "GET", "/v1/auth/me", Some(&root), None).await;
        me["claims"]["sub"].as_str().unwrap().to_owned()
    };
    let (status, body) = http(
        a.addr,
        "POST",
        &format!("/v1/admin/users/{root_id}/revoke"),
        Some(&root),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let revoked = [alice, victim];
    for instance in [&a, &b] {
        instance.control.sync_revocations().await.unwrap();
        for token in &revoked {
            let (status, _) = http(instance.addr, "GET", "/v1/auth/me", Some(token), None).await;
            assert_eq!(status, 401);
        }
    }

    // Redis restarts empty. Until both instances have noticed, and after,
    // the revoked tokens are asked about again and again: never accepted.
    server.stop();
    let mut server = redis_server::Server::start(port);
    let restarted = open_when_up(&url, prefix).await;
    let (mut accepted, mut asked) = (0, 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut noticed = [false, false];
    while !noticed.iter().all(|n| *n) || asked < 200 {
        assert!(Instant::now() < deadline, "never noticed: {noticed:?}");
        for (i, instance) in [&a, &b].into_iter().enumerate() {
            for token in &revoked {
                let (status, body) =
                    http(instance.addr, "GET", "/v1/auth/me", Some(token), None).await;
                asked += 1;
                if status == 200 {
                    accepted += 1;
                }
                if status == 503 && body["error"] == "store_reset" {
                    noticed[i] = true;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(
        accepted, 0,
        "revoked tokens accepted after the wipe (of {asked} asked)"
    );

    for instance in [&a, &b] {
        let (status, body) = http(instance.addr, "GET", "/readyz", None, None).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (503, Some("store_reset")),
            "{body}"
        );
        // The next keys fall due: none is made in the wiped store.
        clock.store(T0 + 2000, Ordering::SeqCst);
        let _ = instance.control.maintain_keys().await;
        // Logins find no user, and issue nothing.
        let (status, _) = http(
            instance.addr,
            "POST",
            "/v1/auth/login",
            None,
            Some(json!({"username": "alice", "password": PASSWORD})),
        )
        .await;
        assert_ne!(status, 200);
        // One loud line each, saying what to do.
        let log = instance.log.lock().unwrap();
        let resets: Vec<&Value> = log.iter().filter(|l| l["store"] == "reset").collect();
        assert_eq!(resets.len(), 1, "{log:?}");
        assert!(resets[0]["hint"]
            .as_str()
            .unwrap()
            .contains("jwtkeep store init"));
    }
    for purpose in ["access", "refresh", "confirm"] {
        assert!(
            restarted.keys(purpose).await.unwrap().is_empty(),
            "{purpose}"
        );
    }
    // What the instances wrote meanwhile (rate-limit windows) is data
    // without an identity: `store init` wants --force to take it on.
    if restarted.initialise(false, T0).await.unwrap() == Initialised::HoldsData {
        assert!(matches!(
            restarted.initialise(true, T0).await.unwrap(),
            Initialised::Created(_)
        ));
    }
    // Initialised anew, it is still not the store the instances started with.
    a.control.sync_revocations().await.unwrap_err();
    let (status, body) = http(a.addr, "GET", "/readyz", None, None).await;
    assert_eq!((status, body["error"].as_str()), (503, Some("store_reset")));
    server.stop();
}

/// Waits until `log` holds a line with `"store": what`; that line.
async fn store_line(instance: &Instance, what: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        if let Some(line) = instance
            .log
            .lock()
            .unwrap()
            .iter()
            .find(|l| l["store"] == what)
        {
            return line.clone();
        }
        assert!(Instant::now() < deadline, "no \"store\": \"{what}\" line");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn metrics(instance: &Instance) -> String {
    let mut stream = tokio::net::TcpStream::connect(instance.addr).await.unwrap();
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    stream
        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).await.unwrap();
    text
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_is_logged_once_when_it_starts_and_once_when_it_ends() {
    let port = redis_server::spare_port();
    let url = format!("redis://127.0.0.1:{port}");
    let server = redis_server::Server::start(port);
    let store = open_when_up(&url, "jwtkeep:").await;
    store.initialise(false, T0).await.unwrap();
    let (_, master) = MasterKey::generate().unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let instance = start_on(&url, "jwtkeep:", &master, clock, Duration::from_secs(60)).await;
    assert!(metrics(&instance).await.contains("jwtkeep_store_up 1"));

    server.pause();
    let down = store_line(&instance, "unreachable").await;
    assert!(down["hint"]
        .as_str()
        .unwrap()
        .contains("reconnects by itself"));
    let during = metrics(&instance).await;
    assert!(during.contains("jwtkeep_store_up 0"), "{during}");
    assert!(
        during.contains("jwtkeep_store_outages_total{kind=\"unreachable\"} 1"),
        "{during}"
    );
    server.resume();
    let up = store_line(&instance, "recovered").await;
    assert!(up["outage_secs"].as_u64().is_some(), "{up}");
    let after = metrics(&instance).await;
    assert!(after.contains("jwtkeep_store_up 1"), "{after}");
    // One line when it started, one when it ended: not one per failed sync.
    let log = instance.log.lock().unwrap();
    let lines: Vec<&Value> = log.iter().filter(|l| l.get("store").is_some()).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
}
