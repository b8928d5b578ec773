//! The embedded default: one SQLite file, created 0600, in WAL mode, with
//! versioned migrations. Revocations, families, users and keys are written
//! with `synchronous = FULL` (an acknowledged revocation survives a crash or
//! a power cut); rate-limit windows and events, which may lose their last
//! moments without harm, go through a second connection with `NORMAL`.

mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{params, Connection, ErrorCode, OptionalExtension, TransactionBehavior};
use tokio::sync::Notify;

use crate::families::{check_id, decide, Decision};
use crate::revocation::judge;
use crate::traits::{
    Clients, Events, Families, RateLimits, Result, Revocations, SigningKeys, Store, Users,
};
use crate::{
    normalise_username, Changes, Client, ClientSecretHash, Event, EventQuery, Family, KeyRecord,
    NewFamily, PasswordHash, RateDecision, Revocation, RevocationSnapshot, Revoked, RotateOutcome,
    StoreError, User,
};

/// Feed entries are kept this long, so that a view that was away for less
/// can catch up without a full reload.
const LOG_RETENTION_SECS: i64 = 86_400;

/// A store in one SQLite file. Cheap to clone; clones share the connections.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

struct Inner {
    durable: Mutex<Connection>,
    fast: Mutex<Connection>,
    notify: Arc<Notify>,
    path: PathBuf,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("path", &self.inner.path)
            .finish_non_exhaustive()
    }
}

fn unavailable(reason: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable {
        backend: "sqlite",
        reason: reason.to_string(),
    }
}

fn db_err(e: rusqlite::Error) -> StoreError {
    match e.sqlite_error_code() {
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => {
            StoreError::corrupt(format!("the SQLite file is damaged: {e}"))
        }
        _ => unavailable(e),
    }
}

fn is_unique_violation(e: &rusqlite::Error) -> bool {
    e.sqlite_error_code() == Some(ErrorCode::ConstraintViolation)
}

/// Creates the file 0600 if it does not exist, and tightens it if it is looser.
fn prepare_file(path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let meta = std::fs::metadata(path).map_err(unavailable)?;
                if meta.permissions().mode() & 0o077 != 0 {
                    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
                        .map_err(unavailable)?;
                }
            }
            Err(e) => {
                return Err(unavailable(format!(
                    "cannot create {}: {e}",
                    path.display()
                )))
            }
        }
    }
    Ok(())
}

fn connect(path: &Path, synchronous: &str) -> Result<Connection> {
    let conn = Connection::open(path).map_err(db_err)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))
        .map_err(db_err)?;
    conn.execute_batch(&format!(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = {synchronous}; PRAGMA foreign_keys = ON;"
    ))
    .map_err(db_err)?;
    Ok(conn)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_err)?;
    let version: i64 = tx
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(db_err)?;
    let known = i64::try_from(schema::MIGRATIONS.len()).unwrap_or(i64::MAX);
    if version > known {
        return Err(StoreError::corrupt(format!(
            "the file has schema version {version}, newer than this jwtkeep's {known}: upgrade jwtkeep"
        )));
    }
    for (i, sql) in schema::MIGRATIONS
        .iter()
        .enumerate()
        .skip(usize::try_from(version).unwrap_or(0))
    {
        tx.execute_batch(sql).map_err(db_err)?;
        tx.pragma_update(
            None,
            "user_version",
            i64::try_from(i + 1).unwrap_or(i64::MAX),
        )
        .map_err(db_err)?;
    }
    tx.commit().map_err(db_err)
}

impl SqliteStore {
    /// Opens (creating if needed, 0600) the store at `path` and brings its
    /// schema up to date. Blocking: call it before the runtime is busy, or
    /// through [`SqliteStore::open`].
    pub fn open_blocking(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref();
        prepare_file(path)?;
        let mut durable = connect(path, "FULL")?;
        migrate(&mut durable)?;
        let fast = connect(path, "NORMAL")?;
        Ok(SqliteStore {
            inner: Arc::new(Inner {
                durable: Mutex::new(durable),
                fast: Mutex::new(fast),
                notify: Arc::new(Notify::new()),
                path: path.to_owned(),
            }),
        })
    }

