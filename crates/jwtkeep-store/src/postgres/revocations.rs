//! Revocations in PostgreSQL: denied tokens, ended sessions, subject and
//! global cut-offs, and the feed (`revocation_log`) views catch up from.
//!
//! Every append to the feed takes one advisory lock for the rest of its
//! transaction, so log entries commit in the order of their sequence
//! numbers: a reader that sees entry N has every entry before it, and a
//! cursor never skips one still in flight. The announcement (`NOTIFY`) is
//! part of the transaction: it is delivered when, and only if, it commits.

use tokio_postgres::Transaction;

use super::{pg_err, PostgresStore};
use crate::revocation::{judge, Matches};
use crate::traits::Result;
use crate::traits::{RevocationFeed, Revocations};
use crate::{Changes, Revocation, RevocationSnapshot, Revoked, StoreError, TokenFacts};
use std::sync::Arc;
use tokio::sync::Notify;

/// Feed entries are kept this long, so that a view that was away for less
/// can catch up without a full reload.
const LOG_RETENTION_SECS: i64 = 86_400;

/// The advisory lock that orders appends to the feed.
const FEED_LOCK: i64 = 0x6a77_746b_6565_7002;

/// What a revocation's announcement says.
pub(super) const REVOCATIONS: &str = "revocations";

/// Stores one revocation, appends it to the feed and announces it, within `tx`.
pub(super) async fn record(
    tx: &Transaction<'_>,
    channel: &str,
    revocation: &Revocation,
    now: i64,
) -> Result<()> {
    let stored = match revocation {
        Revocation::Token { issuer, jti, exp } => {
            tx.execute(
                "INSERT INTO denied_tokens (issuer, jti, exp) VALUES ($1, $2, $3)
                 ON CONFLICT (issuer, jti) DO UPDATE SET exp = GREATEST(denied_tokens.exp, excluded.exp)",
                &[issuer, jti, exp],
            )
            .await
        }
        Revocation::Session { session, until } => {
            tx.execute(
                "INSERT INTO denied_sessions (session, until) VALUES ($1, $2)
                 ON CONFLICT (session) DO UPDATE SET until = GREATEST(denied_sessions.until, excluded.until)",
                &[session, until],
            )
            .await
        }
        Revocation::Subject { subject, before } => {
            tx.execute(
                "INSERT INTO subject_cutoffs (subject, before) VALUES ($1, $2)
                 ON CONFLICT (subject) DO UPDATE SET before = GREATEST(subject_cutoffs.before, excluded.before)",
                &[subject, before],
            )
            .await
        }
        Revocation::All { before } => {
            tx.execute(
                "INSERT INTO global_cutoff (id, before) VALUES (1, $1)
                 ON CONFLICT (id) DO UPDATE SET before = GREATEST(global_cutoff.before, excluded.before)",
                &[before],
            )
            .await
        }
    };
    stored.map_err(|e| pg_err(&e))?;
    log_revocation(tx, channel, revocation, now).await
}

/// Appends `revocation` to the feed in order, and announces it on commit.
async fn log_revocation(
    tx: &Transaction<'_>,
    channel: &str,
    revocation: &Revocation,
    now: i64,
) -> Result<()> {
    let entry =
        serde_json::to_string(revocation).map_err(|e| StoreError::corrupt(e.to_string()))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&FEED_LOCK])
        .await
        .map_err(|e| pg_err(&e))?;
    tx.execute(
        "INSERT INTO revocation_log (at, entry) VALUES ($1, $2)",
        &[&now, &entry],
    )
    .await
    .map_err(|e| pg_err(&e))?;
    tx.execute("SELECT pg_notify($1, $2)", &[&channel, &REVOCATIONS])
        .await
        .map_err(|e| pg_err(&e))?;
    Ok(())
}

impl RevocationFeed for PostgresStore {
    async fn identity(&self) -> Result<Option<String>> {
        self.identity_value().await
    }

    async fn snapshot(&self, now: i64) -> Result<RevocationSnapshot> {
        let mut client = self.conn().await?;
        // One consistent view: the data and the cursor it reaches.
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|e| pg_err(&e))?;
        let cursor = feed_cursor(&tx).await?;
        let mut entries = Vec::new();
        for row in tx
            .query(
                "SELECT issuer, jti, exp FROM denied_tokens WHERE exp > $1",
                &[&now],
            )
            .await
            .map_err(|e| pg_err(&e))?
        {
            entries.push(Revocation::Token {
                issuer: row.get(0),
                jti: row.get(1),
                exp: row.get(2),
            });
        }
        for row in tx
            .query(
                "SELECT session, until FROM denied_sessions WHERE until > $1",
                &[&now],
            )
            .await
            .map_err(|e| pg_err(&e))?
        {
            entries.push(Revocation::Session {
                session: row.get(0),
                until: row.get(1),
            });
        }
        for row in tx
            .query("SELECT subject, before FROM subject_cutoffs", &[])
            .await
            .map_err(|e| pg_err(&e))?
        {
            entries.push(Revocation::Subject {
                subject: row.get(0),
                before: row.get(1),
            });
        }
        if let Some(row) = tx
            .query_opt("SELECT before FROM global_cutoff WHERE id = 1", &[])
            .await
            .map_err(|e| pg_err(&e))?
        {
            entries.push(Revocation::All { before: row.get(0) });
        }
        tx.commit().await.map_err(|e| pg_err(&e))?;
        Ok(RevocationSnapshot {
            entries,
            cursor: cursor.to_string(),
        })
    }

    async fn changes_since(&self, cursor: &str) -> Result<Changes> {
        let cursor: i64 = cursor
            .parse()
            .map_err(|_| StoreError::invalid("cursor", "not a cursor of this store"))?;
        let client = self.conn().await?;
        let trimmed: i64 = client
            .query_one(
                "SELECT value FROM meta WHERE name = 'log_trimmed_through'",
                &[],
            )
            .await
            .map_err(|e| pg_err(&e))?
            .get(0);
        if cursor < trimmed {
            return Ok(Changes::Reload);
        }
        let rows = client
            .query(
                "SELECT seq, entry FROM revocation_log WHERE seq > $1 ORDER BY seq LIMIT 10000",
                &[&cursor],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        let (mut entries, mut last) = (Vec::with_capacity(rows.len()), cursor);
        for row in rows {
            last = row.get(0);
            let text: String = row.get(1);
            entries.push(
                serde_json::from_str(&text).map_err(|e| {
                    StoreError::corrupt(format!("revocation log entry {last}: {e}"))
                })?,
            );
        }
        Ok(Changes::Since {
            entries,
            cursor: last.to_string(),
        })
    }

    fn notifier(&self) -> Arc<Notify> {
        Arc::clone(&self.notify)
    }
}

