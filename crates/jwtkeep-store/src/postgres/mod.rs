//! The durable shared backend: several service instances on one PostgreSQL
//! database, in a schema of their own. Connections come from a bounded pool
//! (deadpool) and every statement runs under the pool's wait timeout and a
//! server-side `statement_timeout`; a database that cannot be reached in
//! time is [`StoreError::Unavailable`], so verification fails closed and the
//! service recovers by itself when it answers again. Races are settled by
//! the database (row locks and `INSERT … ON CONFLICT`); revocations are
//! announced with `NOTIFY`, and the feed's cursor is the revocation log's
//! sequence.
//!
//! The schema is versioned: migrations run at open, under an advisory lock,
//! so instances starting together apply each once. The store's identity is
//! written with the schema.

mod families;
mod keys;
mod revocations;
mod schema;
mod users;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod, Timeouts};
use tokio::sync::Notify;

use crate::traits::{Result, Store};
use crate::{StoreError, TaskGuard};

/// Where and how to reach PostgreSQL.
#[derive(Clone)]
pub struct PostgresConfig {
    /// `postgres://USER[:PASSWORD]@HOST:PORT/DB` (credentials never printed).
    pub url: String,
    /// The schema the store's tables live in (created if absent), so that
    /// several deployments, or tests, share one database.
    pub schema: String,
    /// Longest an operation may wait for a connection, and run on the server.
    pub op_timeout: Duration,
    /// Most connections held at once.
    pub pool_size: usize,
}

impl std::fmt::Debug for PostgresConfig {
    /// The URL's password is never shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresConfig")
            .field("url", &crate::validate::redacted_url(&self.url))
            .field("schema", &self.schema)
            .field("op_timeout", &self.op_timeout)
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

impl PostgresConfig {
    /// Schema `jwtkeep`, 2 s per operation, 16 connections.
    pub fn new(url: impl Into<String>) -> PostgresConfig {
        PostgresConfig {
            url: url.into(),
            schema: "jwtkeep".to_owned(),
            op_timeout: Duration::from_secs(2),
            pool_size: 16,
        }
    }