    /// Opens the store at `path` on a blocking thread.
    pub async fn open(path: impl AsRef<Path>) -> Result<SqliteStore> {
        let path = path.as_ref().to_owned();
        tokio::task::spawn_blocking(move || SqliteStore::open_blocking(path))
            .await
            .map_err(unavailable)?
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    async fn with<T, F>(&self, durable: bool, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || {
            let lock = if durable { &inner.durable } else { &inner.fast };
            let mut conn = lock
                .lock()
                .map_err(|_| unavailable("a previous operation panicked"))?;
            f(&mut conn)
        })
        .await
        .map_err(unavailable)?
    }

    /// One write transaction on the durable connection.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        self.with(true, move |conn| {
            let tx = conn
                .transaction_with_behavior(TransactionBehavior::Immediate)
                .map_err(db_err)?;
            let out = f(&tx)?;
            tx.commit().map_err(db_err)?;
            Ok(out)
        })
        .await
    }
}

fn log_revocation(tx: &rusqlite::Transaction<'_>, revocation: &Revocation, now: i64) -> Result<()> {
    let entry =
        serde_json::to_string(revocation).map_err(|e| StoreError::corrupt(e.to_string()))?;
    tx.execute(
        "INSERT INTO revocation_log (at, entry) VALUES (?1, ?2)",
        params![now, entry],
    )
    .map_err(db_err)?;
    Ok(())
}

fn feed_cursor(conn: &Connection) -> Result<i64> {
    conn.query_row(
        "SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'revocation_log'), 0)",
        [],
        |r| r.get(0),
    )
    .map_err(db_err)
}

impl Revocations for SqliteStore {
    async fn revoke(&self, revocation: Revocation, now: i64) -> Result<()> {
        if !revocation.worth_storing(now)? {
            return Ok(());
        }
        self.write(move |tx| {
            match &revocation {
                Revocation::Token { issuer, jti, exp } => tx.execute(
                    "INSERT INTO denied_tokens (issuer, jti, exp) VALUES (?1, ?2, ?3)
                     ON CONFLICT (issuer, jti) DO UPDATE SET exp = MAX(exp, excluded.exp)",
                    params![issuer, jti, exp],
                ),
                Revocation::Subject { subject, before } => tx.execute(
                    "INSERT INTO subject_cutoffs (subject, before) VALUES (?1, ?2)
                     ON CONFLICT (subject) DO UPDATE SET before = MAX(before, excluded.before)",
                    params![subject, before],
                ),
                Revocation::All { before } => tx.execute(
                    "INSERT INTO global_cutoff (id, before) VALUES (1, ?1)
                     ON CONFLICT (id) DO UPDATE SET before = MAX(before, excluded.before)",
                    params![before],
                ),
            }
            .map_err(db_err)?;
            log_revocation(tx, &revocation, now)
        })
        .await?;
        self.inner.notify.notify_waiters();
        Ok(())
    }