/// The feed's position: its last entry, or where it was trimmed to.
async fn feed_cursor(tx: &Transaction<'_>) -> Result<i64> {
    Ok(tx
        .query_one(
            "SELECT GREATEST(COALESCE((SELECT MAX(seq) FROM revocation_log), 0),
                             (SELECT value FROM meta WHERE name = 'log_trimmed_through'))",
            &[],
        )
        .await
        .map_err(|e| pg_err(&e))?
        .get(0))
}

impl Revocations for PostgresStore {
    async fn revoke(&self, revocation: Revocation, now: i64) -> Result<()> {
        if !revocation.worth_storing(now)? {
            return Ok(());
        }
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(&e))?;
        record(&tx, &self.channel, &revocation, now).await?;
        tx.commit().await.map_err(|e| pg_err(&e))?;
        self.notify.notify_waiters();
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
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(&e))?;
        // The row decides: of concurrent inserts one wins the conflict, and
        // a live denial is not replaced.
        let first = tx
            .query_opt(
                "INSERT INTO denied_tokens (issuer, jti, exp) VALUES ($1, $2, $3)
                 ON CONFLICT (issuer, jti) DO UPDATE SET exp = excluded.exp
                 WHERE denied_tokens.exp <= $4
                 RETURNING 1",
                &[&issuer, &jti, &exp, &now],
            )
            .await
            .map_err(|e| pg_err(&e))?
            .is_some();
        if first {
            log_revocation(&tx, &self.channel, &token, now).await?;
        }
        tx.commit().await.map_err(|e| pg_err(&e))?;
        if first {
            self.notify.notify_waiters();
        }
        Ok(first)
    }

    async fn is_revoked(&self, token: TokenFacts<'_>, now: i64) -> Result<Option<Revoked>> {
        let client = self.conn().await?;
        let row = client
            .query_one(
                "SELECT
                   EXISTS (SELECT 1 FROM denied_tokens WHERE issuer = $1 AND jti = $2 AND exp > $3),
                   EXISTS (SELECT 1 FROM denied_sessions WHERE session = $4 AND until > $3),
                   (SELECT before FROM subject_cutoffs WHERE subject = $5),
                   (SELECT before FROM global_cutoff WHERE id = 1)",
                &[
                    &token.issuer,
                    &token.jti,
                    &now,
                    &token.session,
                    &token.subject,
                ],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        let found = Matches {
            denied: row.get(0),
            session_ended: token.session.is_some() && row.get::<_, bool>(1),
            subject_before: row.get(2),
            global_before: row.get(3),
        };
        Ok(judge(found, token.iat))
    }

    async fn purge_expired(&self, now: i64) -> Result<u64> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(&e))?;
        let mut n = 0u64;
        for (sql, bound) in [
            ("DELETE FROM denied_tokens WHERE exp <= $1", now),
            ("DELETE FROM denied_sessions WHERE until <= $1", now),
            (
                "DELETE FROM families WHERE absolute_expires_at <= $1 OR idle_expires_at <= $1",
                now,
            ),
            ("DELETE FROM locks WHERE expires_at <= $1", now),
            ("DELETE FROM rate_windows WHERE expires_at <= $1", now),
        ] {
            n += tx.execute(sql, &[&bound]).await.map_err(|e| pg_err(&e))?;
        }
        let horizon = now.saturating_sub(LOG_RETENTION_SECS);
        let last_old: Option<i64> = tx
            .query_one(
                "SELECT MAX(seq) FROM revocation_log WHERE at < $1",
                &[&horizon],
            )
            .await
            .map_err(|e| pg_err(&e))?
            .get(0);
        if let Some(last) = last_old {
            n += tx
                .execute("DELETE FROM revocation_log WHERE seq <= $1", &[&last])
                .await
                .map_err(|e| pg_err(&e))?;
            tx.execute(
                "UPDATE meta SET value = GREATEST(value, $1) WHERE name = 'log_trimmed_through'",
                &[&last],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        }
        tx.commit().await.map_err(|e| pg_err(&e))?;
        Ok(n)
    }
}
