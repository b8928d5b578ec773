//! Password checks under the login limits: every attempt is counted per
//! client address and per account before the password is looked at, and the
//! argon2id work is the same whether or not the account exists. A
//! registered client's secret is checked under limits of the same shape.

use jwtkeep_store::Store;
use zeroize::Zeroizing;

use crate::events::{record, SecurityEvent};
use crate::{passwords, ApiError, AppState};

/// The limits one password check counts against, each in its own window
/// (OWASP's authentication and credential-stuffing guidance): the
/// (account, client address) pair, the client address, and the account.
/// An attacker's failures therefore lock out neither the account's owner
/// elsewhere (until the account limit) nor other users behind the same
/// address (until the address limit), and a success from one pair forgives
/// nothing of another's.
pub(crate) struct Attempt {
    pair: String,
    address: String,
    account: String,
    client: Option<String>,
    /// The event recorded when a limit refuses the attempt.
    limited: SecurityEvent,
}

impl Attempt {
    /// The login attempt of `client` on `account` (a normalised name, or a
    /// user id prefixed so that the two never meet).
    pub(crate) fn new(account: &str, client: Option<String>) -> Attempt {
        Attempt::counted("login", account, client, SecurityEvent::LoginLimited)
    }

    /// A registered client's authentication under `name`, from `client`
    /// (the address), counted apart from logins.
    pub(crate) fn client_auth(name: &str, client: Option<String>) -> Attempt {
        Attempt::counted("client", name, client, SecurityEvent::ClientAuthLimited)
    }

    fn counted(
        kind: &str,
        account: &str,
        client: Option<String>,
        limited: SecurityEvent,
    ) -> Attempt {
        let address = client.as_deref().unwrap_or("unknown");
        Attempt {
            pair: format!("{kind}:pair:{account}:{address}"),
            address: format!("{kind}:address:{address}"),
            account: format!("{kind}:account:{account}"),
            client,
            limited,
        }
    }

    /// Counts the attempt against every limit before any password is checked
    /// (so that a parallel burst cannot outrun the count); 429 when one is over.
    pub(crate) async fn count<S: Store>(
        &self,
        state: &AppState<S>,
        now: i64,
    ) -> Result<(), ApiError> {
        let config = &state.config;
        let limits = [
            (&self.pair, config.login_attempts),
            (&self.address, config.login_attempts_per_address),
            (&self.account, config.login_attempts_per_account),
        ];
        for (key, limit) in limits {
            let decision = state
                .store
                .hit(key, limit, config.login_window_secs, now)
                .await?;
            if !decision.allowed {
                if self.limited == SecurityEvent::LoginLimited {
                    state.metrics.login("limited");
                }
                record(state, self.limited, None, self.client.clone(), now).await;
                return Err(ApiError::RateLimited {
                    retry_after_secs: decision.retry_after_secs,
                });
            }
        }
        Ok(())
    }

    /// The password was right: the pair's failures are forgotten, and this
    /// attempt no longer counts against the address or the account (their
    /// earlier failures still do).
    pub(crate) async fn succeeded<S: Store>(&self, state: &AppState<S>, now: i64) {
        let window = state.config.login_window_secs;
        let _ = state.store.reset(&self.pair).await;
        let _ = state.store.forgive(&self.address, window, now).await;
        let _ = state.store.forgive(&self.account, window, now).await;
    }
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

/// Checks that `password` is the current password of the signed-in user
/// `subject` (a step-up confirmation, a password change), under the login
/// limits like a login: counted first, 429 past a limit, 401
/// `invalid_credentials` and the event `failed` when wrong (or when the
/// user is gone or disabled), the pair's count forgiven when right.
pub(crate) async fn check_current_password<S: Store>(
    state: &AppState<S>,
    subject: &str,
    password: Zeroizing<String>,
    client: Option<String>,
    failed: SecurityEvent,
    now: i64,
) -> Result<(), ApiError> {
    let attempt = Attempt::new(&format!("id:{subject}"), client.clone());
    attempt.count(state, now).await?;
    let user = state.store.user_by_id(subject).await?;
    let stored = user
        .as_ref()
        .filter(|u| !u.disabled)
        .map(|u| u.password_hash.clone());
    if !password_matches(state, password, stored).await? {
        record(state, failed, Some(subject), client, now).await;
        return Err(ApiError::BadCredentials);
    }
    attempt.succeeded(state, now).await;
    Ok(())
}