    async fn consume(&self, issuer: &str, jti: &str, exp: i64, now: i64) -> Result<bool> {
        let token = Revocation::Token {
            issuer: issuer.to_owned(),
            jti: jti.to_owned(),
            exp,
        };
        if !token.worth_storing(now)? {
            return Ok(false);
        }
        let (issuer, jti) = (issuer.to_owned(), jti.to_owned());
        // The write transaction is IMMEDIATE: the check and the insert are one step.
        let first = self
            .write(move |tx| {
                let live: bool = tx
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM denied_tokens WHERE issuer = ?1 AND jti = ?2 AND exp > ?3)",
                        params![issuer, jti, now],
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                if live {
                    return Ok(false);
                }
                tx.execute(
                    "INSERT INTO denied_tokens (issuer, jti, exp) VALUES (?1, ?2, ?3)
                     ON CONFLICT (issuer, jti) DO UPDATE SET exp = excluded.exp",
                    params![issuer, jti, exp],
                )
                .map_err(db_err)?;
                log_revocation(tx, &token, now)?;
                Ok(true)
            })
            .await?;
        if first {
            self.inner.notify.notify_waiters();
        }
        Ok(first)
    }

    async fn is_revoked(
        &self,
        issuer: &str,
        jti: &str,
        subject: &str,
        iat: i64,
        now: i64,
    ) -> Result<Option<Revoked>> {
        let (issuer, jti, subject) = (issuer.to_owned(), jti.to_owned(), subject.to_owned());
        self.with(true, move |conn| {
            let denied: bool = conn
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM denied_tokens WHERE issuer = ?1 AND jti = ?2 AND exp > ?3)",
                    params![issuer, jti, now],
                    |r| r.get(0),
                )
                .map_err(db_err)?;
            let subject_before: Option<i64> = conn
                .query_row(
                    "SELECT before FROM subject_cutoffs WHERE subject = ?1",
                    params![subject],
                    |r| r.get(0),
                )
                .optional()
                .map_err(db_err)?;
            let global_before: Option<i64> = conn
                .query_row("SELECT before FROM global_cutoff WHERE id = 1", [], |r| r.get(0))
                .optional()
                .map_err(db_err)?;
            Ok(judge(denied, subject_before, global_before, iat))
        })
        .await
    }

    async fn snapshot(&self, now: i64) -> Result<RevocationSnapshot> {
        self.with(true, move |conn| {
            let tx = conn.transaction().map_err(db_err)?;
            let cursor = feed_cursor(&tx)?;
            let mut entries = Vec::new();
            {
                let mut stmt = tx
                    .prepare("SELECT issuer, jti, exp FROM denied_tokens WHERE exp > ?1")
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![now], |r| {
                        Ok(Revocation::Token {
                            issuer: r.get(0)?,
                            jti: r.get(1)?,
                            exp: r.get(2)?,
                        })
                    })
                    .map_err(db_err)?;
                for row in rows {
                    entries.push(row.map_err(db_err)?);
                }
                let mut stmt = tx
                    .prepare("SELECT subject, before FROM subject_cutoffs")
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map([], |r| {
                        Ok(Revocation::Subject {
                            subject: r.get(0)?,
                            before: r.get(1)?,
                        })
                    })
                    .map_err(db_err)?;
                for row in rows {
                    entries.push(row.map_err(db_err)?);
                }
                let global: Option<i64> = tx
                    .query_row("SELECT before FROM global_cutoff WHERE id = 1", [], |r| {
                        r.get(0)
                    })
                    .optional()
                    .map_err(db_err)?;
                if let Some(before) = global {
                    entries.push(Revocation::All { before });
                }
            }
            tx.commit().map_err(db_err)?;
            Ok(RevocationSnapshot {
                entries,
                cursor: cursor.to_string(),
            })
        })
        .await
    }

    async fn changes_since(&self, cursor: &str) -> Result<Changes> {
        let cursor: i64 = cursor
            .parse()
            .map_err(|_| StoreError::invalid("cursor", "not a cursor of this store"))?;
        self.with(true, move |conn| {
            let trimmed: i64 = conn
                .query_row(
                    "SELECT value FROM meta WHERE name = 'log_trimmed_through'",
                    [],
                    |r| r.get(0),
                )
                .map_err(db_err)?;
            if cursor < trimmed {
                return Ok(Changes::Reload);
            }
            let mut stmt = conn
                .prepare_cached(
                    "SELECT seq, entry FROM revocation_log WHERE seq > ?1 ORDER BY seq LIMIT 10000",
                )
                .map_err(db_err)?;
            let mut rows = stmt.query(params![cursor]).map_err(db_err)?;
            let (mut entries, mut last) = (Vec::new(), cursor);
            while let Some(row) = rows.next().map_err(db_err)? {
                last = row.get(0).map_err(db_err)?;
                let text: String = row.get(1).map_err(db_err)?;
                entries.push(serde_json::from_str(&text).map_err(|e| {
                    StoreError::corrupt(format!("revocation log entry {last}: {e}"))
                })?);
            }
            Ok(Changes::Since {
                entries,
                cursor: last.to_string(),
            })
        })
        .await
    }

    fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.inner.notify)
    }

    async fn purge_expired(&self, now: i64) -> Result<u64> {
        let durable = self
            .write(move |tx| {
                let mut n = tx
                    .execute("DELETE FROM denied_tokens WHERE exp <= ?1", params![now])
                    .map_err(db_err)?;
                n += tx
                    .execute(
                        "DELETE FROM families WHERE absolute_expires_at <= ?1 OR idle_expires_at <= ?1",
                        params![now],
                    )
                    .map_err(db_err)?;
                n += tx
                    .execute("DELETE FROM locks WHERE expires_at <= ?1", params![now])
                    .map_err(db_err)?;
                let horizon = now.saturating_sub(LOG_RETENTION_SECS);
                let last_old: Option<i64> = tx
                    .query_row(
                        "SELECT MAX(seq) FROM revocation_log WHERE at < ?1",
                        params![horizon],
                        |r| r.get(0),
                    )
                    .map_err(db_err)?;
                if let Some(last) = last_old {
                    n += tx
                        .execute("DELETE FROM revocation_log WHERE seq <= ?1", params![last])
                        .map_err(db_err)?;
                    tx.execute(
                        "UPDATE meta SET value = MAX(value, ?1) WHERE name = 'log_trimmed_through'",
                        params![last],
                    )
                    .map_err(db_err)?;
                }
                Ok(n)
            })
            .await?;
        let fast = self
            .with(false, move |conn| {
                conn.execute(
                    "DELETE FROM rate_windows WHERE expires_at <= ?1",
                    params![now],
                )
                .map_err(db_err)
            })
            .await?;
        Ok(u64::try_from(durable + fast).unwrap_or(u64::MAX))
    }
}

