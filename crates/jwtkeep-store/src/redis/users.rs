//! Users on Redis: a hash per user, a name -> id key, and a sorted set of names.

use redis::AsyncCommands as _;

use super::families::SubjectChange;
use super::{corrupt, RedisStore};
use crate::traits::Result;
use crate::traits::Users;
use crate::validate::{name_to_find, new_user};
use crate::{PasswordHash, Scopes, StoreError, User};

impl RedisStore {
    async fn load_user(&self, id: &str) -> Result<Option<User>> {
        let key = self.key(&["user", id]);
        let map: std::collections::HashMap<String, String> = self
            .run(|mut c| async move { c.hgetall(key).await })
            .await?;
        if map.is_empty() {
            return Ok(None);
        }
        let text = |k: &str| map.get(k).cloned().ok_or_else(|| corrupt("user"));
        let num = |k: &str| -> Result<i64> { text(k)?.parse().map_err(|_| corrupt("user")) };
        Ok(Some(User {
            id: id.to_owned(),
            username: text("username")?,
            password_hash: PasswordHash::new(&text("hash")?).map_err(|_| {
                StoreError::corrupt("a stored password hash is not a valid argon2id hash")
            })?,
            disabled: text("disabled")? == "1",
            admin: map.get("admin").is_some_and(|a| a == "1"),
            scopes: Scopes::from_stored(map.get("scopes").map_or("", String::as_str))?,
            created_at: num("created")?,
            updated_at: num("updated")?,
        }))
    }
}

impl Users for RedisStore {
    async fn create_user(
        &self,
        username: &str,
        hash: PasswordHash,
        admin: bool,
        scopes: Scopes,
        now: i64,
    ) -> Result<User> {
        let user = new_user(username, hash, admin, scopes, now)?;
        let keys = [
            self.key(&["username", &user.username]),
            self.key(&["user", &user.id]),
            self.key(&["usernames"]),
        ];
        // The name is claimed, the user written and listed in one script.
        let script = &self.scripts.create_user;
        let (id_arg, name_arg, hash_arg, scopes_arg) = (
            user.id.clone(),
            user.username.clone(),
            user.password_hash.as_str().to_owned(),
            user.scopes.to_string(),
        );
        let created: i64 = self
            .run(|mut c| async move {
                script
                    .key(&keys[..])
                    .arg(id_arg)
                    .arg(name_arg)
                    .arg(hash_arg)
                    .arg(now)
                    .arg(if admin { "1" } else { "0" })
                    .arg(scopes_arg)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        if created == 0 {
            return Err(StoreError::Conflict { what: "username" });
        }
        Ok(user)
    }

    async fn list_users(&self, limit: usize) -> Result<Vec<User>> {
        if limit == 0 {
            return Ok(Vec::new());
        }
        let key = self.key(&["usernames"]);
        let stop = isize::try_from(limit)
            .unwrap_or(isize::MAX)
            .saturating_sub(1);
        let names: Vec<String> = self
            .run(|mut c| async move { c.zrange(key, 0, stop).await })
            .await?;
        let mut users = Vec::with_capacity(names.len());
        for name in names {
            if let Some(user) = self.user_by_name(&name).await? {
                users.push(user);
            }
        }
        Ok(users)
    }

    async fn user_by_name(&self, username: &str) -> Result<Option<User>> {
        let Some(username) = name_to_find(username) else {
            return Ok(None);
        };
        let key = self.key(&["username", &username]);
        let id: Option<String> = self.run(|mut c| async move { c.get(key).await }).await?;
        match id {
            Some(id) => self.load_user(&id).await,
            None => Ok(None),
        }
    }

    async fn user_by_id(&self, id: &str) -> Result<Option<User>> {
        self.load_user(id).await
    }

    async fn set_password(
        &self,
        id: &str,
        hash: PasswordHash,
        keep: Option<&str>,
        now: i64,
    ) -> Result<u64> {
        let n = self
            .revoke_subject(
                id,
                "password_changed",
                now,
                SubjectChange::Password(hash.as_str(), keep),
            )
            .await?;
        u64::try_from(n).map_err(|_| StoreError::NotFound { what: "user" })
    }

    async fn set_disabled(&self, id: &str, disabled: bool, now: i64) -> Result<()> {
        if disabled {
            // The user and their sessions, in one script.
            let n = self
                .revoke_subject(id, "disabled", now, SubjectChange::Disable)
                .await?;
            return if n < 0 {
                Err(StoreError::NotFound { what: "user" })
            } else {
                Ok(())
            };
        }
        let key = self.key(&["user", id]);
        let script = &self.scripts.set_disabled;
        let n: i64 = self
            .run(|mut c| async move {
                script
                    .key(key)
                    .arg(if disabled { "1" } else { "0" })
                    .arg(now)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        if n == 0 {
            return Err(StoreError::NotFound { what: "user" });
        }
        Ok(())
    }

    async fn set_scopes(&self, id: &str, scopes: Scopes, now: i64) -> Result<u64> {
        let scopes = scopes.to_string();
        let n = self
            .revoke_subject(id, "scopes_changed", now, SubjectChange::Scopes(&scopes))
            .await?;
        u64::try_from(n).map_err(|_| StoreError::NotFound { what: "user" })
    }

    async fn delete_user(&self, id: &str, now: i64) -> Result<u64> {
        let n = self
            .revoke_subject(id, "deleted", now, SubjectChange::Delete)
            .await?;
        let ended = u64::try_from(n).map_err(|_| StoreError::NotFound { what: "user" })?;
        // The user's security events keep the subject id only.
        self.scrub_event_addresses(id).await?;
        Ok(ended)
    }
}
