//! Refresh-token families in SQLite: one row per family, and every `jti`
//! it has issued (to tell reuse from an unknown token).

use rusqlite::{params, Connection, OptionalExtension};

use super::revocations::record;
use super::{db_err, is_unique_violation, SqliteStore};
use crate::families::{decide, session_denial, Decision};
use crate::traits::Families;
use crate::traits::Result;
use crate::validate::check_id;
use crate::{Family, NewFamily, RotateOutcome, StoreError};

const FAMILY_COLUMNS: &str = "id, subject, current_jti, previous_jti, created_at, rotated_at, \
     idle_expires_at, absolute_expires_at, idle_secs, grace_secs, revoked_at, revoked_reason, \
     access_secs";

fn family_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Family> {
    Ok(Family {
        id: r.get(0)?,
        subject: r.get(1)?,
        current_jti: r.get(2)?,
        previous_jti: r.get(3)?,
        created_at: r.get(4)?,
        rotated_at: r.get(5)?,
        idle_expires_at: r.get(6)?,
        absolute_expires_at: r.get(7)?,
        idle_secs: r.get(8)?,
        grace_secs: r.get(9)?,
        revoked_at: r.get(10)?,
        revoked_reason: r.get(11)?,
        access_secs: r.get(12)?,
    })
}

fn load_family(conn: &Connection, id: &str) -> Result<Option<Family>> {
    conn.query_row(
        &format!("SELECT {FAMILY_COLUMNS} FROM families WHERE id = ?1"),
        params![id],
        family_row,
    )
    .optional()
    .map_err(db_err)
}

