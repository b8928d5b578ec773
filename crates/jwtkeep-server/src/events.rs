//! Security events: kept in the store (for `GET /v1/admin/events`) and
//! written as structured JSON log lines. Neither ever holds a token, a
//! password or a key: only names, subjects (user ids), client addresses,
//! key ids and reasons.

use std::fmt;
use std::sync::Arc;

use jwtkeep_store::{Event, Store};
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

/// Records a security event without details.
pub(crate) async fn record<S: Store>(
    state: &AppState<S>,
    name: &str,
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
    name: &str,
    subject: Option<&str>,
    client: Option<String>,
    details: Map<String, Value>,
    now: i64,
) {
    let event = Event {
        at: now,
        name: name.to_owned(),
        subject: subject.map(str::to_owned),
        client,
        details,
    };
    state.config.event_log.emit(&event);
    let _ = state.store.record(event).await;
}
