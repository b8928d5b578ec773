//! Refresh-token families in PostgreSQL: one row per family, locked for the
//! rotation (`SELECT … FOR UPDATE`), and every `jti` it has issued.

use tokio_postgres::{Row, Transaction};

use super::revocations::record;
use super::{is_unique_violation, pg_err, PostgresStore};
use crate::families::{decide, session_denial, Decision};
use crate::traits::Families;
use crate::traits::Result;
use crate::validate::check_id;
use crate::{Family, NewFamily, RotateOutcome, StoreError};

const FAMILY_COLUMNS: &str = "id, subject, current_jti, previous_jti, created_at, rotated_at, \
     idle_expires_at, absolute_expires_at, idle_secs, grace_secs, revoked_at, revoked_reason, \
     access_secs";

fn family_row(r: &Row) -> Family {
    Family {
        id: r.get(0),
        subject: r.get(1),
        current_jti: r.get(2),
        previous_jti: r.get(3),
        created_at: r.get(4),
        rotated_at: r.get(5),
        idle_expires_at: r.get(6),
        absolute_expires_at: r.get(7),
        idle_secs: r.get(8),
        grace_secs: r.get(9),
        revoked_at: r.get(10),
        revoked_reason: r.get(11),
        access_secs: r.get(12),
    }
}

/// Revokes the subject's live families but `keep` and ends their sessions,
/// within `tx`; how many.
pub(super) async fn revoke_subject_families(
    tx: &Transaction<'_>,
    channel: &str,
    subject: &str,
    reason: &str,
    now: i64,
    keep: Option<&str>,
) -> Result<u64> {
    let ended = tx
        .query(
            "UPDATE families SET revoked_at = $3, revoked_reason = $2
             WHERE subject = $1 AND revoked_at IS NULL
               AND idle_expires_at > $3 AND absolute_expires_at > $3
               AND id IS DISTINCT FROM $4
             RETURNING id, access_secs",
            &[&subject, &reason, &now, &keep],
        )
        .await
        .map_err(|e| pg_err(&e))?;
    for row in &ended {
        let (id, access_secs): (String, i64) = (row.get(0), row.get(1));
        record(tx, channel, &session_denial(&id, access_secs, now), now).await?;
    }
    Ok(u64::try_from(ended.len()).unwrap_or(u64::MAX))
}

impl Families for PostgresStore {
    async fn create_family(&self, family: NewFamily) -> Result<()> {
        family.validate()?;
        let f = family.initial();
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(&e))?;
        tx.execute(
            &format!(
                "INSERT INTO families ({FAMILY_COLUMNS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            ),
            &[
                &f.id,
                &f.subject,
                &f.current_jti,
                &f.previous_jti,
                &f.created_at,
                &f.rotated_at,
                &f.idle_expires_at,
                &f.absolute_expires_at,
                &f.idle_secs,
                &f.grace_secs,
                &f.revoked_at,
                &f.revoked_reason,
                &f.access_secs,
            ],
        )
        .await
        .map_err(|e| {
            if is_unique_violation(&e) {
                StoreError::Conflict { what: "family id" }
            } else {
                pg_err(&e)
            }
        })?;
        tx.execute(
            "INSERT INTO family_jtis (family_id, jti) VALUES ($1, $2)",
            &[&f.id, &f.current_jti],
        )
        .await
        .map_err(|e| pg_err(&e))?;
        tx.commit().await.map_err(|e| pg_err(&e))
    }

