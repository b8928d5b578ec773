//! Users and clients in PostgreSQL.

use tokio_postgres::Row;

use super::families::revoke_subject_families;
use super::{is_unique_violation, pg_err, PostgresStore};
use crate::traits::Result;
use crate::traits::{Clients, Users};
use crate::validate::{name_to_find, new_client, new_user};
use crate::{Client, ClientSecretHash, PasswordHash, Scopes, StoreError, User};

const USER_COLUMNS: &str =
    "id, username, password_hash, disabled, admin, created_at, updated_at, scopes";

fn to_user(r: &Row) -> Result<User> {
    let hash: String = r.get(2);
    let scopes: String = r.get(7);
    Ok(User {
        id: r.get(0),
        username: r.get(1),
        password_hash: PasswordHash::new(&hash).map_err(|_| {
            StoreError::corrupt("a stored password hash is not a valid argon2id hash")
        })?,
        disabled: r.get(3),
        admin: r.get(4),
        scopes: Scopes::from_stored(&scopes)?,
        created_at: r.get(5),
        updated_at: r.get(6),
    })
}

/// A change to a user made in the same transaction as ending their sessions.
enum Change<'a> {
    Password(&'a str, Option<&'a str>),
    Disable(bool),
    Scopes(&'a str),
    Delete,
}

impl PostgresStore {
    async fn load_user(&self, column: &str, value: &str) -> Result<Option<User>> {
        let client = self.conn().await?;
        let row = client
            .query_opt(
                &format!("SELECT {USER_COLUMNS} FROM users WHERE {column} = $1"),
                &[&value],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        row.as_ref().map(to_user).transpose()
    }

    /// Changes the user `id` and, in the same transaction, ends the sessions
    /// the change calls for: how many; `NotFound` when there is no such user.
    async fn change_user(&self, id: &str, change: Change<'_>, now: i64) -> Result<u64> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(&e))?;
        let (updated, ending) = match change {
            Change::Password(hash, keep) => (
                tx.execute(
                    "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
                    &[&id, &hash, &now],
                )
                .await,
                Some(("password_changed", keep)),
            ),
            Change::Disable(disabled) => (
                tx.execute(
                    "UPDATE users SET disabled = $2, updated_at = $3 WHERE id = $1",
                    &[&id, &disabled, &now],
                )
                .await,
                disabled.then_some(("disabled", None)),
            ),
            Change::Scopes(scopes) => (
                tx.execute(
                    "UPDATE users SET scopes = $2, updated_at = $3 WHERE id = $1",
                    &[&id, &scopes, &now],
                )
                .await,
                Some(("scopes_changed", None)),
            ),
            Change::Delete => {
                // The sessions end first (denied, on the feed), then their
                // records go with the account; its events keep the id only.
                let ended =
                    revoke_subject_families(&tx, &self.channel, id, "deleted", now, None).await?;
                tx.execute("DELETE FROM families WHERE subject = $1", &[&id])
                    .await
                    .map_err(|e| pg_err(&e))?;
                let n = tx
                    .execute("DELETE FROM users WHERE id = $1", &[&id])
                    .await
                    .map_err(|e| pg_err(&e))?;
                if n == 0 {
                    return Err(StoreError::NotFound { what: "user" });
                }
                tx.execute("UPDATE events SET client = NULL WHERE subject = $1", &[&id])
                    .await
                    .map_err(|e| pg_err(&e))?;
                tx.commit().await.map_err(|e| pg_err(&e))?;
                if ended > 0 {
                    self.notify.notify_waiters();
                }
                return Ok(ended);
            }
        };
        if updated.map_err(|e| pg_err(&e))? == 0 {
            return Err(StoreError::NotFound { what: "user" });
        }
        let ended = match ending {
            Some((reason, keep)) => {
                revoke_subject_families(&tx, &self.channel, id, reason, now, keep).await?
            }
            None => 0,
        };
        tx.commit().await.map_err(|e| pg_err(&e))?;
        if ended > 0 {
            self.notify.notify_waiters();
        }
        Ok(ended)
    }
}

impl Users for PostgresStore {
    async fn create_user(
        &self,
        username: &str,
        hash: PasswordHash,
        admin: bool,
        scopes: Scopes,
        now: i64,
    ) -> Result<User> {
        let user = new_user(username, hash, admin, scopes, now)?;
        let client = self.conn().await?;
        client
            .execute(
                "INSERT INTO users (id, username, password_hash, disabled, admin, created_at, updated_at, scopes)
                 VALUES ($1, $2, $3, FALSE, $4, $5, $5, $6)",
                &[
                    &user.id,
                    &user.username,
                    &user.password_hash.as_str(),
                    &user.admin,
                    &now,
                    &user.scopes.to_string(),
                ],
            )
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict { what: "username" }
                } else {
                    pg_err(&e)
                }
            })?;
        Ok(user)
    }

    async fn list_users(&self, limit: usize) -> Result<Vec<User>> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let client = self.conn().await?;
        let rows = client
            .query(
                &format!("SELECT {USER_COLUMNS} FROM users ORDER BY username LIMIT $1"),
                &[&limit],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        rows.iter().map(to_user).collect()
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let Some(username) = name_to_find(username) else {
            return Ok(None);
        };
        self.load_user("username", &username).await
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        self.load_user("id", id).await
    }

    async fn set_password(
        &self,
        id: &str,
        hash: PasswordHash,
        keep: Option<&str>,
        now: i64,
    ) -> Result<u64> {
        self.change_user(id, Change::Password(hash.as_str(), keep), now)
            .await
    }

    async fn set_disabled(&self, id: &str, disabled: bool, now: i64) -> Result<()> {
        self.change_user(id, Change::Disable(disabled), now)
            .await
            .map(drop)
    }

    async fn set_scopes(&self, id: &str, scopes: Scopes, now: i64) -> Result<u64> {
        self.change_user(id, Change::Scopes(&scopes.to_string()), now)
            .await
    }

    async fn delete_user(&self, id: &str, now: i64) -> Result<u64> {
        self.change_user(id, Change::Delete, now).await
    }
}