const FAMILY_COLUMNS: &str = "id, subject, current_jti, previous_jti, created_at, rotated_at, \
     idle_expires_at, absolute_expires_at, idle_secs, grace_secs, revoked_at, revoked_reason";

fn family_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Family> {
    Ok(Family {
        id: r.get(0)?,
        subject: r.get(1)?,
        current_jti: r.get(2)?,
        previous_jti: r.get(3)?,
        created_at: r.get(4)?,
        rotated_at: r.get(5)?,
        idle_expires_at: r.get(6)?,
        absolute_expires_at: r.get(7)?,
        idle_secs: r.get(8)?,
        grace_secs: r.get(9)?,
        revoked_at: r.get(10)?,
        revoked_reason: r.get(11)?,
    })
}

fn load_family(conn: &Connection, id: &str) -> Result<Option<Family>> {
    conn.query_row(
        &format!("SELECT {FAMILY_COLUMNS} FROM families WHERE id = ?1"),
        params![id],
        family_row,
    )
    .optional()
    .map_err(db_err)
}

fn revoke_subject_families(tx: &Connection, subject: &str, reason: &str, now: i64) -> Result<u64> {
    let n = tx
        .execute(
            "UPDATE families SET revoked_at = ?3, revoked_reason = ?2
             WHERE subject = ?1 AND revoked_at IS NULL
               AND idle_expires_at > ?3 AND absolute_expires_at > ?3",
            params![subject, reason, now],
        )
        .map_err(db_err)?;
    Ok(u64::try_from(n).unwrap_or(u64::MAX))
}

