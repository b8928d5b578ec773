//! What only the SQLite backend promises: the file's permissions, its schema
//! versions, and that a process killed mid-write loses nothing it acknowledged.

use std::os::unix::fs::PermissionsExt as _;

use crate::conformance::suite::facts;
use jwtkeep_store::{
    Clients as _, Families as _, FamilyLimits, Identity as _, NewFamily, PasswordHash, Revocation,
    RevocationFeed as _, Revocations as _, Revoked, SqliteStore, StoreError, Users as _,
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

fn mode(path: &std::path::Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[tokio::test]
async fn the_file_is_created_0600_and_a_looser_one_is_tightened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("new.db");
    let store = SqliteStore::open(&path).await.unwrap();
    store
        .revoke(Revocation::All { before: 1 }, 2)
        .await
        .unwrap();
    assert_eq!(mode(&path), 0o600);
    let wal = dir.path().join("new.db-wal");
    assert_eq!(
        mode(&wal),
        0o600,
        "SQLite gives the WAL the database's permissions"
    );

    let loose = dir.path().join("loose.db");
    std::fs::write(&loose, b"").unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    SqliteStore::open(&loose).await.unwrap();
    assert_eq!(mode(&loose), 0o600);
}

#[tokio::test]
async fn reopening_keeps_everything_and_a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let t = now();
    {
        let store = SqliteStore::open(&path).await.unwrap();
        store
            .revoke(
                Revocation::Token {
                    issuer: "i".into(),
                    jti: "kept".into(),
                    exp: t + 600,
                },
                t,
            )
            .await
            .unwrap();
    }
    let store = SqliteStore::open(&path).await.unwrap();
    assert_eq!(
        store
            .is_revoked(facts("i", "kept", "u", t), t)
            .await
            .unwrap(),
        Some(Revoked::Token)
    );
    drop(store);

    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", 99)
        .unwrap();
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains("upgrade jwtkeep"), "{err}");
}

/// A file written before administrators, clients, session ends and scopes
/// existed (schema 1) is brought up to date on open, its users and families kept; a
/// family of then is assumed to issue the longest access tokens.
#[tokio::test]
async fn an_older_schema_is_migrated_in_place() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let hash = PasswordHash::new(
        "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    )
    .unwrap();
    let t = now();
    let (id, family) = {
        let store = SqliteStore::open(&path).await.unwrap();
        let id = store
            .create_user("old-timer", hash, false, jwtkeep_store::Scopes::none(), 1)
            .await
            .unwrap()
            .id;
        let family = NewFamily {
            id: "old-family".into(),
            subject: id.clone(),
            jti: "old-jti".into(),
            now: t,
            limits: FamilyLimits::default(),
        };
        store.create_family(family).await.unwrap();
        (id, "old-family")
    };
    // Undo migrations 2 to 5 by hand: what a schema-1 file looks like.
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(
        "ALTER TABLE users DROP COLUMN scopes;
         ALTER TABLE users DROP COLUMN admin; DROP TABLE clients;
         ALTER TABLE families DROP COLUMN access_secs; DROP TABLE denied_sessions;
         DROP TABLE identity; PRAGMA user_version = 1;",
    )
    .unwrap();
    drop(conn);
    let store = SqliteStore::open(&path).await.unwrap();
    let user = store.user_by_name("old-timer").await.unwrap().unwrap();
    assert_eq!((user.id.as_str(), user.admin), (id.as_str(), false));
    assert!(user.scopes.is_empty());
    assert!(store.list_clients().await.unwrap().is_empty());
    let stored = store.family(family).await.unwrap().unwrap();
    assert_eq!(stored.access_secs, jwtkeep_store::MAX_ACCESS_SECS);
    // Its data is its own: it gets an identity as it is brought up to date.
    assert!(store.identity().await.unwrap().is_some());
    assert!(store.revoke_family(family, "logout", t).await.unwrap());
}

#[tokio::test]
async fn the_purger_removes_expired_rows_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("p.db")).await.unwrap();
    let t = now();
    for (jti, exp) in [("soon", t + 1), ("later", t + 600)] {
        store
            .revoke(
                Revocation::Token {
                    issuer: "i".into(),
                    jti: jti.into(),
                    exp,
                },
                t,
            )
            .await
            .unwrap();
    }
    // The purger's clock runs ahead: "soon" has expired for it.
    let _purger = jwtkeep_store::Purger::spawn(
        store.clone(),
        std::time::Duration::from_millis(20),
        std::time::Duration::from_secs(3600),
        move || t + 5,
    );
    let path = dir.path().join("p.db");
    for _ in 0..500 {
        let rows: i64 = rusqlite::Connection::open(&path)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM denied_tokens", [], |r| r.get(0))
            .unwrap();
        if rows == 1 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("the expired denial was never purged");
}

