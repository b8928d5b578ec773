//! The user's own account: `POST /v1/auth/password`, a password change made
//! with the current password, which ends every other session of the user.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use jwtkeep_store::Store;
use serde::Deserialize;
use serde_json::Map;
use zeroize::Zeroizing;

use crate::attempts::check_current_password;
use crate::events::{record_details, SecurityEvent};
use crate::extract::{ApiJson, Bearer, ClientAddr};
use crate::gate::{authenticate, sync_own_revocation};
use crate::{ApiError, AppState};

/// What a password change sends.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChangePassword {
    current_password: String,
    new_password: String,
}

/// `POST /v1/auth/password`: with the caller's access token and current
/// password (checked under the login limits, as a login), a new password
/// (the strength rule); every other session of the user ends in the same
/// store step, the caller's own (its `sid`) goes on.
pub(crate) async fn change<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    ApiJson(request): ApiJson<ChangePassword>,
) -> Result<Response, ApiError> {
    let current = Zeroizing::new(request.current_password);
    let new = Zeroizing::new(request.new_password);
    let now = (state.clock)();
    let client = client.map(|ip| ip.to_string());
    let verified = authenticate(&state, &token, now).await?;
    let claims = verified.payload();
    let subject = claims.sub().unwrap_or_default().to_owned();
    let session = claims.get_str("sid");
    check_current_password(
        &state,
        &subject,
        current,
        client.clone(),
        SecurityEvent::PasswordChangeFailed,
        now,
    )
    .await?;
    let hashed = crate::admin::hash_password(&state.passwords, new).await?;
    let ended = state
        .store
        .set_password(&subject, hashed, session.as_deref(), now)
        .await?;
    sync_own_revocation(&state, now).await;
    if ended > 0 {
        state.metrics.revocation("family");
    }
    let mut details = Map::new();
    details.insert("sessions_ended".into(), ended.into());
    record_details(
        &state,
        SecurityEvent::PasswordChanged,
        Some(&subject),
        client,
        details,
        now,
    )
    .await;
    Ok(Json(serde_json::json!({"sessions_ended": ended})).into_response())
}