impl Families for SqliteStore {
    async fn create_family(&self, family: NewFamily) -> Result<()> {
        family.validate()?;
        let f = family.initial();
        self.write(move |tx| {
            tx.execute(
                &format!(
                    "INSERT INTO families ({FAMILY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)"
                ),
                params![
                    f.id, f.subject, f.current_jti, f.previous_jti, f.created_at, f.rotated_at,
                    f.idle_expires_at, f.absolute_expires_at, f.idle_secs, f.grace_secs,
                    f.revoked_at, f.revoked_reason
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict { what: "family id" }
                } else {
                    db_err(e)
                }
            })?;
            tx.execute(
                "INSERT INTO family_jtis (family_id, jti) VALUES (?1, ?2)",
                params![f.id, f.current_jti],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn rotate_family(
        &self,
        id: &str,
        presented: &str,
        successor: &str,
        now: i64,
    ) -> Result<RotateOutcome> {
        check_id("jti", successor)?;
        let (id, presented, successor) =
            (id.to_owned(), presented.to_owned(), successor.to_owned());
        self.write(move |tx| {
            let Some(family) = load_family(tx, &id)? else {
                return Ok(RotateOutcome::Unknown);
            };
            let was_used: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM family_jtis WHERE family_id = ?1 AND jti = ?2)",
                    params![id, presented],
                    |r| r.get(0),
                )
                .map_err(db_err)?;
            match decide(&family, &presented, was_used, now) {
                Decision::Rotate => {
                    let idle_expires_at = now.saturating_add(family.idle_secs);
                    tx.execute(
                        "INSERT INTO family_jtis (family_id, jti) VALUES (?1, ?2)",
                        params![id, successor],
                    )
                    .map_err(|e| {
                        if is_unique_violation(&e) {
                            StoreError::invalid("successor jti", "was already used in this family")
                        } else {
                            db_err(e)
                        }
                    })?;
                    tx.execute(
                        "UPDATE families SET current_jti = ?2, previous_jti = ?3, rotated_at = ?4,
                         idle_expires_at = ?5 WHERE id = ?1",
                        params![id, successor, presented, now, idle_expires_at],
                    )
                    .map_err(db_err)?;
                    Ok(RotateOutcome::Rotated {
                        successor,
                        idle_expires_at,
                        absolute_expires_at: family.absolute_expires_at,
                    })
                }
                Decision::Grace => Ok(RotateOutcome::Grace {
                    successor: family.current_jti,
                    idle_expires_at: family.idle_expires_at,
                    absolute_expires_at: family.absolute_expires_at,
                }),
                Decision::Reuse => {
                    tx.execute(
                        "UPDATE families SET revoked_at = ?2, revoked_reason = 'reuse' WHERE id = ?1",
                        params![id, now],
                    )
                    .map_err(db_err)?;
                    Ok(RotateOutcome::ReuseDetected {
                        subject: family.subject,
                    })
                }
                Decision::Refuse(outcome) => Ok(outcome),
            }
        })
        .await
    }

    async fn family(&self, id: &str) -> Result<Option<Family>> {
        let id = id.to_owned();
        self.with(true, move |conn| load_family(conn, &id)).await
    }

    async fn families_of(&self, subject: &str, now: i64) -> Result<Vec<Family>> {
        let subject = subject.to_owned();
        self.with(true, move |conn| {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {FAMILY_COLUMNS} FROM families WHERE subject = ?1 AND revoked_at IS NULL
                     AND idle_expires_at > ?2 AND absolute_expires_at > ?2 ORDER BY created_at, id"
                ))
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![subject, now], family_row)
                .map_err(db_err)?;
            rows.map(|r| r.map_err(db_err)).collect()
        })
        .await
    }

    async fn revoke_family(&self, id: &str, reason: &str, now: i64) -> Result<bool> {
        let (id, reason) = (id.to_owned(), reason.to_owned());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE families SET revoked_at = ?3, revoked_reason = ?2 WHERE id = ?1 AND revoked_at IS NULL",
                    params![id, reason, now],
                )
                .map_err(db_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn revoke_families_of(&self, subject: &str, reason: &str, now: i64) -> Result<u64> {
        let (subject, reason) = (subject.to_owned(), reason.to_owned());
        self.write(move |tx| revoke_subject_families(tx, &subject, &reason, now))
            .await
    }
}

/// A user's columns, in the order of [`USER_COLUMNS`].
type UserRow = (String, String, String, bool, bool, i64, i64);

const USER_COLUMNS: &str = "id, username, password_hash, disabled, admin, created_at, updated_at";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

fn to_user(row: UserRow) -> Result<User> {
    let (id, username, hash, disabled, admin, created_at, updated_at) = row;
    Ok(User {
        id,
        username,
        password_hash: PasswordHash::new(&hash).map_err(|_| {
            StoreError::corrupt("a stored password hash is not a valid argon2id hash")
        })?,
        disabled,
        admin,
        created_at,
        updated_at,
    })
}

fn load_user(conn: &Connection, column: &str, value: &str) -> Result<Option<User>> {
    conn.query_row(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = ?1"),
        params![value],
        user_row,
    )
    .optional()
    .map_err(db_err)?
    .map(to_user)
    .transpose()
}

