//! OAuth clients in SQLite.

use rusqlite::{params, OptionalExtension};

use super::{db_err, is_unique_violation, SqliteStore};
use crate::traits::Clients;
use crate::traits::Result;
use crate::validate::{name_to_find, new_client};
use crate::{Client, ClientSecretHash, Scopes, StoreError};

/// A client's columns, in the order of [`CLIENT_COLUMNS`].
type ClientRow = (String, String, i64, String);

const CLIENT_COLUMNS: &str = "name, secret_hash, created_at, scopes";

fn client_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ClientRow> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
}

fn to_client((name, hash, created_at, scopes): ClientRow) -> Result<Client> {
    Ok(Client {
        name,
        secret_hash: ClientSecretHash::from_hex(&hash)
            .ok_or_else(|| StoreError::corrupt("a stored client secret hash is malformed"))?,
        scopes: Scopes::from_stored(&scopes)?,
        created_at,
    })
}

impl Clients for SqliteStore {
    async fn create_client(
        &self,
        name: &str,
        secret_hash: ClientSecretHash,
        scopes: Scopes,
        now: i64,
    ) -> Result<Client> {
        let client = new_client(name, secret_hash, scopes, now)?;
        let stored = client.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO clients (name, secret_hash, created_at, scopes) VALUES (?1, ?2, ?3, ?4)",
                params![
                    stored.name,
                    stored.secret_hash.to_hex(),
                    now,
                    stored.scopes.to_string()
                ],
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
        let Some(name) = name_to_find(name) else {
            return Ok(None);
        };
        self.with(true, move |conn| {
            conn.prepare_cached(&format!(
                "SELECT {CLIENT_COLUMNS} FROM clients WHERE name = ?1"
            ))
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
                .prepare_cached(&format!(
                    "SELECT {CLIENT_COLUMNS} FROM clients ORDER BY name"
                ))
                .map_err(db_err)?;
            let rows = statement.query_map([], client_row).map_err(db_err)?;
            rows.map(|row| row.map_err(db_err).and_then(to_client))
                .collect()
        })
        .await
    }

    async fn delete_client(&self, name: &str) -> Result<bool> {
        let Some(name) = name_to_find(name) else {
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
