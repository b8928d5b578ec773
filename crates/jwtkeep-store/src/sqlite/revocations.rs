//! Revocations in SQLite: denied tokens, subject and global cut-offs, and
//! the feed (`revocation_log`) that views catch up from.

use rusqlite::{params, Connection, OptionalExtension};

use super::{db_err, SqliteStore};
use crate::revocation::{judge, Matches};
use crate::traits::Result;
use crate::traits::{RevocationFeed, Revocations};
use crate::{Changes, Revocation, RevocationSnapshot, Revoked, StoreError, TokenFacts};
use std::sync::Arc;
use tokio::sync::Notify;

/// Feed entries are kept this long, so that a view that was away for less
/// can catch up without a full reload.
const LOG_RETENTION_SECS: i64 = 86_400;

/// Stores one revocation and appends it to the feed, within the caller's transaction.
pub(super) fn record(tx: &Connection, revocation: &Revocation, now: i64) -> Result<()> {
    match revocation {
        Revocation::Token { issuer, jti, exp } => tx.execute(
            "INSERT INTO denied_tokens (issuer, jti, exp) VALUES (?1, ?2, ?3)
             ON CONFLICT (issuer, jti) DO UPDATE SET exp = MAX(exp, excluded.exp)",
            params![issuer, jti, exp],
        ),
        Revocation::Session { session, until } => tx.execute(
            "INSERT INTO denied_sessions (session, until) VALUES (?1, ?2)
             ON CONFLICT (session) DO UPDATE SET until = MAX(until, excluded.until)",
            params![session, until],
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
    log_revocation(tx, revocation, now)
}

fn log_revocation(tx: &Connection, revocation: &Revocation, now: i64) -> Result<()> {
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

impl RevocationFeed for SqliteStore {
    async fn identity(&self) -> Result<Option<String>> {
        self.read_identity().await
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
                    .prepare("SELECT session, until FROM denied_sessions WHERE until > ?1")
                    .map_err(db_err)?;
                let rows = stmt
                    .query_map(params![now], |r| {
                        Ok(Revocation::Session {
                            session: r.get(0)?,
                            until: r.get(1)?,
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
}

impl Revocations for SqliteStore {
    async fn revoke(&self, revocation: Revocation, now: i64) -> Result<()> {
        if !revocation.worth_storing(now)? {
            return Ok(());
        }
        self.write(move |tx| record(tx, &revocation, now)).await?;
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

    async fn is_revoked(&self, token: TokenFacts<'_>, now: i64) -> Result<Option<Revoked>> {
        let (issuer, jti, subject) = (
            token.issuer.to_owned(),
            token.jti.to_owned(),
            token.subject.to_owned(),
        );
        let (session, iat) = (token.session.map(str::to_owned), token.iat);
        self.with(true, move |conn| {
            let denied: bool = conn
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM denied_tokens WHERE issuer = ?1 AND jti = ?2 AND exp > ?3)",
                    params![issuer, jti, now],
                    |r| r.get(0),
                )
                .map_err(db_err)?;
            let session_ended = match &session {
                None => false,
                Some(session) => conn
                    .query_row(
                        "SELECT EXISTS (SELECT 1 FROM denied_sessions WHERE session = ?1 AND until > ?2)",
                        params![session, now],
                        |r| r.get(0),
                    )
                    .map_err(db_err)?,
            };
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
            let found = Matches {
                denied,
                session_ended,
                subject_before,
                global_before,
            };
            Ok(judge(found, iat))
        })
        .await
    }

    async fn purge_expired(&self, now: i64) -> Result<u64> {
        let durable = self
            .write(move |tx| {
                let mut n = tx
                    .execute("DELETE FROM denied_tokens WHERE exp <= ?1", params![now])
                    .map_err(db_err)?;
                n += tx
                    .execute("DELETE FROM denied_sessions WHERE until <= ?1", params![now])
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