impl Users for SqliteStore {
    async fn create_user(
        &self,
        username: &str,
        hash: PasswordHash,
        admin: bool,
        now: i64,
    ) -> Result<User> {
        let username = normalise_username(username)
            .map_err(|e| StoreError::invalid("username", e.to_string()))?;
        let id = jwtkeep_core::secret::random_id().map_err(unavailable)?;
        let user = User {
            id,
            username,
            password_hash: hash,
            disabled: false,
            admin,
            created_at: now,
            updated_at: now,
        };
        let stored = user.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO users (id, username, password_hash, disabled, admin, created_at, updated_at)
                 VALUES (?1, ?2, ?3, 0, ?4, ?5, ?5)",
                params![
                    stored.id,
                    stored.username,
                    stored.password_hash.as_str(),
                    stored.admin,
                    now
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict { what: "username" }
                } else {
                    db_err(e)
                }
            })?;
            Ok(())
        })
        .await?;
        Ok(user)
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let Ok(username) = normalise_username(username) else {
            return Ok(None);
        };
        self.with(true, move |conn| load_user(conn, "username", &username))
            .await
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        let id = id.to_owned();
        self.with(true, move |conn| load_user(conn, "id", &id))
            .await
    }

    async fn list_users(&self, limit: usize) -> Result<Vec<User>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.with(true, move |conn| {
            let mut statement = conn
                .prepare_cached(&format!(
                    "SELECT {USER_COLUMNS} FROM users ORDER BY username LIMIT ?1"
                ))
                .map_err(db_err)?;
            let rows = statement
                .query_map(params![limit], user_row)
                .map_err(db_err)?;
            rows.map(|row| row.map_err(db_err).and_then(to_user))
                .collect()
        })
        .await
    }

    async fn set_password(&self, id: &str, hash: PasswordHash, now: i64) -> Result<u64> {
        let id = id.to_owned();
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, hash.as_str(), now],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "user" });
            }
            revoke_subject_families(tx, &id, "password_changed", now)
        })
        .await
    }

    async fn set_disabled(&self, id: &str, disabled: bool, now: i64) -> Result<()> {
        let id = id.to_owned();
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE users SET disabled = ?2, updated_at = ?3 WHERE id = ?1",
                    params![id, disabled, now],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "user" });
            }
            Ok(())
        })
        .await
    }
}

fn client_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, i64)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}

fn to_client((name, hash, created_at): (String, String, i64)) -> Result<Client> {
    Ok(Client {
        name,
        secret_hash: ClientSecretHash::from_hex(&hash)
            .ok_or_else(|| StoreError::corrupt("a stored client secret hash is malformed"))?,
        created_at,
    })
}

impl Clients for SqliteStore {
    async fn create_client(
        &self,
        name: &str,
        secret_hash: ClientSecretHash,
        now: i64,
    ) -> Result<Client> {
        let name = normalise_username(name)
            .map_err(|e| StoreError::invalid("client name", e.to_string()))?;
        let client = Client {
            name,
            secret_hash,
            created_at: now,
        };
        let stored = client.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO clients (name, secret_hash, created_at) VALUES (?1, ?2, ?3)",
                params![stored.name, stored.secret_hash.to_hex(), now],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict {
                        what: "client name",
                    }
                } else {
                    db_err(e)
                }
            })?;
            Ok(())
        })
        .await?;
        Ok(client)
    }

    async fn client(&self, name: &str) -> Result<Option<Client>> {
        let Ok(name) = normalise_username(name) else {
            return Ok(None);
        };
        self.with(true, move |conn| {
            conn.prepare_cached("SELECT name, secret_hash, created_at FROM clients WHERE name = ?1")
                .map_err(db_err)?
                .query_row(params![name], client_row)
                .optional()
                .map_err(db_err)?
                .map(to_client)
                .transpose()
        })
        .await
    }

    async fn list_clients(&self) -> Result<Vec<Client>> {
        self.with(true, move |conn| {
            let mut statement = conn
                .prepare_cached("SELECT name, secret_hash, created_at FROM clients ORDER BY name")
                .map_err(db_err)?;
            let rows = statement.query_map([], client_row).map_err(db_err)?;
            rows.map(|row| row.map_err(db_err).and_then(to_client))
                .collect()
        })
        .await
    }

    async fn delete_client(&self, name: &str) -> Result<bool> {
        let Ok(name) = normalise_username(name) else {
            return Ok(false);
        };
        self.write(move |tx| {
            tx.execute("DELETE FROM clients WHERE name = ?1", params![name])
                .map(|n| n > 0)
                .map_err(db_err)
        })
        .await
    }
}

