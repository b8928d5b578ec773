//! Redis going away and coming back, with a real redis-server on a spare port:
//! operations fail fast with `Unavailable`, the revocation view turns stale
//! (verification fails closed), and everything resumes by itself.

use std::time::{Duration, Instant};

use crate::conformance::suite::facts;
use crate::redis_server::{spare_port, Server};
use jwtkeep_store::{
    RedisConfig, RedisStore, Revocation, RevocationView, Revocations as _, Revoked, StoreError,
    ViewSync,
};

fn now() -> i64 {
    i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap()
}

async fn open_when_up(config: &RedisConfig) -> RedisStore {
    for _ in 0..200 {
        if let Ok(store) = RedisStore::open(config.clone()).await {
            return store;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("redis-server did not come up");
}

fn token(jti: &str, t: i64) -> Revocation {
    Revocation::Token {
        issuer: "i".into(),
        jti: jti.into(),
        exp: t + 600,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_restart_is_survived_and_fails_closed_meanwhile() {
    let port = spare_port();
    let mut server = Server::start(port);
    let mut config = RedisConfig::new(format!("redis://127.0.0.1:{port}"));
    config.op_timeout = Duration::from_millis(500);
    let store = open_when_up(&config).await;
    let t = now();
    store.revoke(token("before", t), t).await.unwrap();

    let view = RevocationView::new(Duration::from_secs(1));
    // A long poll: after the restart only a pub/sub announcement can wake the view.
    let _sync = ViewSync::spawn(store.clone(), view.clone(), Duration::from_secs(60), now);
    wait_until(|| view.check(facts("i", "before", "u", t), t) == Ok(Some(Revoked::Token))).await;

    server.stop();
    // Operations fail with Unavailable within the bound, never hang or panic.
    for _ in 0..3 {
        let started = Instant::now();
        let err = store.revoke(token("during", t), t).await.unwrap_err();
        assert!(
            matches!(
                err,
                StoreError::Unavailable {
                    backend: "redis",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "took {:?}",
            started.elapsed()
        );
    }
    // The view turns stale and says so: verification fails closed.
    wait_until(|| {
        view.check(facts("i", "other", "u", t), t)
            .is_err_and(|e| e.code() == "revocations_stale")
    })
    .await;

    // Redis returns (empty: it kept nothing on disk); the same store recovers by itself.
    let _server = Server::start(port);
    let mut recovered = false;
    for _ in 0..200 {
        if store.revoke(token("after", t), t).await.is_ok() {
            recovered = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(recovered, "the store did not reconnect");
    // The view is woken by the resubscribed channel, reloads (the feed went
    // back in time) and answers again.
    wait_until(|| view.check(facts("i", "after", "u", t), t) == Ok(Some(Revoked::Token))).await;
}

async fn wait_until(mut cond: impl FnMut() -> bool) {
    for _ in 0..1000 {
        if cond() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("condition not reached within 10 s");
}
