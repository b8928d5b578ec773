//! Security events in SQLite, on the fast connection.

use rusqlite::params;

use super::{db_err, SqliteStore};
use crate::traits::Events;
use crate::traits::Result;
use crate::{Event, EventQuery, StoreError};

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
