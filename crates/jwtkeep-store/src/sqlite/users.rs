//! Users in SQLite.

use rusqlite::{params, Connection, OptionalExtension};

use super::families::revoke_subject_families;
use super::{db_err, is_unique_violation, SqliteStore};
use crate::traits::Result;
use crate::traits::Users;
use crate::validate::{name_to_find, new_user};
use crate::{PasswordHash, Scopes, StoreError, User};

/// A user's columns, in the order of [`USER_COLUMNS`].
type UserRow = (String, String, String, bool, bool, i64, i64, String);

const USER_COLUMNS: &str =
    "id, username, password_hash, disabled, admin, created_at, updated_at, scopes";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

fn to_user(row: UserRow) -> Result<User> {
    let (id, username, hash, disabled, admin, created_at, updated_at, scopes) = row;
    Ok(User {
        id,
        username,
        password_hash: PasswordHash::new(&hash).map_err(|_| {
            StoreError::corrupt("a stored password hash is not a valid argon2id hash")
        })?,
        disabled,
        admin,
        scopes: Scopes::from_stored(&scopes)?,
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
        scopes: Scopes,
        now: i64,
    ) -> Result<User> {
        let user = new_user(username, hash, admin, scopes, now)?;
        let stored = user.clone();
        self.write(move |tx| {
            tx.execute(
                "INSERT INTO users (id, username, password_hash, disabled, admin, created_at, updated_at, scopes)
                 VALUES (?1, ?2, ?3, 0, ?4, ?5, ?5, ?6)",
                params![
                    stored.id,
                    stored.username,
                    stored.password_hash.as_str(),
                    stored.admin,
                    now,
                    stored.scopes.to_string()
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
        let Some(username) = name_to_find(username) else {
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

    async fn set_password(
        &self,
        id: &str,
        hash: PasswordHash,
        keep: Option<&str>,
        now: i64,
    ) -> Result<u64> {
        let (id, keep) = (id.to_owned(), keep.map(str::to_owned));
        let n = self
            .write(move |tx| {
                let n = tx
                    .execute(
                        "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1",
                        params![id, hash.as_str(), now],
                    )
                    .map_err(db_err)?;
                if n == 0 {
                    return Err(StoreError::NotFound { what: "user" });
                }
                revoke_subject_families(tx, &id, "password_changed", now, keep.as_deref())
            })
            .await?;
        if n > 0 {
            self.inner.notify.notify_waiters();
        }
        Ok(n)
    }

    async fn set_disabled(&self, id: &str, disabled: bool, now: i64) -> Result<()> {
        let id = id.to_owned();
        let ended = self
            .write(move |tx| {
                let n = tx
                    .execute(
                        "UPDATE users SET disabled = ?2, updated_at = ?3 WHERE id = ?1",
                        params![id, disabled, now],
                    )
                    .map_err(db_err)?;
                if n == 0 {
                    return Err(StoreError::NotFound { what: "user" });
                }
                // A disabled user's sessions end in the same transaction.
                if disabled {
                    revoke_subject_families(tx, &id, "disabled", now, None)
                } else {
                    Ok(0)
                }
            })
            .await?;
        if ended > 0 {
            self.inner.notify.notify_waiters();
        }
        Ok(())
    }

    async fn set_scopes(&self, id: &str, scopes: Scopes, now: i64) -> Result<u64> {
        let id = id.to_owned();
        let ended = self
            .write(move |tx| {
                let n = tx
                    .execute(
                        "UPDATE users SET scopes = ?2, updated_at = ?3 WHERE id = ?1",
                        params![id, scopes.to_string(), now],
                    )
                    .map_err(db_err)?;
                if n == 0 {
                    return Err(StoreError::NotFound { what: "user" });
                }
                revoke_subject_families(tx, &id, "scopes_changed", now, None)
            })
            .await?;
        if ended > 0 {
            self.inner.notify.notify_waiters();
        }
        Ok(ended)
    }

    async fn delete_user(&self, id: &str, now: i64) -> Result<u64> {
        let id = id.to_owned();
        let ended = self
            .write(move |tx| {
                // The sessions end first (their tokens denied, on the feed),
                // then their records go with the account.
                let ended = revoke_subject_families(tx, &id, "deleted", now, None)?;
                tx.execute("DELETE FROM families WHERE subject = ?1", params![id])
                    .map_err(db_err)?;
                let n = tx
                    .execute("DELETE FROM users WHERE id = ?1", params![id])
                    .map_err(db_err)?;
                if n == 0 {
                    return Err(StoreError::NotFound { what: "user" });
                }
                // The user's security events keep the subject id only.
                tx.execute(
                    "UPDATE events SET client = NULL WHERE subject = ?1",
                    params![id],
                )
                .map_err(db_err)?;
                Ok(ended)
            })
            .await?;
        if ended > 0 {
            self.inner.notify.notify_waiters();
        }
        Ok(ended)
    }
}