impl RateLimits for SqliteStore {
    async fn hit(&self, key: &str, limit: u64, window_secs: i64, now: i64) -> Result<RateDecision> {
        let start = crate::ratelimit::window_start(key, limit, window_secs, now)?;
        let key = key.to_owned();
        let count: i64 = self
            .with(false, move |conn| {
                conn.prepare_cached(
                    "INSERT INTO rate_windows (key, window_start, count, expires_at) VALUES (?1, ?2, 1, ?3)
                     ON CONFLICT (key) DO UPDATE SET
                       count = CASE WHEN window_start = excluded.window_start THEN count + 1 ELSE 1 END,
                       window_start = excluded.window_start, expires_at = excluded.expires_at
                     RETURNING count",
                )
                .map_err(db_err)?
                .query_row(params![key, start, start.saturating_add(window_secs)], |r| r.get(0))
                .map_err(db_err)
            })
            .await?;
        let count = u64::try_from(count).unwrap_or(u64::MAX);
        Ok(RateDecision::of(count, limit, start, window_secs, now))
    }

    async fn reset(&self, key: &str) -> Result<()> {
        let key = key.to_owned();
        self.with(false, move |conn| {
            conn.execute("DELETE FROM rate_windows WHERE key = ?1", params![key])
                .map_err(db_err)?;
            Ok(())
        })
        .await
    }
}

fn key_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(KeyRecordRow, String)> {
    Ok((
        KeyRecordRow {
            purpose: r.get(0)?,
            kid: r.get(1)?,
            created_at: r.get(3)?,
            published_at: r.get(4)?,
            active_from: r.get(5)?,
            active_until: r.get(6)?,
            verify_until: r.get(7)?,
            public_jwk: r.get(8)?,
            sealed: r.get(9)?,
        },
        r.get(2)?,
    ))
}

/// A key record before its algorithm name is checked.
struct KeyRecordRow {
    purpose: String,
    kid: String,
    created_at: i64,
    published_at: i64,
    active_from: i64,
    active_until: Option<i64>,
    verify_until: Option<i64>,
    public_jwk: Option<String>,
    sealed: Vec<u8>,
}

