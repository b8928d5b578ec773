//! Refresh-token families on Redis: a hash per family, the set of `jti`s it
//! issued, and each subject's set of families.

use redis::AsyncCommands as _;

use super::{corrupt, RedisStore};
use crate::traits::Families;
use crate::traits::Result;
use crate::validate::check_id;
use crate::{Family, NewFamily, RotateOutcome, StoreError};

fn family_from(id: &str, map: &std::collections::HashMap<String, String>) -> Result<Family> {
    let text = |k: &str| map.get(k).cloned().ok_or_else(|| corrupt("family"));
    let num = |k: &str| -> Result<i64> { text(k)?.parse().map_err(|_| corrupt("family")) };
    let revoked_at = match map.get("revoked_at").map(String::as_str) {
        None | Some("") => None,
        Some(v) => Some(v.parse().map_err(|_| corrupt("family"))?),
    };
    Ok(Family {
        id: id.to_owned(),
        subject: text("subject")?,
        current_jti: text("current")?,
        previous_jti: map.get("previous").filter(|v| !v.is_empty()).cloned(),
        created_at: num("created")?,
        rotated_at: num("rotated")?,
        idle_expires_at: num("idle_exp")?,
        absolute_expires_at: num("abs_exp")?,
        idle_secs: num("idle_secs")?,
        grace_secs: num("grace_secs")?,
        access_secs: match map.get("access_secs") {
            None => crate::MAX_ACCESS_SECS,
            Some(_) => num("access_secs")?,
        },
        revoked_at,
        revoked_reason: map.get("reason").filter(|v| !v.is_empty()).cloned(),
    })
}

impl Families for RedisStore {
    async fn create_family(&self, family: NewFamily) -> Result<()> {
        family.validate()?;
        let f = family.initial();
        let (key, jtis, subject_set) = (
            self.key(&["fam", &f.id]),
            self.key(&["fam", &f.id, "jtis"]),
            self.key(&["subfams", &f.subject]),
        );
        let created: bool = self
            .run(|mut c| async move {
                let created: bool = c.hset_nx(&key, "subject", &f.subject).await?;
                if !created {
                    return Ok(false);
                }
                redis::pipe()
                    .atomic()
                    .hset_multiple(
                        &key,
                        &[
                            ("current", f.current_jti.clone()),
                            ("created", f.created_at.to_string()),
                            ("rotated", f.rotated_at.to_string()),
                            ("idle_exp", f.idle_expires_at.to_string()),
                            ("abs_exp", f.absolute_expires_at.to_string()),
                            ("idle_secs", f.idle_secs.to_string()),
                            ("grace_secs", f.grace_secs.to_string()),
                            ("access_secs", f.access_secs.to_string()),
                        ],
                    )
                    .ignore()
                    .expire_at(&key, f.absolute_expires_at)
                    .ignore()
                    .sadd(&jtis, &f.current_jti)
                    .ignore()
                    .expire_at(&jtis, f.absolute_expires_at)
                    .ignore()
                    .sadd(&subject_set, &f.id)
                    .ignore()
                    .query_async::<()>(&mut c)
                    .await?;
                Ok(true)
            })
            .await?;
        if created {
            Ok(())
        } else {
            Err(StoreError::Conflict { what: "family id" })
        }
    }