/// Revokes the subject's live families and ends their sessions, in the caller's transaction.
pub(super) fn revoke_subject_families(
    tx: &Connection,
    subject: &str,
    reason: &str,
    now: i64,
    keep: Option<&str>,
) -> Result<u64> {
    let ended: Vec<(String, i64)> = {
        let mut stmt = tx
            .prepare(
                "UPDATE families SET revoked_at = ?3, revoked_reason = ?2
                 WHERE subject = ?1 AND revoked_at IS NULL
                   AND idle_expires_at > ?3 AND absolute_expires_at > ?3
                   AND id IS NOT ?4
                 RETURNING id, access_secs",
            )
            .map_err(db_err)?;
        let rows = stmt
            .query_map(params![subject, reason, now, keep], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .map_err(db_err)?;
        rows.collect::<rusqlite::Result<_>>().map_err(db_err)?
    };
    for (id, access_secs) in &ended {
        record(tx, &session_denial(id, *access_secs, now), now)?;
    }
    Ok(u64::try_from(ended.len()).unwrap_or(u64::MAX))
}

impl Families for SqliteStore {
    async fn create_family(&self, family: NewFamily) -> Result<()> {
        family.validate()?;
        let f = family.initial();
        self.write(move |tx| {
            tx.execute(
                &format!(
                    "INSERT INTO families ({FAMILY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)"
                ),
                params![
                    f.id, f.subject, f.current_jti, f.previous_jti, f.created_at, f.rotated_at,
                    f.idle_expires_at, f.absolute_expires_at, f.idle_secs, f.grace_secs,
                    f.revoked_at, f.revoked_reason, f.access_secs
                ],
            )
            .map_err(|e| {
                if is_unique_violation(&e) {
                    StoreError::Conflict { what: "family id" }
                } else {
                    db_err(e)
                }
            })?;
            tx.execute(
                "INSERT INTO family_jtis (family_id, jti) VALUES (?1, ?2)",
                params![f.id, f.current_jti],
            )
            .map_err(db_err)?;
            Ok(())
        })
        .await
    }

    async fn rotate_family(
        &self,
        id: &str,
        presented: &str,
        successor: &str,
        now: i64,
    ) -> Result<RotateOutcome> {
        check_id("jti", successor)?;
        let (id, presented, successor) =
            (id.to_owned(), presented.to_owned(), successor.to_owned());
        let outcome = self.write(move |tx| {
            let Some(family) = load_family(tx, &id)? else {
                return Ok(RotateOutcome::Unknown);
            };
            let was_used: bool = tx
                .query_row(
                    "SELECT EXISTS (SELECT 1 FROM family_jtis WHERE family_id = ?1 AND jti = ?2)",
                    params![id, presented],
                    |r| r.get(0),
                )
                .map_err(db_err)?;
            match decide(&family, &presented, was_used, now) {
                Decision::Rotate => {
                    let idle_expires_at = now.saturating_add(family.idle_secs);
                    tx.execute(
                        "INSERT INTO family_jtis (family_id, jti) VALUES (?1, ?2)",
                        params![id, successor],
                    )
                    .map_err(|e| {
                        if is_unique_violation(&e) {
                            StoreError::invalid("successor jti", "was already used in this family")
                        } else {
                            db_err(e)
                        }
                    })?;
                    tx.execute(
                        "UPDATE families SET current_jti = ?2, previous_jti = ?3, rotated_at = ?4,
                         idle_expires_at = ?5 WHERE id = ?1",
                        params![id, successor, presented, now, idle_expires_at],
                    )
                    .map_err(db_err)?;
                    Ok(RotateOutcome::Rotated {
                        successor,
                        rotated_at: now,
                        idle_expires_at,
                        absolute_expires_at: family.absolute_expires_at,
                    })
                }
                Decision::Grace => Ok(RotateOutcome::Grace {
                    successor: family.current_jti,
                    rotated_at: family.rotated_at,
                    idle_expires_at: family.idle_expires_at,
                    absolute_expires_at: family.absolute_expires_at,
                }),
                Decision::Reuse => {
                    tx.execute(
                        "UPDATE families SET revoked_at = ?2, revoked_reason = 'reuse' WHERE id = ?1",
                        params![id, now],
                    )
                    .map_err(db_err)?;
                    record(tx, &session_denial(&id, family.access_secs, now), now)?;
                    Ok(RotateOutcome::ReuseDetected {
                        subject: family.subject,
                    })
                }
                Decision::Refuse(outcome) => Ok(outcome),
            }
        })
        .await?;
        if matches!(outcome, RotateOutcome::ReuseDetected { .. }) {
            self.inner.notify.notify_waiters();
        }
        Ok(outcome)
    }

    async fn family(&self, id: &str) -> Result<Option<Family>> {
        let id = id.to_owned();
        self.with(true, move |conn| load_family(conn, &id)).await
    }

    async fn families_of(&self, subject: &str, now: i64) -> Result<Vec<Family>> {
        let subject = subject.to_owned();
        self.with(true, move |conn| {
            let mut stmt = conn
                .prepare(&format!(
                    "SELECT {FAMILY_COLUMNS} FROM families WHERE subject = ?1 AND revoked_at IS NULL
                     AND idle_expires_at > ?2 AND absolute_expires_at > ?2 ORDER BY created_at, id"
                ))
                .map_err(db_err)?;
            let rows = stmt
                .query_map(params![subject, now], family_row)
                .map_err(db_err)?;
            rows.map(|r| r.map_err(db_err)).collect()
        })
        .await
    }

    async fn revoke_family(&self, id: &str, reason: &str, now: i64) -> Result<bool> {
        let (id, reason) = (id.to_owned(), reason.to_owned());
        let revoked = self
            .write(move |tx| {
                let access_secs: Option<i64> = tx
                    .query_row(
                        "UPDATE families SET revoked_at = ?3, revoked_reason = ?2
                         WHERE id = ?1 AND revoked_at IS NULL RETURNING access_secs",
                        params![id, reason, now],
                        |r| r.get(0),
                    )
                    .optional()
                    .map_err(db_err)?;
                if let Some(access_secs) = access_secs {
                    record(tx, &session_denial(&id, access_secs, now), now)?;
                }
                Ok(access_secs.is_some())
            })
            .await?;
        if revoked {
            self.inner.notify.notify_waiters();
        }
        Ok(revoked)
    }

    async fn revoke_families_of(&self, subject: &str, reason: &str, now: i64) -> Result<u64> {
        let (subject, reason) = (subject.to_owned(), reason.to_owned());
        let n = self
            .write(move |tx| revoke_subject_families(tx, &subject, &reason, now, None))
            .await?;
        if n > 0 {
            self.inner.notify.notify_waiters();
        }
        Ok(n)
    }
}
