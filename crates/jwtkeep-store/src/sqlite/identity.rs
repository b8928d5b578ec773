//! The store's identity in SQLite: one row, made with the file.

use rusqlite::{params, OptionalExtension};

use super::{db_err, SqliteStore};
use crate::traits::{Identity, Result};
use crate::validate::new_id;
use crate::Initialised;

impl Identity for SqliteStore {
    async fn initialise(&self, force: bool, now: i64) -> Result<Initialised> {
        let fresh = new_id()?;
        self.write(move |tx| {
            let current: Option<String> = tx
                .query_row("SELECT value FROM identity WHERE id = 1", [], |r| r.get(0))
                .optional()
                .map_err(db_err)?;
            if let Some(current) = current {
                return Ok(Initialised::Already(current));
            }
            let holds_data: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM signing_keys) OR EXISTS (SELECT 1 FROM users)",
                    [],
                    |r| r.get(0),
                )
                .map_err(db_err)?;
            if holds_data && !force {
                return Ok(Initialised::HoldsData);
            }
            tx.execute(
                "INSERT INTO identity (id, value, created_at) VALUES (1, ?1, ?2)",
                params![fresh, now],
            )
            .map_err(db_err)?;
            Ok(Initialised::Created(fresh))
        })
        .await
    }
}

impl SqliteStore {
    /// The identity, if the store has one.
    pub(super) async fn read_identity(&self) -> Result<Option<String>> {
        self.with(false, |conn| {
            conn.query_row("SELECT value FROM identity WHERE id = 1", [], |r| r.get(0))
                .optional()
                .map_err(db_err)
        })
        .await
    }
}