    /// Uses `schema` (letters, digits and `_`, starting with a letter or `_`).
    pub fn schema(mut self, schema: impl Into<String>) -> PostgresConfig {
        self.schema = schema.into();
        self
    }
}

/// A store in PostgreSQL. Cheap to clone; clones share the pool.
#[derive(Clone)]
pub struct PostgresStore {
    pool: Pool,
    schema: Arc<str>,
    /// The `NOTIFY` channel of revocations and key changes: the schema's name.
    channel: Arc<str>,
    op_timeout: Duration,
    notify: Arc<Notify>,
    keys_notify: Arc<Notify>,
    /// The `LISTEN` connection's task, ended with the last clone.
    _listener: Arc<TaskGuard>,
}

impl std::fmt::Debug for PostgresStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PostgresStore")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

fn unavailable(reason: impl std::fmt::Display) -> StoreError {
    StoreError::Unavailable {
        backend: "postgres",
        reason: reason.to_string(),
    }
}

/// A database error as the store's: the SQLSTATE class decides; the text,
/// which may quote values, is not passed on.
fn pg_err(e: &tokio_postgres::Error) -> StoreError {
    match e.code() {
        Some(code) => unavailable(format!("SQLSTATE {}", code.code())),
        None => unavailable("the connection failed or timed out"),
    }
}

fn is_unique_violation(e: &tokio_postgres::Error) -> bool {
    e.code() == Some(&tokio_postgres::error::SqlState::UNIQUE_VIOLATION)
}

/// Whether `schema` is a plain identifier (so that it can be written into SQL).
fn valid_schema(schema: &str) -> bool {
    let mut bytes = schema.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && schema.len() <= 63
}

/// The key every instance takes before migrating (any fixed number: it
/// only has to be the same for all of them).
const MIGRATION_LOCK: i64 = 0x6a77_746b_6565_7001;

impl PostgresStore {
    /// Connects (a bounded pool; every session in `schema` with a
    /// `statement_timeout` of `op_timeout`), creates the schema if absent and
    /// brings it up to date.
    pub async fn open(config: PostgresConfig) -> Result<PostgresStore> {
        if !valid_schema(&config.schema) {
            return Err(StoreError::invalid(
                "PostgreSQL schema",
                "must be 1 to 63 letters, digits and _, starting with a letter or _",
            ));
        }
        let mut pg: tokio_postgres::Config = config
            .url
            .parse()
            .map_err(|_| StoreError::invalid("PostgreSQL URL", "postgres://USER@HOST:PORT/DB"))?;
        let timeout_ms = config.op_timeout.as_millis();
        pg.options(format!(
            "-c search_path={} -c statement_timeout={timeout_ms} -c lock_timeout={timeout_ms}",
            config.schema
        ))
        .connect_timeout(config.op_timeout)
        .application_name("jwtkeep");
        let listener_config = pg.clone();
        let manager = Manager::from_config(
            pg,
            tokio_postgres::NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(config.pool_size.max(1))
            .timeouts(Timeouts {
                wait: Some(config.op_timeout),
                create: Some(config.op_timeout),
                recycle: Some(config.op_timeout),
            })
            .runtime(deadpool_postgres::Runtime::Tokio1)
            .build()
            .map_err(unavailable)?;
        let (notify, keys_notify) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
        let listener = TaskGuard::spawn(listen(
            listener_config,
            config.schema.clone(),
            Arc::clone(&notify),
            Arc::clone(&keys_notify),
        ));
        let store = PostgresStore {
            pool,
            channel: config.schema.clone().into(),
            schema: config.schema.into(),
            op_timeout: config.op_timeout,
            notify,
            keys_notify,
            _listener: Arc::new(listener),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// A pooled connection, within the operation timeout.
    async fn conn(&self) -> Result<deadpool_postgres::Object> {
        self.pool.get().await.map_err(|e| match e {
            deadpool_postgres::PoolError::Backend(e) => pg_err(&e),
            other => unavailable(other),
        })
    }

    /// Creates the schema if absent and applies the migrations it lacks, one
    /// instance at a time; a schema from a newer jwtkeep is refused.
    async fn migrate(&self) -> Result<()> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(&e))?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
            .await
            .map_err(|e| pg_err(&e))?;
        tx.batch_execute(&format!(
            "CREATE SCHEMA IF NOT EXISTS {schema};
             CREATE TABLE IF NOT EXISTS {schema}.migrations (version INT PRIMARY KEY);",
            schema = self.schema
        ))
        .await
        .map_err(|e| pg_err(&e))?;
        let version: i32 = tx
            .query_one("SELECT COALESCE(MAX(version), 0) FROM migrations", &[])
            .await
            .map_err(|e| pg_err(&e))?
            .get(0);
        let known = i32::try_from(schema::MIGRATIONS.len()).unwrap_or(i32::MAX);
        if version > known {
            return Err(StoreError::corrupt(format!(
                "the database has schema version {version}, newer than this jwtkeep's {known}: upgrade jwtkeep"
            )));
        }
        for (i, sql) in schema::MIGRATIONS
            .iter()
            .enumerate()
            .skip(usize::try_from(version).unwrap_or(0))
        {
            tx.batch_execute(sql).await.map_err(|e| pg_err(&e))?;
            let applied = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.execute("INSERT INTO migrations (version) VALUES ($1)", &[&applied])
                .await
                .map_err(|e| pg_err(&e))?;
        }
        // A schema made now gets its identity now, from the OS CSPRNG.
        let identity = crate::validate::new_id()?;
        tx.execute(
            "INSERT INTO identity (id, value, created_at)
             VALUES (1, $1, CAST(EXTRACT(EPOCH FROM now()) AS BIGINT))
             ON CONFLICT (id) DO NOTHING",
            &[&identity],
        )
        .await
        .map_err(|e| pg_err(&e))?;
        tx.commit().await.map_err(|e| pg_err(&e))
    }

    /// The schema's identity.
    pub async fn identity_value(&self) -> Result<Option<String>> {
        let client = self.conn().await?;
        let row = client
            .query_opt("SELECT value FROM identity WHERE id = 1", &[])
            .await
            .map_err(|e| pg_err(&e))?;
        Ok(row.map(|r| r.get(0)))
    }

    /// The schema the store lives in.
    pub fn schema_name(&self) -> &str {
        &self.schema
    }

    /// How long an operation may take.
    pub fn op_timeout(&self) -> Duration {
        self.op_timeout
    }
}

/// Follows the channel on a connection of its own (`LISTEN`), waking
/// `notify` for revocations and `keys_notify` for key changes. When the
/// connection drops it wakes both (announcements may have been missed) and
/// connects again, every second at most.
async fn listen(
    config: tokio_postgres::Config,
    channel: String,
    notify: Arc<Notify>,
    keys_notify: Arc<Notify>,
) {
    loop {
        if let Ok((client, mut connection)) = config.connect(tokio_postgres::NoTls).await {
            let messages = async {
                while let Some(message) =
                    std::future::poll_fn(|cx| connection.poll_message(cx)).await
                {
                    match message {
                        Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                            if n.payload() == keys::KEYS {
                                keys_notify.notify_waiters();
                            } else {
                                notify.notify_waiters();
                            }
                        }
                        Ok(_) => {}
                        Err(_) => break,
                    }
                }
            };
            let subscribe = async {
                if client
                    .batch_execute(&format!("LISTEN \"{channel}\""))
                    .await
                    .is_ok()
                {
                    // Listening from now: whatever came before is read by the next sync.
                    notify.notify_waiters();
                    keys_notify.notify_waiters();
                }
                std::future::pending::<()>().await;
            };
            tokio::select! {
                () = messages => {}
                () = subscribe => {}
            }
        }
        notify.notify_waiters();
        keys_notify.notify_waiters();
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

impl Store for PostgresStore {
    fn backend(&self) -> &'static str {
        "postgres"
    }

    async fn ping(&self) -> Result<()> {
        let client = self.conn().await?;
        client
            .query_one("SELECT 1", &[])
            .await
            .map(drop)
            .map_err(|e| pg_err(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schemas_are_plain_identifiers_and_urls_hide_passwords() {
        for good in ["jwtkeep", "_t1", "a_b_2"] {
            assert!(valid_schema(good), "{good}");
        }
        for bad in ["", "1a", "a-b", "a;drop", "a b", &"a".repeat(64)] {
            assert!(!valid_schema(bad), "{bad}");
        }
        let shown = format!(
            "{:?}",
            PostgresConfig::new("postgres://app:s3cr3t@db:5432/x")
        );
        assert!(!shown.contains("s3cr3t"), "{shown}");
        assert!(shown.contains("db:5432/x"), "{shown}");
    }
}
