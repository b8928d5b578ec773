//! The revocation feed, for registered clients (the guard and the gate of
//! other services): everything revoked and still relevant, or what changed
//! since a cursor. Entries carry ids only — issuers and `jti`s, user ids,
//! session ids, cut-off times — never anything personal.

use std::sync::Arc;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use jwtkeep_store::{Changes, Revocation, Store, StoreError, ViewError};
use serde::Deserialize;

use crate::issue::no_store;
use crate::oauth::client;
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
    headers: HeaderMap,
    query: Result<Query<FeedQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::BadRequest(
            "the query takes after=CURSOR, a cursor from an earlier answer".to_owned(),
        )
    })?;
    client(&state, &headers).await?;
    // A store that was reset has nothing a client may rely on.
    if let Err(e @ ViewError::StoreReset { .. }) = state.view.usable() {
        return Err(ApiError::RevocationsUnknown(e));
    }
    let since = query
        .after
        .as_deref()
        .and_then(|c| c.split_once('.'))
        .filter(|(identity, _)| *identity == state.identity)
        .map(|(_, cursor)| cursor);
    let changes = match since {
        Some(cursor) => match state.store.changes_since(cursor).await {
            Ok(Changes::Since { entries, cursor }) => Some((entries, cursor)),
            Ok(Changes::Reload) | Err(StoreError::Invalid { .. }) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let (kind, entries, cursor): (&str, Vec<Revocation>, String) = match changes {
        Some((entries, cursor)) => ("changes", entries, cursor),
        None => {
            let snapshot = state.store.snapshot((state.clock)()).await?;
            ("snapshot", snapshot.entries, snapshot.cursor)
        }
    };
    Ok(no_store(
        Json(serde_json::json!({
            "kind": kind,
            "entries": entries,
            "cursor": cursor_for(&state.identity, &cursor),
        }))
        .into_response(),
    ))
}
