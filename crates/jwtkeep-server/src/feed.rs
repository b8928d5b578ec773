//! The revocation feed, for registered clients (the guard and the gate of
//! other services): everything revoked and still relevant, or what changed
//! since a cursor. Entries carry ids only — issuers and `jti`s, user ids,
//! session ids, cut-off times — never anything personal.

use std::sync::Arc;

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::{header, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jwtkeep_store::{Changes, FeedEvent, Revocation, Store, StoreError, StoreStatus, ViewError};
use serde::Deserialize;

use crate::clients::authenticate_client;
use crate::extract::ClientAddr;
use crate::issue::no_store;
use crate::{ApiError, AppState};

/// What a feed request may ask.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FeedQuery {
    /// The cursor of an earlier answer.
    after: Option<String>,
}

/// The feed's cursor: the store's identity and the store's own cursor, so
/// that a cursor from a store that was since wiped or replaced is never
/// taken for one of this store (its holder gets a full snapshot instead).
fn cursor_for(identity: &str, store_cursor: &str) -> String {
    format!("{identity}.{store_cursor}")
}

/// `GET /v1/revocations?after=CURSOR`: without a cursor (or with one this
/// store did not give), a snapshot of everything revoked and still relevant;
/// with one, the changes since (at most 10,000 an answer: ask again with the
/// new cursor until none come). A snapshot replaces what the client held.
pub(crate) async fn revocations<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    query: Result<Query<FeedQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let query = asked(&state, &headers, address, query).await?;
    let read = read(&state, query.after.as_deref()).await?;
    Ok(no_store(Json(read.body(&state.identity)).into_response()))
}

/// The query, from a registered client.
async fn asked<S: Store>(
    state: &AppState<S>,
    headers: &HeaderMap,
    address: Option<std::net::IpAddr>,
    query: Result<Query<FeedQuery>, QueryRejection>,
) -> Result<FeedQuery, ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::BadRequest(
            "the query takes after=CURSOR, a cursor from an earlier answer".to_owned(),
        )
    })?;
    authenticate_client(state, headers, address).await?;
    Ok(query)
}

/// One read of the feed: a snapshot or changes, and the store's cursor after it.
struct Read {
    kind: &'static str,
    entries: Vec<Revocation>,
    cursor: String,
}

impl Read {
    fn body(&self, identity: &str) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind,
            "entries": self.entries,
            "cursor": cursor_for(identity, &self.cursor),
        })
    }
}

