//! Security events: kept in the store (for `GET /v1/admin/events`) and
//! written as structured JSON log lines. Neither ever holds a token, a
//! password or a key: only names, subjects (user ids), client addresses,
//! key ids and reasons.

use std::fmt;
use std::sync::Arc;

use jwtkeep_store::{Event, Store, StoreStatus};
use serde_json::{Map, Value};

use crate::AppState;

/// Where security events are written as log lines (the binary prints them
/// to standard error as JSON); none by default.
#[derive(Clone, Default)]
pub struct EventLog(Option<Sink>);

/// Receives each event as a JSON object.
type Sink = Arc<dyn Fn(&Value) + Send + Sync>;

impl EventLog {
    /// Events go to `sink`, one JSON object each.
    pub fn new(sink: impl Fn(&Value) + Send + Sync + 'static) -> EventLog {
        EventLog(Some(Arc::new(sink)))
    }

    /// A failure on the service's side (the store down, a key missing),
    /// logged once with what the client was not told.
    pub(crate) fn server_error(&self, at: i64, path: &str, code: &str, detail: &str) {
        if let Some(sink) = &self.0 {
            sink(&serde_json::json!({
                "at": at,
                "error": code,
                "path": path,
                "detail": detail,
            }));
        }
    }

    /// The store went away, came back, or was found reset: one line per
    /// change, never one per failed request.
    pub(crate) fn store_status(&self, at: i64, status: &StoreStatus, outage_secs: Option<u64>) {
        let Some(sink) = &self.0 else { return };
        let line = match status {
            StoreStatus::Up => serde_json::json!({
                "at": at,
                "store": "recovered",
                "outage_secs": outage_secs,
            }),
            StoreStatus::Unreachable(detail) => serde_json::json!({
                "at": at,
                "store": "unreachable",
                "detail": detail,
                "hint": "verification fails closed (503) once revocations are older than their bound; the service reconnects by itself",
            }),
            StoreStatus::Reset(detail) => serde_json::json!({
                "at": at,
                "store": "reset",
                "detail": detail,
                "hint": "every token is refused (503 store_reset) and no key is made: find out why the store lost its data, run `jwtkeep store init` (--force if it holds data), then restart every instance",
            }),
        };
        sink(&line);
    }

    fn emit(&self, event: &Event) {
        if let Some(sink) = &self.0 {
            sink(&serde_json::json!({
                "at": event.at,
                "event": event.name,
                "subject": event.subject,
                "client": event.client,
                "details": event.details,
            }));
        }
    }
}

impl fmt::Debug for EventLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "EventLog(on)"
        } else {
            "EventLog(off)"
        })
    }
}

/// A security event. Its dotted name is a stable contract: log lines, the
/// store's events (`GET /v1/admin/events?name=`) and the metric
/// `jwtkeep_security_events_total{event=...}` all use it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecurityEvent {
    /// A login succeeded.
    LoginSucceeded,
    /// A login failed (wrong password, unknown or disabled user: never said which).
    LoginFailed,
    /// A login or password check was refused by the rate limit.
    LoginLimited,
    /// A rotated refresh token was presented again; its family was ended.
    RefreshReuse,
    /// A user logged out.
    Logout,
    /// A confirmation token was issued.
    ConfirmIssued,
    /// A confirmation was asked for with a wrong password.
    ConfirmFailed,
    /// A confirmation token was used.
    ConfirmUsed,
    /// A registered client revoked a token (RFC 7009).
    TokenRevoked,
    /// A signing key was rotated (by schedule, the admin API or the CLI).
    KeyRotated,
    /// An administrator created a user.
    AdminUserCreated,
    /// An administrator disabled a user.
    AdminUserDisabled,
    /// An administrator enabled a user.
    AdminUserEnabled,
    /// An administrator logged a user out everywhere.
    AdminUserRevoked,
    /// An administrator revoked every token.
    AdminRevokeAll,
    /// An administrator set a user's password (every session of theirs ended).
    AdminPasswordReset,
    /// A user changed their password (their other sessions ended).
    PasswordChanged,
    /// A password change gave the wrong current password.
    PasswordChangeFailed,
    /// An administrator deleted a user (the event keeps the subject id only).
    AdminUserDeleted,
    /// An administrator replaced a user's scopes (every session of theirs ended).
    AdminUserScopesChanged,
    /// A registered client obtained a machine token (client credentials).
    ClientTokenIssued,
    /// A client's credentials were wrong or unknown.
    ClientAuthFailed,
    /// A client's authentication was refused by the rate limit.
    ClientAuthLimited,
}