#[tokio::test]
async fn garbage_in_place_of_a_database_is_reported_not_panicked() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("junk.db");
    std::fs::write(&path, vec![0x42u8; 4096]).unwrap();
    let err = SqliteStore::open(&path).await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
}

/// The child half of the crash test (see `crash.rs`).
#[test]
#[ignore = "run by acknowledged_writes_survive_sigkill as a child process"]
fn crash_child() {
    let Ok(path) = std::env::var("JWTKEEP_CRASH_DB") else {
        return;
    };
    crate::crash::child_writes(|| async move { SqliteStore::open(&path).await.unwrap() });
}

#[tokio::test]
async fn acknowledged_writes_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let acked = crate::crash::kill_child_mid_writes(
        "sqlite::crash_child",
        ("JWTKEEP_CRASH_DB", path.to_str().unwrap()),
    );
    let store = SqliteStore::open(&path).await.unwrap();
    crate::crash::assert_nothing_acknowledged_was_lost(&store, &acked).await;
    drop(store);
    let integrity: String = rusqlite::Connection::open(&path)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
}

/// A file whose identity row was deleted (or a file put in place of
/// another) is refused by a view that started with it, until it is back.
#[tokio::test]
async fn a_lost_identity_resets_the_view_and_init_needs_force() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.db");
    let store = SqliteStore::open(&path).await.unwrap();
    let t = now();
    let identity = store.identity().await.unwrap().unwrap();
    let view = jwtkeep_store::RevocationView::new(std::time::Duration::from_secs(60))
        .expecting(identity.clone());
    view.sync(&store, t).await.unwrap();
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute("DELETE FROM identity", []).unwrap();
    assert!(matches!(
        view.sync(&store, t).await,
        Err(StoreError::Reset { .. })
    ));
    assert!(view.check(facts("i", "j", "u", t), t).is_err());
    // It holds data (its keys, its users): only --force gives it a new identity.
    store
        .create_user(
            "someone",
            PasswordHash::new(
                "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            )
            .unwrap(),
            false, jwtkeep_store::Scopes::none(),
            t,
        )
        .await
        .unwrap();
    assert_eq!(
        store.initialise(false, t).await.unwrap(),
        jwtkeep_store::Initialised::HoldsData
    );
    let jwtkeep_store::Initialised::Created(fresh) = store.initialise(true, t).await.unwrap()
    else {
        panic!("force must initialise");
    };
    assert_ne!(fresh, identity);
    // A new identity is another store to a view that started with the old one.
    assert!(matches!(
        view.sync(&store, t).await,
        Err(StoreError::Reset { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_share_commits_and_a_failing_one_leaves_no_trace() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path().join("s.db")).await.unwrap();
    let hash = || jwtkeep_store::ClientSecretHash::of("a-client-secret-a-client-secret");
    let mut shared = 0;
    for round in 0..20 {
        // 32 clients of their own and 32 tries at one name: in one group,
        // the duplicates fail in their savepoints and the rest commit.
        let mut writes = tokio::task::JoinSet::new();
        for i in 0..64 {
            let (store, hash) = (store.clone(), hash());
            writes.spawn(async move {
                let name = if i % 2 == 0 {
                    format!("r{round}-c{i}")
                } else {
                    format!("r{round}-dup")
                };
                store
                    .create_client(&name, hash, jwtkeep_store::Scopes::none(), now())
                    .await
                    .is_ok()
            });
        }
        let mut created = 0;
        while let Some(ok) = writes.join_next().await {
            created += usize::from(ok.unwrap());
        }
        assert_eq!(created, 33, "32 own names and one of the duplicates");
        let (groups, held) = store.group_commits();
        shared = held - groups;
        if shared > 0 {
            break;
        }
    }
    let names = store.list_clients().await.unwrap();
    assert_eq!(names.len() % 33, 0, "nothing half-written: {}", names.len());
    // Some writes paid no fsync of their own.
    assert!(shared > 0, "every write was committed alone");
    // What was acknowledged is in the file, read by a handle of its own.
    let reopened = SqliteStore::open(dir.path().join("s.db")).await.unwrap();
    assert_eq!(reopened.list_clients().await.unwrap().len(), names.len());
}