impl SigningKeys for SqliteStore {
    async fn put_key(&self, record: KeyRecord) -> Result<()> {
        record.validate()?;
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO signing_keys (purpose, kid, alg, created_at, published_at, active_from,
                 active_until, verify_until, public_jwk, sealed) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    record.purpose, record.kid, record.alg.name(), record.created_at,
                    record.published_at, record.active_from, record.active_until,
                    record.verify_until, record.public_jwk, record.sealed
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict { what: "key id" }
                } else {
                    db_err(e)
                }
            })?;
            Ok(())
        })
        .await
    }

    async fn keys(&self, purpose: &str) -> Result<Vec<KeyRecord>> {
        let purpose = purpose.to_owned();
        self.with(true, move |conn| {
            let mut stmt = conn
                .prepare(
                    "SELECT purpose, kid, alg, created_at, published_at, active_from, active_until,
                     verify_until, public_jwk, sealed FROM signing_keys WHERE purpose = ?1
                     ORDER BY active_from, created_at, kid",
                )
                .map_err(db_err)?;
            let rows = stmt.query_map(params![purpose], key_row).map_err(db_err)?;
            let mut out = Vec::new();
            for row in rows {
                let (r, alg) = row.map_err(db_err)?;
                let alg = jwtkeep_core::Algorithm::from_jose_name(&alg).ok_or_else(|| {
                    StoreError::corrupt(format!("key {} has an unknown algorithm", r.kid))
                })?;
                out.push(KeyRecord {
                    purpose: r.purpose,
                    kid: r.kid,
                    alg,
                    created_at: r.created_at,
                    published_at: r.published_at,
                    active_from: r.active_from,
                    active_until: r.active_until,
                    verify_until: r.verify_until,
                    public_jwk: r.public_jwk,
                    sealed: r.sealed,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn set_key_schedule(
        &self,
        purpose: &str,
        kid: &str,
        active_until: Option<i64>,
        verify_until: Option<i64>,
    ) -> Result<()> {
        let (purpose, kid) = (purpose.to_owned(), kid.to_owned());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "UPDATE signing_keys SET active_until = ?3, verify_until = ?4 WHERE purpose = ?1 AND kid = ?2",
                    params![purpose, kid, active_until, verify_until],
                )
                .map_err(db_err)?;
            if n == 0 {
                return Err(StoreError::NotFound { what: "key" });
            }
            Ok(())
        })
        .await
    }

    async fn delete_key(&self, purpose: &str, kid: &str) -> Result<bool> {
        let (purpose, kid) = (purpose.to_owned(), kid.to_owned());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "DELETE FROM signing_keys WHERE purpose = ?1 AND kid = ?2",
                    params![purpose, kid],
                )
                .map_err(db_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn try_lock(&self, name: &str, holder: &str, ttl_secs: i64, now: i64) -> Result<bool> {
        check_id("lock name", name)?;
        check_id("lock holder", holder)?;
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |tx| {
            let n = tx
                .execute(
                    "INSERT INTO locks (name, holder, expires_at) VALUES (?1, ?2, ?3)
                     ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                     WHERE locks.holder = excluded.holder OR locks.expires_at <= ?4",
                    params![name, holder, now.saturating_add(ttl_secs.max(1)), now],
                )
                .map_err(db_err)?;
            Ok(n > 0)
        })
        .await
    }

    async fn unlock(&self, name: &str, holder: &str) -> Result<()> {
        let (name, holder) = (name.to_owned(), holder.to_owned());
        self.write(move |tx| {
            tx.execute(
                "DELETE FROM locks WHERE name = ?1 AND holder = ?2",
                params![name, holder],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }
}

impl Events for SqliteStore {
    async fn record(&self, event: Event) -> Result<()> {
        event.validate()?;
        let details = serde_json::to_string(&event.details)
            .map_err(|e| StoreError::corrupt(e.to_string()))?;
        self.with(false, move |conn| {
            conn.prepare_cached(
                "INSERT INTO events (at, name, subject, client, details) VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .map_err(db_err)?
            .execute(params![event.at, event.name, event.subject, event.client, details])
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn events(&self, query: EventQuery) -> Result<Vec<Event>> {
        self.with(false, move |conn| {
            let (exact, prefix) = match &query.name {
                Some(p) if p.ends_with('.') => (None, Some(p.clone())),
                Some(n) => (Some(n.clone()), None),
                None => (None, None),
            };
            let mut stmt = conn
                .prepare_cached(
                    "SELECT at, name, subject, client, details FROM events
                     WHERE at >= ?1 AND at < ?2
                       AND (?3 IS NULL OR name = ?3)
                       AND (?4 IS NULL OR substr(name, 1, length(?4)) = ?4)
                     ORDER BY seq LIMIT ?5",
                )
                .map_err(db_err)?;
            let limit = i64::try_from(query.limit).unwrap_or(i64::MAX);
            let rows = stmt
                .query_map(params![query.from, query.to, exact, prefix, limit], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get::<_, String>(4)?,
                    ))
                })
                .map_err(db_err)?;
            let mut out = Vec::new();
            for row in rows {
                let (at, name, subject, client, details) = row.map_err(db_err)?;
                out.push(Event {
                    at,
                    name,
                    subject,
                    client,
                    details: serde_json::from_str(&details)
                        .map_err(|e| StoreError::corrupt(format!("event details: {e}")))?,
                });
            }
            Ok(out)
        })
        .await
    }

    async fn purge_events(&self, before: i64) -> Result<u64> {
        self.with(false, move |conn| {
            let n = conn
                .execute("DELETE FROM events WHERE at < ?1", params![before])
                .map_err(db_err)?;
            Ok(u64::try_from(n).unwrap_or(u64::MAX))
        })
        .await
    }
}

impl Store for SqliteStore {
    fn backend(&self) -> &'static str {
        "sqlite"
    }

    async fn ping(&self) -> Result<()> {
        self.with(true, |conn| {
            conn.query_row("SELECT 1", [], |r| r.get::<_, i64>(0))
                .map_err(db_err)?;
            Ok(())
        })
        .await
    }
}