/// The changes since `after` when it is a cursor this store gave and the
/// store still reaches back to it; a snapshot otherwise. A store that was
/// reset has nothing a client may rely on: 503.
async fn read<S: Store>(state: &AppState<S>, after: Option<&str>) -> Result<Read, ApiError> {
    if let Err(e @ ViewError::StoreReset { .. }) = state.view.usable() {
        return Err(ApiError::RevocationsUnknown(e));
    }
    let since = after
        .and_then(|c| c.split_once('.'))
        .filter(|(identity, _)| *identity == state.identity)
        .map(|(_, cursor)| cursor);
    if let Some(cursor) = since {
        match state.store.changes_since(cursor).await {
            Ok(Changes::Since { entries, cursor }) => {
                return Ok(Read {
                    kind: "changes",
                    entries,
                    cursor,
                })
            }
            Ok(Changes::Reload) | Err(StoreError::Invalid { .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let snapshot = state.store.snapshot((state.clock)()).await?;
    Ok(Read {
        kind: "snapshot",
        entries: snapshot.entries,
        cursor: snapshot.cursor,
    })
}

/// How many streams may be open at once, across clients.
pub(crate) const MAX_STREAMS: usize = 256;

/// How often an idle stream says it is alive (proxies close silent ones).
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// `GET /v1/revocations/stream`: the same entries as server-sent events, as
/// they happen. The first event is a `snapshot`, or the `changes` since the
/// cursor given as `Last-Event-ID` (what an EventSource sends when it
/// reconnects) or `after=`; each event's `id` is the cursor to resume from.
/// Entries may come twice (applying one twice changes nothing). A `keys`
/// event says the signing keys changed (fetch the JWKS again). An `error`
/// event ends the stream when the store was reset. A request that does not
/// accept `text/event-stream` gets the first event only.
pub(crate) async fn stream<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    query: Result<Query<FeedQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let query = asked(&state, &headers, address, query).await?;
    // An endless answer only for who asks for one (an EventSource does): a
    // plain HTTP client gets the first event and the end of the answer,
    // never a response that does not end.
    let endless = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| {
            t.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .eq_ignore_ascii_case("text/event-stream")
        });
    let permit = Arc::clone(&state.streams)
        .try_acquire_owned()
        .map_err(|_| ApiError::Busy)?;
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(query.after);
    // Following before the first read: nothing falls between the two.
    let follow = state.view.follow();
    let first = read(&state, after.as_deref()).await?;
    let (sender, receiver) = tokio::sync::mpsc::channel(16);
    tokio::spawn(follow_feed(state, follow, first, endless, sender, permit));
    let mut response = Response::new(axum::body::Body::new(EventBody(receiver)));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    // nginx would otherwise hold events back in its buffer.
    headers.insert("x-accel-buffering", HeaderValue::from_static("no"));
    Ok(response)
}

/// One server-sent event.
fn event(name: &str, id: Option<&str>, data: &serde_json::Value) -> Bytes {
    let mut text = String::new();
    if let Some(id) = id {
        text.push_str("id: ");
        text.push_str(id);
        text.push('\n');
    }
    text.push_str("event: ");
    text.push_str(name);
    text.push_str("\ndata: ");
    text.push_str(&data.to_string());
    text.push_str("\n\n");
    Bytes::from(text)
}

/// Passes on what the view's syncs read until the client goes, the store
/// is reset, or the service stops.
async fn follow_feed<S: Store>(
    state: Arc<AppState<S>>,
    mut follow: tokio::sync::broadcast::Receiver<FeedEvent>,
    first: Read,
    endless: bool,
    sender: tokio::sync::mpsc::Sender<Bytes>,
    _permit: tokio::sync::OwnedSemaphorePermit,
) {
    let identity = state.identity.clone();
    let mut status = state.view.status();
    let mut installs = state.keys.installs();
    installs.mark_unchanged();
    let mut cursor = first.cursor.clone();
    let first_event = event(
        first.kind,
        Some(&cursor_for(&identity, &cursor)),
        &first.body(&identity),
    );
    if sender.send(first_event).await.is_err() || !endless {
        return;
    }
    loop {
        let next = tokio::select! {
            received = follow.recv() => match received {
                Ok(FeedEvent::Changes { entries, cursor: after }) => {
                    cursor = after;
                    let data = serde_json::json!({
                        "kind": "changes",
                        "entries": *entries,
                        "cursor": cursor_for(&identity, &cursor),
                    });
                    event("changes", Some(&cursor_for(&identity, &cursor)), &data)
                }
                Ok(FeedEvent::Reloaded { .. })
                | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                    match read(&state, Some(&cursor_for(&identity, &cursor))).await {
                        Ok(again) => {
                            cursor = again.cursor.clone();
                            let id = cursor_for(&identity, &cursor);
                            event(again.kind, Some(&id), &again.body(&identity))
                        }
                        Err(e) => {
                            let data = serde_json::json!({"error": e.code()});
                            let _ = sender.send(event("error", None, &data)).await;
                            return;
                        }
                    }
                }
                Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
            },
            changed = status.changed() => {
                if changed.is_err() {
                    return;
                }
                if matches!(*status.borrow_and_update(), StoreStatus::Reset(_)) {
                    let data = serde_json::json!({"error": "store_reset"});
                    let _ = sender.send(event("error", None, &data)).await;
                    return;
                }
                continue;
            }
            changed = installs.changed() => {
                if changed.is_err() {
                    return;
                }
                // The signing keys changed (a rotation here or elsewhere):
                // followers fetch the JWKS again now, not at its max-age.
                event("keys", None, &serde_json::json!({"kind": "keys"}))
            }
            () = tokio::time::sleep(KEEP_ALIVE) => Bytes::from_static(b": keep-alive\n\n"),
        };
        if sender.send(next).await.is_err() {
            return;
        }
    }
}

/// A response body fed by a channel: the stream ends when the sender goes,
/// and the sender learns the client went when its sends fail.
struct EventBody(tokio::sync::mpsc::Receiver<Bytes>);

impl http_body::Body for EventBody {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        self.0
            .poll_recv(cx)
            .map(|next| next.map(|bytes| Ok(http_body::Frame::data(bytes))))
    }
}
