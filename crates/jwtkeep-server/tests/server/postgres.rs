//! Two instances of the service on their own ports sharing the real
//! PostgreSQL on 127.0.0.1:5432 (database `test`, a schema of their own):
//! a logout through one is refused by the other within 100 ms at the 99th
//! percentile of 100 tries (the other learns of it by LISTEN/NOTIFY), and
//! when keys fall due each is rotated exactly once.

use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jwtkeep_server::create_user;
use jwtkeep_server::passwords::PasswordPool;
use jwtkeep_store::{MasterKey, PostgresConfig, PostgresStore};
use zeroize::Zeroizing;

use crate::instances::{assert_each_key_rotates_once, http, login, serve_store};

const T0: i64 = 1_800_000_000;

/// The store tests' schema guard and psql helper, shared by path.
#[path = "../../../jwtkeep-store/tests/store/pg_schema.rs"]
mod pg_schema;
use pg_schema::Schema;

async fn store(schema: &Schema) -> PostgresStore {
    let config = PostgresConfig::new(pg_schema::URL).schema(schema.0.as_str());
    PostgresStore::open(config)
        .await
        .expect("PostgreSQL must answer on 127.0.0.1:5432 (.ci/run starts one)")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_on_postgres_see_each_others_logouts_at_once_and_rotate_once() {
    let schema = Schema::new();
    let (_, master) = MasterKey::generate().unwrap();
    let clock = Arc::new(AtomicI64::new(T0));
    let hour = Duration::from_secs(3600);
    let a = serve_store(store(&schema).await, &master, Arc::clone(&clock), hour).await;
    let b = serve_store(store(&schema).await, &master, Arc::clone(&clock), hour).await;
    let password = Zeroizing::new("correct horse battery staple".to_owned());
    let pool = PasswordPool::new(1, 1).unwrap();
    let none = jwtkeep_store::Scopes::none();
    create_user(
        &store(&schema).await,
        &pool,
        "alice",
        password,
        false,
        none,
        T0,
    )
    .await
    .unwrap();

    let mut delays = Vec::new();
    for _ in 0..100 {
        let access = login(a.addr, "alice").await["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        assert_eq!(
            http(b.addr, "GET", "/v1/auth/me", Some(&access), None)
                .await
                .0,
            200
        );
        let mut b_syncs = b.control.revocation_syncs();
        b_syncs.mark_unchanged();
        let (status, _) = http(a.addr, "POST", "/v1/auth/logout", Some(&access), None).await;
        assert_eq!(status, 200);
        let logged_out = Instant::now();
        let delay = tokio::time::timeout(Duration::from_secs(2), async {
            loop {
                let (status, body) = http(b.addr, "GET", "/v1/auth/me", Some(&access), None).await;
                if status == 401 {
                    assert_eq!(body["error"], "token_revoked", "{body}");
                    return logged_out.elapsed();
                }
                // B's view syncs when PostgreSQL announces the revocation.
                b_syncs.changed().await.unwrap();
            }
        })
        .await
        .expect("B never refused the logged-out token");
        delays.push(delay);
    }
    delays.sort();
    let p99 = delays[98];
    assert!(
        p99 < Duration::from_millis(100),
        "p99 {p99:?}, all {delays:?}"
    );
    eprintln!(
        "logout through A refused by B: p50 {:?}, p99 {p99:?}",
        delays[49]
    );

    assert_each_key_rotates_once(&a, &b, &clock).await;
}
