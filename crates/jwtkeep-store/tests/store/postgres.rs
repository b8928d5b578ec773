//! What only the PostgreSQL store promises so far, against the real
//! PostgreSQL on 127.0.0.1:5432 (database `test`; a schema of its own per
//! test, dropped at the end): versioned migrations applied once however
//! many instances start together, an identity made with the schema and
//! kept, a newer schema refused, and a database that does not answer
//! reported as unavailable within the operation's timeout.

use std::time::{Duration, Instant};

use jwtkeep_store::{PostgresConfig, PostgresStore, Store as _, StoreError};

pub(crate) use crate::pg_schema::{psql, Schema, URL};

async fn open(schema: &Schema) -> Result<PostgresStore, StoreError> {
    PostgresStore::open(PostgresConfig::new(URL).schema(schema.0.as_str())).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrations_run_once_however_many_instances_start_together() {
    let schema = Schema::new();
    let mut starting = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let name = schema.0.clone();
        starting
            .spawn(async move { PostgresStore::open(PostgresConfig::new(URL).schema(name)).await });
    }
    let mut identities = Vec::new();
    while let Some(opened) = starting.join_next().await {
        let store = opened
            .unwrap()
            .expect("PostgreSQL must answer on 127.0.0.1:5432 (.ci/run starts one)");
        identities.push(store.identity_value().await.unwrap().unwrap());
    }
    identities.dedup();
    assert_eq!(identities.len(), 1, "one identity, made once");
    assert_eq!(identities[0].len(), 22);
    // Opened again later: the same schema, the same identity.
    let again = open(&schema).await.unwrap();
    assert_eq!(
        again.identity_value().await.unwrap(),
        Some(identities[0].clone())
    );
    again.ping().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_schema_from_a_newer_jwtkeep_is_refused() {
    let schema = Schema::new();
    open(&schema).await.unwrap();
    assert!(psql(&format!(
        "INSERT INTO {}.migrations VALUES (99)",
        schema.0
    )));
    let err = open(&schema).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("upgrade jwtkeep"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_settings_are_refused_and_a_silent_database_is_unavailable_in_time() {
    for bad in ["x-y", "1abc", "a;drop table users"] {
        let config = PostgresConfig::new(URL).schema(bad);
        assert!(
            matches!(
                PostgresStore::open(config).await,
                Err(StoreError::Invalid { .. })
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        PostgresStore::open(PostgresConfig::new("mysql://nope")).await,
        Err(StoreError::Invalid { .. })
    ));
    // A listener that accepts and never answers: the open gives up in time.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = silent.local_addr().unwrap().port();
    let mut config = PostgresConfig::new(format!("postgres://postgres@127.0.0.1:{port}/test"));
    config.op_timeout = Duration::from_millis(300);
    let started = Instant::now();
    let err = PostgresStore::open(config).await.unwrap_err();
    assert!(matches!(err, StoreError::Unavailable { .. }), "{err:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    drop(silent);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_instance_hears_of_revocations_and_keys_through_listen_notify() {
    use jwtkeep_store::{Revocation, RevocationFeed as _, Revocations as _, SigningKeys as _};
    let schema = Schema::new();
    let (a, b) = (open(&schema).await.unwrap(), open(&schema).await.unwrap());
    let (b_revocations, b_keys) = (b.notifier(), b.keys_notifier());
    let now = i64::try_from(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs(),
    )
    .unwrap();
    // B's LISTEN connection comes up on its own: until then A's revocations
    // reach B's view only by its polls. Revoked again until B hears one.
    let mut heard = false;
    for _ in 0..20 {
        let waiting = b_revocations.notified();
        let subject = format!("s-{}", jwtkeep_core::random_id().unwrap());
        a.revoke(
            Revocation::Subject {
                subject,
                before: now,
            },
            now,
        )
        .await
        .unwrap();
        if tokio::time::timeout(Duration::from_millis(250), waiting)
            .await
            .is_ok()
        {
            heard = true;
            break;
        }
    }
    assert!(heard, "B never heard of A's revocations");
    // Listening now: A's key announcement reaches B's key notifier.
    let waiting = b_keys.notified();
    a.announce_keys().await.unwrap();
    assert!(
        tokio::time::timeout(Duration::from_secs(2), waiting)
            .await
            .is_ok(),
        "B never heard of A's keys"
    );
}

/// The child half of the crash test on PostgreSQL (see `crash.rs`).
#[test]
#[ignore = "run by acknowledged_writes_survive_sigkill as a child process"]
fn crash_child() {
    let Ok(schema) = std::env::var("JWTKEEP_CRASH_SCHEMA") else {
        return;
    };
    crate::crash::child_writes(|| async move {
        let config = PostgresConfig::new(URL).schema(schema);
        PostgresStore::open(config).await.unwrap()
    });
}

/// An instance killed with SIGKILL mid-writes loses nothing it acknowledged.
#[tokio::test]
async fn acknowledged_writes_survive_sigkill() {
    let schema = Schema::new();
    let acked = crate::crash::kill_child_mid_writes(
        "postgres::crash_child",
        ("JWTKEEP_CRASH_SCHEMA", schema.0.as_str()),
    );
    let store = open(&schema).await.unwrap();
    crate::crash::assert_nothing_acknowledged_was_lost(&store, &acked).await;
}

/// A private PostgreSQL stopped at once (as a crash) and started again
/// while a writer revokes without pause: every revocation acknowledged
/// before, during and after is there; while it is down the writes fail as
/// unavailable within the timeout and the service's revocation view fails
/// closed; and both recover by themselves, with no reopening.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_postgresql_loses_nothing_acknowledged_and_the_store_recovers() {
    use jwtkeep_store::{Revocation, Revocations as _, Revoked};
    let server = crate::pg_server::PgServer::start();
    let mut config = PostgresConfig::new(server.url());
    config.op_timeout = Duration::from_millis(500);
    let store = PostgresStore::open(config).await.unwrap();
    let t = crate::conformance::suite::now();
    // The view verification consults, kept in sync as the service keeps it.
    let view = jwtkeep_store::RevocationView::new(Duration::from_secs(1));
    let _sync = jwtkeep_store::ViewSync::spawn(
        store.clone(),
        view.clone(),
        Duration::from_millis(100),
        crate::conformance::suite::now,
    );
    let mut view_syncs = view.syncs();
    tokio::time::timeout(Duration::from_secs(5), view_syncs.changed())
        .await
        .expect("the view never synced")
        .unwrap();
    assert!(view.usable().is_ok());
    // (acknowledged, failed) as the writer goes.
    let (progress, mut seen) = tokio::sync::watch::channel((0usize, 0usize));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let (store, stop) = (store.clone(), std::sync::Arc::clone(&stop));
        tokio::spawn(async move {
            let (mut acked, mut failed) = (Vec::new(), 0usize);
            for i in 0u64.. {
                if stop.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let token = Revocation::Token {
                    issuer: "i".into(),
                    jti: format!("j{i}"),
                    exp: t + 3600,
                };
                match store.revoke(token, t).await {
                    Ok(()) => acked.push(format!("j{i}")),
                    Err(StoreError::Unavailable { .. }) => failed += 1,
                    Err(other) => panic!("{other:?}"),
                }
                progress.send_replace((acked.len(), failed));
            }
            acked
        })
    };
    let within = |secs| Duration::from_secs(secs);
    let before = tokio::time::timeout(within(10), seen.wait_for(|s| s.0 >= 50))
        .await
        .expect("no writes before the restart")
        .unwrap()
        .0;
    let server = tokio::task::spawn_blocking(move || {
        server.stop();
        server
    })
    .await
    .unwrap();
    let started = Instant::now();
    tokio::time::timeout(within(10), seen.wait_for(|s| s.1 >= 3))
        .await
        .expect("writes to a stopped database did not fail")
        .unwrap();
    assert!(
        started.elapsed() < within(5),
        "failing took {:?}",
        started.elapsed()
    );
    // Past its staleness bound the view refuses to answer: verification fails closed.
    let stale_from = Instant::now();
    while view.usable().is_ok() {
        assert!(stale_from.elapsed() < within(5), "the view kept answering");
        let _ = tokio::time::timeout(Duration::from_millis(50), view_syncs.changed()).await;
    }
    let server = tokio::task::spawn_blocking(move || {
        server.start_again();
        server
    })
    .await
    .unwrap();
    let down = seen.borrow().0;
    tokio::time::timeout(within(15), seen.wait_for(|s| s.0 >= down + 50))
        .await
        .expect("the store did not write again after the restart")
        .unwrap();
    // The view catches up by itself and answers again.
    let recovering = Instant::now();
    while view.usable().is_err() {
        assert!(
            recovering.elapsed() < within(10),
            "the view did not recover"
        );
        let _ = tokio::time::timeout(Duration::from_millis(200), view_syncs.changed()).await;
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let acked = writer.await.unwrap();
    assert!(acked.len() >= before + 50);
    for jti in &acked {
        assert_eq!(
            store
                .is_revoked(crate::conformance::suite::facts("i", jti, "u", t), t)
                .await
                .unwrap(),
            Some(Revoked::Token),
            "acknowledged revocation {jti} was lost"
        );
    }
    drop(server);
}
