//! Revocations: what is denied, and the change feed that keeps every
//! [`RevocationView`](crate::RevocationView) in step with the store.

use serde::{Deserialize, Serialize};

/// One revocation, as stored and as sent to the views.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Revocation {
    /// One token, by issuer and `jti` (never by a hash of its text: a token can
    /// be re-encoded), denied until its `exp`.
    Token {
        /// The token's `iss`.
        issuer: String,
        /// The token's `jti`.
        jti: String,
        /// The token's `exp`; the entry is forgotten after it.
        exp: i64,
    },
    /// Every token of one session (a refresh family: the `sid` of its access
    /// tokens, the `fam` of its refresh tokens), until `until`, when the last
    /// of them has expired. Written by the store itself, in the same step as
    /// the family's end (logout, reuse, password change, revocation).
    Session {
        /// The session's id.
        session: String,
        /// The entry is forgotten after this instant.
        until: i64,
    },
    /// Every token of `subject` issued before `before` ("log out everywhere").
    Subject {
        /// The token's `sub`.
        subject: String,
        /// Tokens with `iat` strictly before this are revoked.
        before: i64,
    },
    /// Every token issued before `before` (an emergency).
    All {
        /// Tokens with `iat` strictly before this are revoked.
        before: i64,
    },
}

impl Revocation {
    /// Checks the values a backend would store, so both refuse the same
    /// input, and says whether the revocation still matters at `now`: a token
    /// whose `exp` has passed is dead anyway and is not stored.
    pub(crate) fn worth_storing(&self, now: i64) -> Result<bool, crate::StoreError> {
        self.validate()?;
        Ok(match self {
            Revocation::Token { exp, .. } => *exp > now,
            Revocation::Session { until, .. } => *until > now,
            Revocation::Subject { .. } | Revocation::All { .. } => true,
        })
    }

    fn validate(&self) -> Result<(), crate::StoreError> {
        let nonempty = |what: &'static str, v: &str| {
            if v.is_empty() || v.len() > 1024 {
                Err(crate::StoreError::invalid(what, "must be 1 to 1024 bytes"))
            } else {
                Ok(())
            }
        };
        match self {
            Revocation::Token { issuer, jti, .. } => {
                nonempty("issuer", issuer)?;
                nonempty("jti", jti)
            }
            Revocation::Session { session, .. } => nonempty("session", session),
            Revocation::Subject { subject, .. } => nonempty("subject", subject),
            Revocation::All { .. } => Ok(()),
        }
    }
}

/// Why a token is revoked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Revoked {
    /// Its `jti` is on the denylist.
    Token,
    /// Its session ended (logout, refresh reuse, password change...).
    Session,
    /// Its subject was logged out everywhere after it was issued.
    Subject,
    /// Every token issued before a global cut-off is revoked.
    All,
}

impl Revoked {
    /// A stable snake_case code.
    pub fn code(self) -> &'static str {
        match self {
            Revoked::Token => "token_revoked",
            Revoked::Session => "session_revoked",
            Revoked::Subject => "subject_revoked",
            Revoked::All => "all_revoked",
        }
    }
}

/// Everything revoked and still relevant at one instant, with the cursor of
/// the change feed at that instant.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevocationSnapshot {
    /// Denied tokens whose `exp` has not passed, and the subject and global cut-offs.
    pub entries: Vec<Revocation>,
    /// Changes after this cursor are not in `entries`.
    pub cursor: String,
}

/// Revocations made after a cursor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Changes {
    /// The revocations in order, and the cursor after the last one.
    Since {
        /// New revocations, oldest first.
        entries: Vec<Revocation>,
        /// The cursor to ask from next time.
        cursor: String,
    },
    /// The cursor is older than the retained feed: take a new snapshot.
    Reload,
}

/// What the revocation check needs of a verified token.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TokenFacts<'a> {
    /// Its `iss`.
    pub issuer: &'a str,
    /// Its `jti`.
    pub jti: &'a str,
    /// Its `sub`.
    pub subject: &'a str,
    /// The session it belongs to (`sid`, or `fam` for a refresh token), if any.
    pub session: Option<&'a str>,
    /// Its `iat`; `i64::MIN` for a token without one, so that any cut-off
    /// revokes it (fail closed).
    pub iat: i64,
}

impl<'a> TokenFacts<'a> {
    /// The facts of a token outside any session.
    pub fn new(issuer: &'a str, jti: &'a str, subject: &'a str, iat: i64) -> TokenFacts<'a> {
        TokenFacts {
            issuer,
            jti,
            subject,
            session: None,
            iat,
        }
    }

    /// The same token, of session `session`.
    #[must_use]
    pub fn in_session(self, session: &'a str) -> TokenFacts<'a> {
        TokenFacts {
            session: Some(session),
            ..self
        }
    }
}

/// The session a verified token belongs to: the `sid` of an access token,
/// the `fam` of a refresh token.
pub fn session_of(claims: &jwtkeep_core::Claims) -> Option<std::borrow::Cow<'_, str>> {
    claims.get_str("sid").or_else(|| claims.get_str("fam"))
}

/// Which of the revocations a token's facts matched.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Matches {
    pub(crate) denied: bool,
    pub(crate) session_ended: bool,
    pub(crate) subject_before: Option<i64>,
    pub(crate) global_before: Option<i64>,
}

/// Whether a token is revoked: on the denylist, issued (`iat`) before its
/// subject's or the global cut-off, or of an ended session. When several
/// apply, the most specific reason is given (a user logged out everywhere
/// also had their sessions ended: `subject_revoked` says more).
pub(crate) fn judge(found: Matches, iat: i64) -> Option<Revoked> {
    let Matches {
        denied,
        session_ended,
        subject_before,
        global_before,
    } = found;
    if denied {
        Some(Revoked::Token)
    } else if subject_before.is_some_and(|before| iat < before) {
        Some(Revoked::Subject)
    } else if global_before.is_some_and(|before| iat < before) {
        Some(Revoked::All)
    } else if session_ended {
        Some(Revoked::Session)
    } else {
        None
    }
}
