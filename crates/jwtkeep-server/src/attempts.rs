//! Password checks under the login limits: every attempt is counted per
//! client address and per account before the password is looked at, and the
//! argon2id work is the same whether or not the account exists.

use jwtkeep_store::Store;
use zeroize::Zeroizing;

use crate::events::{record, SecurityEvent};
use crate::{passwords, ApiError, AppState};

/// Counts one attempt on each of `keys` before any password is checked (so
/// a parallel burst cannot outrun the count); 429 when one is over its limit.
pub(crate) async fn count_attempt<S: Store>(
    state: &AppState<S>,
    keys: &[String],
    client: Option<String>,
    now: i64,
) -> Result<(), ApiError> {
    for key in keys {
        let decision = state
            .store
            .hit(
                key,
                state.config.login_attempts,
                state.config.login_window_secs,
                now,
            )
            .await?;
        if !decision.allowed {
            state.metrics.login("limited");
            record(state, SecurityEvent::LoginLimited, None, client, now).await;
            return Err(ApiError::RateLimited {
                retry_after_secs: decision.retry_after_secs,
            });
        }
    }
    Ok(())
}

/// Whether `password` matches `stored`, checked on the password pool; with
/// no hash (no such user, or disabled) the same argon2id work against a decoy.
/// 503 `busy` when the pool's queue is full.
pub(crate) async fn password_matches<S: Store>(
    state: &AppState<S>,
    password: Zeroizing<String>,
    stored: Option<jwtkeep_store::PasswordHash>,
) -> Result<bool, ApiError> {
    match state.passwords.verify(password, stored).await {
        Ok(matches) => Ok(matches),
        Err(passwords::PasswordError::Busy) => {
            state.metrics.busy();
            Err(ApiError::Busy)
        }
        // A failed computation never lets anyone in.
        Err(_) => Ok(false),
    }
}
