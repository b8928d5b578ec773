//! Refresh-token families: one chain of refresh tokens per login. Each
//! rotation replaces the family's current `jti`; presenting an older one is
//! reuse (a stolen token racing its owner) and revokes the whole family.

use serde::{Deserialize, Serialize};

/// Lifetime caps and the grace window of rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FamilyLimits {
    /// The family ends this long after the last rotation (idle timeout), seconds.
    pub idle_secs: i64,
    /// The family ends this long after it was created, whatever happens, seconds.
    pub absolute_secs: i64,
    /// For this long after a rotation, the token just replaced may be presented
    /// again (a second browser tab racing the first) and is answered with the
    /// same successor, never a new one. Zero turns the window off. Seconds.
    pub grace_secs: i64,
    /// The lifetime of the access tokens the family's rotations issue: when
    /// the family ends, its session is denied this long (plus
    /// [`SESSION_DENIAL_MARGIN_SECS`]), until the last of them has expired.
    /// 1 second to 1 day.
    pub access_secs: i64,
}

/// Added to a session denial's lifetime beyond the access tokens' own: it
/// covers verifiers' clock leeway and skew between instances' clocks.
pub const SESSION_DENIAL_MARGIN_SECS: i64 = 300;

/// The longest access-token lifetime a family may declare, seconds; also
/// what families stored before lifetimes were recorded are assumed to have.
pub const MAX_ACCESS_SECS: i64 = 86_400;

impl Default for FamilyLimits {
    /// 7 days idle, 30 days absolute, 10 seconds grace, 15-minute access tokens.
    fn default() -> FamilyLimits {
        FamilyLimits {
            idle_secs: 7 * 86_400,
            absolute_secs: 30 * 86_400,
            grace_secs: 10,
            access_secs: 900,
        }
    }
}

/// A family to create.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewFamily {
    /// Its id (random, at least 16 bytes of entropy).
    pub id: String,
    /// The subject (user id) it belongs to.
    pub subject: String,
    /// The `jti` of the first refresh token.
    pub jti: String,
    /// When it starts.
    pub now: i64,
    /// Its caps.
    pub limits: FamilyLimits,
}

/// A family as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Family {
    /// Its id.
    pub id: String,
    /// Its subject.
    pub subject: String,
    /// The `jti` that may be presented next.
    pub current_jti: String,
    /// When it was created.
    pub created_at: i64,
    /// When it was last rotated (or created).
    pub rotated_at: i64,
    /// When it ends if not rotated again.
    pub idle_expires_at: i64,
    /// When it ends whatever happens.
    pub absolute_expires_at: i64,
    /// Its idle cap, seconds (each rotation moves `idle_expires_at` this far on).
    pub idle_secs: i64,
    /// Its grace window, seconds.
    pub grace_secs: i64,
    /// The lifetime of its access tokens, seconds.
    pub access_secs: i64,
    /// The `jti` current before the last rotation (answered within the grace window).
    pub previous_jti: Option<String>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<i64>,
    /// Why it was revoked: "logout", "reuse", "password_changed", "admin"...
    pub revoked_reason: Option<String>,
}

impl Family {
    /// Whether a token of this family may still be rotated at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && now < self.idle_expires_at && now < self.absolute_expires_at
    }
}

/// The denial that ends the session of family `id` at `now`: every token
/// carrying it, until the last access token it issued has expired.
pub(crate) fn session_denial(id: &str, access_secs: i64, now: i64) -> crate::Revocation {
    crate::Revocation::Session {
        session: id.to_owned(),
        until: now
            .saturating_add(access_secs.clamp(1, MAX_ACCESS_SECS))
            .saturating_add(SESSION_DENIAL_MARGIN_SECS),
    }
}