impl SecurityEvent {
    /// Every event, in the order metrics list them.
    pub const ALL: [SecurityEvent; 23] = [
        SecurityEvent::LoginSucceeded,
        SecurityEvent::LoginFailed,
        SecurityEvent::LoginLimited,
        SecurityEvent::RefreshReuse,
        SecurityEvent::Logout,
        SecurityEvent::ConfirmIssued,
        SecurityEvent::ConfirmFailed,
        SecurityEvent::ConfirmUsed,
        SecurityEvent::TokenRevoked,
        SecurityEvent::KeyRotated,
        SecurityEvent::AdminUserCreated,
        SecurityEvent::AdminUserDisabled,
        SecurityEvent::AdminUserEnabled,
        SecurityEvent::AdminUserRevoked,
        SecurityEvent::AdminRevokeAll,
        SecurityEvent::AdminPasswordReset,
        SecurityEvent::PasswordChanged,
        SecurityEvent::PasswordChangeFailed,
        SecurityEvent::AdminUserDeleted,
        SecurityEvent::AdminUserScopesChanged,
        SecurityEvent::ClientTokenIssued,
        SecurityEvent::ClientAuthFailed,
        SecurityEvent::ClientAuthLimited,
    ];

    /// The stable dotted name.
    pub fn name(self) -> &'static str {
        match self {
            SecurityEvent::LoginSucceeded => "login.succeeded",
            SecurityEvent::LoginFailed => "login.failed",
            SecurityEvent::LoginLimited => "login.limited",
            SecurityEvent::RefreshReuse => "refresh.reuse",
            SecurityEvent::Logout => "logout",
            SecurityEvent::ConfirmIssued => "confirm.issued",
            SecurityEvent::ConfirmFailed => "confirm.failed",
            SecurityEvent::ConfirmUsed => "confirm.used",
            SecurityEvent::TokenRevoked => "token.revoked",
            SecurityEvent::KeyRotated => "key.rotated",
            SecurityEvent::AdminUserCreated => "admin.user_created",
            SecurityEvent::AdminUserDisabled => "admin.user_disabled",
            SecurityEvent::AdminUserEnabled => "admin.user_enabled",
            SecurityEvent::AdminUserRevoked => "admin.user_revoked",
            SecurityEvent::AdminRevokeAll => "admin.revoke_all",
            SecurityEvent::AdminPasswordReset => "admin.password_reset",
            SecurityEvent::PasswordChanged => "password.changed",
            SecurityEvent::PasswordChangeFailed => "password.change_failed",
            SecurityEvent::AdminUserDeleted => "admin.user_deleted",
            SecurityEvent::AdminUserScopesChanged => "admin.user_scopes_changed",
            SecurityEvent::ClientTokenIssued => "client.token_issued",
            SecurityEvent::ClientAuthFailed => "client.auth_failed",
            SecurityEvent::ClientAuthLimited => "client.auth_limited",
        }
    }
}

impl fmt::Display for SecurityEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Records a security event without details.
pub(crate) async fn record<S: Store>(
    state: &AppState<S>,
    name: SecurityEvent,
    subject: Option<&str>,
    client: Option<String>,
    now: i64,
) {
    record_details(state, name, subject, client, Map::new(), now).await;
}

/// Records a security event: logged, then stored. Storing is best effort:
/// a full disk must not turn logins into errors.
pub(crate) async fn record_details<S: Store>(
    state: &AppState<S>,
    name: SecurityEvent,
    subject: Option<&str>,
    client: Option<String>,
    details: Map<String, Value>,
    now: i64,
) {
    state.metrics.security_event(name);
    let event = Event {
        at: now,
        name: name.name().to_owned(),
        subject: subject.map(str::to_owned),
        client,
        details,
    };
    state.config.event_log.emit(&event);
    let _ = state.store.record(event).await;
}

#[cfg(test)]
mod tests {
    use super::SecurityEvent;

    #[test]
    fn event_names_are_distinct_lowercase_and_dotted() {
        let names: std::collections::BTreeSet<&str> =
            SecurityEvent::ALL.iter().map(|e| e.name()).collect();
        assert_eq!(names.len(), SecurityEvent::ALL.len());
        for name in names {
            assert!(
                name.bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'.' || b == b'_'),
                "{name}"
            );
        }
    }
}