    async fn rotate_family(
        &self,
        id: &str,
        presented: &str,
        successor: &str,
        now: i64,
    ) -> Result<RotateOutcome> {
        check_id("jti", successor)?;
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(&e))?;
        // The row lock settles concurrent rotations: one at a time decides.
        let Some(row) = tx
            .query_opt(
                &format!("SELECT {FAMILY_COLUMNS} FROM families WHERE id = $1 FOR UPDATE"),
                &[&id],
            )
            .await
            .map_err(|e| pg_err(&e))?
        else {
            return Ok(RotateOutcome::Unknown);
        };
        let family = family_row(&row);
        let was_used: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM family_jtis WHERE family_id = $1 AND jti = $2)",
                &[&id, &presented],
            )
            .await
            .map_err(|e| pg_err(&e))?
            .get(0);
        let outcome = match decide(&family, presented, was_used, now) {
            Decision::Rotate => {
                let idle_expires_at = now.saturating_add(family.idle_secs);
                tx.execute(
                    "INSERT INTO family_jtis (family_id, jti) VALUES ($1, $2)",
                    &[&id, &successor],
                )
                .await
                .map_err(|e| {
                    if is_unique_violation(&e) {
                        StoreError::invalid("successor jti", "was already used in this family")
                    } else {
                        pg_err(&e)
                    }
                })?;
                tx.execute(
                    "UPDATE families SET current_jti = $2, previous_jti = $3, rotated_at = $4,
                     idle_expires_at = $5 WHERE id = $1",
                    &[&id, &successor, &presented, &now, &idle_expires_at],
                )
                .await
                .map_err(|e| pg_err(&e))?;
                RotateOutcome::Rotated {
                    successor: successor.to_owned(),
                    rotated_at: now,
                    idle_expires_at,
                    absolute_expires_at: family.absolute_expires_at,
                }
            }
            Decision::Grace => RotateOutcome::Grace {
                successor: family.current_jti,
                rotated_at: family.rotated_at,
                idle_expires_at: family.idle_expires_at,
                absolute_expires_at: family.absolute_expires_at,
            },
            Decision::Reuse => {
                tx.execute(
                    "UPDATE families SET revoked_at = $2, revoked_reason = 'reuse' WHERE id = $1",
                    &[&id, &now],
                )
                .await
                .map_err(|e| pg_err(&e))?;
                let denial = session_denial(id, family.access_secs, now);
                record(&tx, &self.channel, &denial, now).await?;
                RotateOutcome::ReuseDetected {
                    subject: family.subject,
                }
            }
            Decision::Refuse(outcome) => outcome,
        };
        tx.commit().await.map_err(|e| pg_err(&e))?;
        if matches!(outcome, RotateOutcome::ReuseDetected { .. }) {
            self.notify.notify_waiters();
        }
        Ok(outcome)
    }

    async fn family(&self, id: &str) -> Result<Option<Family>> {
        let client = self.conn().await?;
        let row = client
            .query_opt(
                &format!("SELECT {FAMILY_COLUMNS} FROM families WHERE id = $1"),
                &[&id],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        Ok(row.as_ref().map(family_row))
    }

    async fn families_of(&self, subject: &str, now: i64) -> Result<Vec<Family>> {
        let client = self.conn().await?;
        let rows = client
            .query(
                &format!(
                    "SELECT {FAMILY_COLUMNS} FROM families WHERE subject = $1 AND revoked_at IS NULL
                     AND idle_expires_at > $2 AND absolute_expires_at > $2 ORDER BY created_at, id"
                ),
                &[&subject, &now],
            )
            .await
            .map_err(|e| pg_err(&e))?;
        Ok(rows.iter().map(family_row).collect())
    }

    async fn revoke_family(&self, id: &str, reason: &str, now: i64) -> Result<bool> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(&e))?;
        let access_secs: Option<i64> = tx
            .query_opt(
                "UPDATE families SET revoked_at = $3, revoked_reason = $2
                 WHERE id = $1 AND revoked_at IS NULL RETURNING access_secs",
                &[&id, &reason, &now],
            )
            .await
            .map_err(|e| pg_err(&e))?
            .map(|r| r.get(0));
        if let Some(access_secs) = access_secs {
            record(
                &tx,
                &self.channel,
                &session_denial(id, access_secs, now),
                now,
            )
            .await?;
        }
        tx.commit().await.map_err(|e| pg_err(&e))?;
        if access_secs.is_some() {
            self.notify.notify_waiters();
        }
        Ok(access_secs.is_some())
    }

    async fn revoke_families_of(&self, subject: &str, reason: &str, now: i64) -> Result<u64> {
        let mut client = self.conn().await?;
        let tx = client.transaction().await.map_err(|e| pg_err(&e))?;
        let n = revoke_subject_families(&tx, &self.channel, subject, reason, now, None).await?;
        tx.commit().await.map_err(|e| pg_err(&e))?;
        if n > 0 {
            self.notify.notify_waiters();
        }
        Ok(n)
    }
}