    async fn rotate_family(
        &self,
        id: &str,
        presented: &str,
        successor: &str,
        now: i64,
    ) -> Result<RotateOutcome> {
        check_id("jti", successor)?;
        let keys = [self.key(&["fam", id]), self.key(&["fam", id, "jtis"])];
        let prefix = self.prefix.to_string();
        let script = &self.scripts.rotate;
        let reply: Vec<String> = self
            .run(|mut c| async move {
                script
                    .key(&keys[..])
                    .arg(presented)
                    .arg(successor)
                    .arg(now)
                    .arg(prefix)
                    .arg(id)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        let num = |i: usize| -> Result<i64> {
            reply
                .get(i)
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| corrupt("rotation reply"))
        };
        let text = |i: usize| {
            reply
                .get(i)
                .cloned()
                .ok_or_else(|| corrupt("rotation reply"))
        };
        match reply.first().map(String::as_str) {
            Some("rotated") => Ok(RotateOutcome::Rotated {
                successor: text(1)?,
                rotated_at: num(4)?,
                idle_expires_at: num(2)?,
                absolute_expires_at: num(3)?,
            }),
            Some("grace") => Ok(RotateOutcome::Grace {
                successor: text(1)?,
                rotated_at: num(4)?,
                idle_expires_at: num(2)?,
                absolute_expires_at: num(3)?,
            }),
            Some("reuse") => Ok(RotateOutcome::ReuseDetected { subject: text(1)? }),
            Some("revoked") => Ok(RotateOutcome::Revoked),
            Some("expired") => Ok(RotateOutcome::Expired),
            Some("unknown") => Ok(RotateOutcome::Unknown),
            Some("successor_used") => Err(StoreError::invalid(
                "successor jti",
                "was already used in this family",
            )),
            _ => Err(corrupt("rotation reply")),
        }
    }

    async fn family(&self, id: &str) -> Result<Option<Family>> {
        let key = self.key(&["fam", id]);
        let map: std::collections::HashMap<String, String> = self
            .run(|mut c| async move { c.hgetall(key).await })
            .await?;
        if map.is_empty() {
            return Ok(None);
        }
        family_from(id, &map).map(Some)
    }

    async fn families_of(&self, subject: &str, now: i64) -> Result<Vec<Family>> {
        let set = self.key(&["subfams", subject]);
        let ids: Vec<String> = self
            .run(|mut c| async move { c.smembers(set).await })
            .await?;
        let mut out = Vec::new();
        for id in ids {
            if let Some(f) = self.family(&id).await? {
                if f.is_live(now) {
                    out.push(f);
                }
            }
        }
        out.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(out)
    }

    async fn revoke_family(&self, id: &str, reason: &str, now: i64) -> Result<bool> {
        let key = self.key(&["fam", id]);
        let prefix = self.prefix.to_string();
        let script = &self.scripts.revoke_family;
        let n: i64 = self
            .run(|mut c| async move {
                script
                    .key(key)
                    .arg(now)
                    .arg(reason)
                    .arg(prefix)
                    .arg(id)
                    .invoke_async(&mut c)
                    .await
            })
            .await?;
        Ok(n == 1)
    }

    async fn revoke_families_of(&self, subject: &str, reason: &str, now: i64) -> Result<u64> {
        let n = self
            .revoke_subject(subject, reason, now, SubjectChange::None)
            .await?;
        Ok(u64::try_from(n).unwrap_or(0))
    }
}

/// What changes about the user in the step that ends their sessions.
pub(super) enum SubjectChange<'a> {
    /// Nothing: only the sessions end.
    None,
    /// A new password hash; the session named (if any) is kept.
    Password(&'a str, Option<&'a str>),
    /// The user is disabled.
    Disable,
    /// The user's scopes are replaced.
    Scopes(&'a str),
    /// The user, their name and their families' records are deleted.
    Delete,
}

impl RedisStore {
    /// Revokes the subject's live families, after the change to the user
    /// `change` names, all in one script.
    pub(super) async fn revoke_subject(
        &self,
        subject: &str,
        reason: &str,
        now: i64,
        change: SubjectChange<'_>,
    ) -> Result<i64> {
        let (change, password, keep, scopes) = match change {
            SubjectChange::None => ("", "", "", ""),
            SubjectChange::Password(hash, keep) => ("password", hash, keep.unwrap_or(""), ""),
            SubjectChange::Disable => ("disable", "", "", ""),
            SubjectChange::Scopes(scopes) => ("scopes", "", "", scopes),
            SubjectChange::Delete => ("delete", "", "", ""),
        };
        let keys = [
            self.key(&["subfams", subject]),
            self.key(&["user", subject]),
            self.key(&["usernames"]),
        ];
        let prefix = self.prefix.to_string();
        let script = &self.scripts.revoke_families;
        self.run(|mut c| async move {
            script
                .key(&keys[..])
                .arg(reason)
                .arg(now)
                .arg(prefix)
                .arg(password)
                .arg(change)
                .arg(keep)
                .arg(scopes)
                .invoke_async(&mut c)
                .await
        })
        .await
    }
}
