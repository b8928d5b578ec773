//! OAuth clients on Redis: one hash, name -> `hex-hash:created:scopes`.

use redis::AsyncCommands as _;

use super::{corrupt, RedisStore};
use crate::traits::Clients;
use crate::traits::Result;
use crate::validate::{name_to_find, new_client};
use crate::{Client, ClientSecretHash, Scopes, StoreError};

impl Clients for RedisStore {
    async fn create_client(
        &self,
        name: &str,
        secret_hash: ClientSecretHash,
        scopes: Scopes,
        now: i64,
    ) -> Result<Client> {
        let client = new_client(name, secret_hash, scopes, now)?;
        let key = self.key(&["clients"]);
        let value = format!("{}:{now}:{}", client.secret_hash.to_hex(), client.scopes);
        let field = client.name.clone();
        let created: bool = self
            .run(|mut c| async move { c.hset_nx(key, field, value).await })
            .await?;
        if !created {
            return Err(StoreError::Conflict {
                what: "client name",
            });
        }
        Ok(client)
    }

    async fn client(&self, name: &str) -> Result<Option<Client>> {
        let Some(name) = name_to_find(name) else {
            return Ok(None);
        };
        let key = self.key(&["clients"]);
        let field = name.clone();
        let value: Option<String> = self
            .run(|mut c| async move { c.hget(key, field).await })
            .await?;
        value.map(|v| redis_client(name, &v)).transpose()
    }

    async fn list_clients(&self) -> Result<Vec<Client>> {
        let key = self.key(&["clients"]);
        let all: std::collections::BTreeMap<String, String> = self
            .run(|mut c| async move { c.hgetall(key).await })
            .await?;
        all.into_iter()
            .map(|(name, v)| redis_client(name, &v))
            .collect()
    }

    async fn delete_client(&self, name: &str) -> Result<bool> {
        let Some(name) = name_to_find(name) else {
            return Ok(false);
        };
        let key = self.key(&["clients"]);
        let removed: i64 = self
            .run(|mut c| async move { c.hdel(key, name).await })
            .await?;
        Ok(removed > 0)
    }
}

/// A client from its hash field: `hex-hash:created:scopes` (clients
/// stored before scopes: `hex-hash:created`, and none).
fn redis_client(name: String, value: &str) -> Result<Client> {
    let bad = || corrupt("client");
    let mut parts = value.splitn(3, ':');
    let (Some(hash), Some(created)) = (parts.next(), parts.next()) else {
        return Err(bad());
    };
    Ok(Client {
        name,
        secret_hash: ClientSecretHash::from_hex(hash).ok_or_else(bad)?,
        scopes: Scopes::from_stored(parts.next().unwrap_or(""))?,
        created_at: created.parse().map_err(|_| bad())?,
    })
}
