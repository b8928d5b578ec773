//! The embedded default: one SQLite file, created 0600, in WAL mode, with
//! versioned migrations. Revocations, families, users and keys are written
//! with `synchronous = FULL` (an acknowledged revocation survives a crash or
//! a power cut); rate-limit windows and events, which may lose their last
//! moments without harm, go through a second connection with `NORMAL`.
//!
//! Durable writes are committed in groups: each write is queued, and
//! whichever caller next holds the durable connection runs every queued
//! write in one transaction, each in its own savepoint (a write that fails
//! leaves no trace and does not touch the others), commits once — one fsync
//! for the group — and only then answers each caller. Writes run one after
//! the other inside the transaction, each seeing the ones before it, so the
//! races the store settles (one successor per refresh token, one consumer
//! per confirmation) are settled exactly as with a transaction each.

mod clients;
mod events;
mod families;
mod identity;
mod keys;
mod limits;
mod revocations;
mod schema;
mod users;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rusqlite::{Connection, ErrorCode, TransactionBehavior};
use tokio::sync::Notify;

use crate::traits::{Result, Store};
use crate::StoreError;

/// A store in one SQLite file. Cheap to clone; clones share the connections.
#[derive(Clone)]
pub struct SqliteStore {
    inner: Arc<Inner>,
}

/// A queued durable write: run in the group's transaction (or told why
/// there is none), it gives back what answers its caller once the group's
/// commit is known.
type Job = Box<dyn FnOnce(Result<&rusqlite::Transaction<'_>>) -> Answer + Send>;

/// Answers a write's caller with the group's commit result.
type Answer = Box<dyn FnOnce(Result<()>) + Send>;

/// The most writes waiting for a group at once; past it, a write is refused
/// as unavailable rather than queued without bound.
const MAX_QUEUED_WRITES: usize = 4096;

struct Inner {
    durable: Mutex<Connection>,
    /// Durable writes waiting for the next group commit.
    queued: Mutex<Vec<Job>>,
    /// (groups committed, writes in them), for [`SqliteStore::group_commits`].
    groups: Mutex<(u64, u64)>,
    fast: Mutex<Connection>,
    notify: Arc<Notify>,
    /// Woken when keys change in this process (other processes sharing the
    /// file are learnt of by the services' key checks).
    keys_notify: Arc<Notify>,
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
                queued: Mutex::new(Vec::new()),
                groups: Mutex::new((0, 0)),
                fast: Mutex::new(fast),
                notify: Arc::new(Notify::new()),
                keys_notify: Arc::new(Notify::new()),
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

    /// How many durable groups this handle (and its clones) committed, and
    /// how many writes they held: the second over the first is how many
    /// writes one fsync paid for.
    pub fn group_commits(&self) -> (u64, u64) {
        self.inner.groups.lock().map_or((0, 0), |g| *g)
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

    /// One durable write, committed with whatever other writes are queued
    /// when the durable connection comes free (see the module's notes): its
    /// result once the group's commit has succeeded, or the commit's error.
    async fn write<T, F>(&self, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&rusqlite::Transaction<'_>) -> Result<T> + Send + 'static,
    {
        let (send, receive) = tokio::sync::oneshot::channel::<Result<T>>();
        let job: Job = Box::new(move |tx| {
            let out = tx.and_then(|tx| in_savepoint(tx, f));
            Box::new(move |committed: Result<()>| {
                let _ = send.send(committed.and(out));
            })
        });
        {
            let mut queued = self
                .inner
                .queued
                .lock()
                .map_err(|_| unavailable("a previous operation panicked"))?;
            if queued.len() >= MAX_QUEUED_WRITES {
                return Err(unavailable("too many writes waiting"));
            }
            queued.push(job);
        }
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || commit_queued(&inner))
            .await
            .map_err(unavailable)?;
        receive
            .await
            .map_err(|_| unavailable("the write was abandoned"))?
    }
}

/// Runs `f` in a savepoint of `tx`: released when it succeeds, rolled back
/// (and released) when it fails, so that a failed write leaves nothing.
fn in_savepoint<T>(
    tx: &rusqlite::Transaction<'_>,
    f: impl FnOnce(&rusqlite::Transaction<'_>) -> Result<T>,
) -> Result<T> {
    tx.execute_batch("SAVEPOINT write").map_err(db_err)?;
    let out = f(tx);
    let end = if out.is_ok() {
        "RELEASE write"
    } else {
        "ROLLBACK TO write; RELEASE write"
    };
    tx.execute_batch(end).map_err(db_err)?;
    out
}

/// Takes the durable connection, then every queued write (none if another
/// caller's group already took this caller's), and commits them as one
/// transaction; answers each.
fn commit_queued(inner: &Inner) {
    let take = || {
        inner
            .queued
            .lock()
            .map(|mut queued| std::mem::take(&mut *queued))
            .unwrap_or_default()
    };
    let Ok(mut conn) = inner.durable.lock() else {
        fail(take(), &unavailable("a previous operation panicked"));
        return;
    };
    let jobs = take();
    if jobs.is_empty() {
        return;
    }
    let tx = match conn.transaction_with_behavior(TransactionBehavior::Immediate) {
        Ok(tx) => tx,
        Err(e) => return fail(jobs, &db_err(e)),
    };
    let writes = u64::try_from(jobs.len()).unwrap_or(u64::MAX);
    let answers: Vec<Answer> = jobs.into_iter().map(|job| job(Ok(&tx))).collect();
    let committed = tx.commit().map_err(db_err);
    if committed.is_ok() {
        if let Ok(mut groups) = inner.groups.lock() {
            groups.0 = groups.0.saturating_add(1);
            groups.1 = groups.1.saturating_add(writes);
        }
    }
    for answer in answers {
        answer(committed.clone());
    }
}

/// Answers every write of `jobs` with `error`, running none.
fn fail(jobs: Vec<Job>, error: &StoreError) {
    for job in jobs {
        job(Err(error.clone()))(Err(error.clone()));
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