fn to_client(r: &Row) -> Result<Client> {
    let (hash, scopes): (String, String) = (r.get(1), r.get(3));
    Ok(Client {
        name: r.get(0),
        secret_hash: ClientSecretHash::from_hex(&hash)
            .ok_or_else(|| StoreError::corrupt("a stored client secret hash is malformed"))?,
        scopes: Scopes::from_stored(&scopes)?,
        created_at: r.get(2),
    })
}

impl Clients for PostgresStore {
    async fn create_client(
        &self,
        name: &str,
        secret_hash: ClientSecretHash,
        scopes: Scopes,
        now: i64,
    ) -> Result<Client> {
        let client_record = new_client(name, secret_hash, scopes, now)?;
        let client = self.conn().await?;
        client
            .execute(
                "INSERT INTO clients (name, secret_hash, created_at, scopes) VALUES ($1, $2, $3, $4)",
                &[
                    &client_record.name,
                    &client_record.secret_hash.to_hex(),
                    &now,
                    &client_record.scopes.to_string(),
                ],
            )
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict {
                        what: "client name",
                    }
                } else {
                    pg_err(&e)
                }
            })?;
        Ok(client_record)
    }

    async fn client(&self, name: &str) -> Result<Option<Client>> {
        let Some(name) = name_to_find(name) else {
            return Ok(None);
        };
        let client = self.conn().await?;
        let row = client
            .query_opt(
                "SELECT name, secret_hash, created_at, scopes FROM clients WHERE name = $1",
                &[&name],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        row.as_ref().map(to_client).transpose()
    }

    async fn list_clients(&self) -> Result<Vec<Client>> {
        let client = self.conn().await?;
        let rows = client
            .query(
                "SELECT name, secret_hash, created_at, scopes FROM clients ORDER BY name",
                &[],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        rows.iter().map(to_client).collect()
    }

    async fn delete_client(&self, name: &str) -> Result<bool> {
        let Some(name) = name_to_find(name) else {
            return Ok(false);
        };
        let client = self.conn().await?;
        let n = client
            .execute("DELETE FROM clients WHERE name = $1", &[&name])
            .await
            .map_err(|e| pg_err(&e))?;
        Ok(n > 0)
    }
}