/// What a rotation did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RotateOutcome {
    /// The presented token was current: `successor` is now current.
    Rotated {
        /// The new current `jti` (the one the caller proposed).
        successor: String,
        /// When it became current: `now`.
        rotated_at: i64,
        /// When the family ends if not rotated again.
        idle_expires_at: i64,
        /// When the family ends whatever happens.
        absolute_expires_at: i64,
    },
    /// The presented token was replaced less than the grace window ago: answer
    /// with the same successor (its `jti`), not a new branch.
    Grace {
        /// The current `jti`, to be issued again.
        successor: String,
        /// When it became current: tokens issued again carry this `iat` and
        /// no later expiry than at the rotation, so a replay cannot extend
        /// the session.
        rotated_at: i64,
        /// When the family ends if not rotated again.
        idle_expires_at: i64,
        /// When the family ends whatever happens.
        absolute_expires_at: i64,
    },
    /// The presented token was already rotated: the family is now revoked.
    ReuseDetected {
        /// The family's subject, for the security event.
        subject: String,
    },
    /// The family was revoked before.
    Revoked,
    /// The family is past its idle or absolute cap.
    Expired,
    /// No such family, or a `jti` this family never issued.
    Unknown,
}

impl RotateOutcome {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            RotateOutcome::Rotated { .. } => "rotated",
            RotateOutcome::Grace { .. } => "grace",
            RotateOutcome::ReuseDetected { .. } => "refresh_reuse",
            RotateOutcome::Revoked => "family_revoked",
            RotateOutcome::Expired => "family_expired",
            RotateOutcome::Unknown => "family_unknown",
        }
    }
}

/// Checks ids before either backend stores them.
impl NewFamily {
    pub(crate) fn validate(&self) -> Result<(), crate::StoreError> {
        crate::validate::check_id("family id", &self.id)?;
        crate::validate::check_id("subject", &self.subject)?;
        crate::validate::check_id("jti", &self.jti)?;
        let l = self.limits;
        if l.idle_secs <= 0
            || l.absolute_secs <= 0
            || !(0..=300).contains(&l.grace_secs)
            || !(1..=MAX_ACCESS_SECS).contains(&l.access_secs)
        {
            return Err(crate::StoreError::invalid(
                "family limits",
                "idle and absolute caps must be positive, grace 0 to 300 seconds, access 1 to 86400",
            ));
        }
        Ok(())
    }

    /// The family as first stored.
    pub(crate) fn initial(&self) -> Family {
        Family {
            id: self.id.clone(),
            subject: self.subject.clone(),
            current_jti: self.jti.clone(),
            created_at: self.now,
            rotated_at: self.now,
            idle_expires_at: self.now.saturating_add(self.limits.idle_secs),
            absolute_expires_at: self.now.saturating_add(self.limits.absolute_secs),
            idle_secs: self.limits.idle_secs,
            grace_secs: self.limits.grace_secs,
            access_secs: self.limits.access_secs,
            previous_jti: None,
            revoked_at: None,
            revoked_reason: None,
        }
    }
}

/// What a rotation must do to the stored family; the SQLite backend applies
/// it in one transaction, and the Redis backend's Lua script mirrors it step
/// for step (the conformance suite holds them to the same answers).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Make `successor` current, remember `presented` as previous and used.
    Rotate,
    /// Answer with the current `jti`; change nothing.
    Grace,
    /// Revoke the family for reuse.
    Reuse,
    /// Refuse; change nothing.
    Refuse(RotateOutcome),
}

/// Decides a rotation of `family` by `presented` at `now`; `was_used` says
/// whether `presented` is one of the family's earlier `jti`s.
pub(crate) fn decide(family: &Family, presented: &str, was_used: bool, now: i64) -> Decision {
    if family.revoked_at.is_some() {
        return Decision::Refuse(RotateOutcome::Revoked);
    }
    if now >= family.idle_expires_at || now >= family.absolute_expires_at {
        return Decision::Refuse(RotateOutcome::Expired);
    }
    if presented == family.current_jti {
        return Decision::Rotate;
    }
    let within_grace = now.saturating_sub(family.rotated_at) < family.grace_secs;
    if family.previous_jti.as_deref() == Some(presented) && within_grace {
        return Decision::Grace;
    }
    if was_used {
        return Decision::Reuse;
    }
    Decision::Refuse(RotateOutcome::Unknown)
}
