//! The admin API: users, logging a user out everywhere, the emergency
//! revoke-all, key rotation and the security events. Every call needs an
//! access token with the `admin` scope whose user is, at the time of the
//! call, still an enabled administrator (a demotion takes effect at once, not
//! when the token expires).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use jwtkeep_store::{EventQuery, Revocation, ScopeError, Scopes, Store, StoreError, User};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use zeroize::Zeroizing;

use crate::events::{record_details, SecurityEvent};
use crate::extract::{optional_json, ApiJson, Bearer, ClientAddr};
use crate::gate::{authenticate, sync_own_revocation};
use crate::keys::RotationMode;
use crate::passwords::{self, PasswordPool};
use crate::purpose::{Purpose, PURPOSES};
use crate::{ApiError, AppState, KeysError};

/// The acting administrator.
struct Admin {
    id: String,
    client: Option<String>,
    now: i64,
}

fn forbidden(message: &'static str) -> ApiError {
    ApiError::MissingScope {
        scope: "admin",
        message,
    }
}

/// Checks the token fully, its `admin` scope, and the user behind it.
async fn admin<S: Store>(
    state: &AppState<S>,
    token: &str,
    client: Option<std::net::IpAddr>,
) -> Result<Admin, ApiError> {
    let now = (state.clock)();
    let verified = authenticate(state, token, now).await?;
    let claims = verified.payload();
    let scoped = matches!(claims.get("scope"), Some(Value::String(scope))
        if scope.split(' ').any(|s| s == "admin"));
    if !scoped {
        return Err(forbidden("this needs an administrator's access token"));
    }
    let id = claims.sub().unwrap_or_default().to_owned();
    let user = state.store.user_by_id(&id).await?;
    if !user.is_some_and(|u| u.admin && !u.disabled) {
        return Err(forbidden(
            "this account is no longer an enabled administrator",
        ));
    }
    Ok(Admin {
        id,
        client: client.map(|ip| ip.to_string()),
        now,
    })
}

/// A user as the API shows it (never the password hash).
#[derive(Serialize)]
struct UserView {
    id: String,
    username: String,
    admin: bool,
    scopes: Vec<String>,
    disabled: bool,
    created_at: i64,
    updated_at: i64,
}

impl From<User> for UserView {
    fn from(u: User) -> UserView {
        UserView {
            id: u.id,
            username: u.username,
            admin: u.admin,
            scopes: u.scopes.iter().map(str::to_owned).collect(),
            disabled: u.disabled,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

async fn audit<S: Store>(
    state: &AppState<S>,
    who: &Admin,
    name: SecurityEvent,
    subject: Option<&str>,
    details: Map<String, Value>,
) {
    let mut details = details;
    details.insert("by".into(), who.id.clone().into());
    record_details(state, name, subject, who.client.clone(), details, who.now).await;
}

/// What creating a user sends.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CreateUser {
    username: String,
    password: String,
    #[serde(default)]
    admin: bool,
    #[serde(default)]
    scopes: Vec<String>,
}

/// Why a user could not be created: the domain's reasons, which the API
/// and the CLI each put in their own words.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UserError {
    /// The password is too short or too long.
    #[error("{0}")]
    WeakPassword(passwords::PasswordError),
    /// The username is taken.
    #[error("a user with this name exists; choose another name")]
    UsernameTaken,
    /// The username has characters or a length the store refuses.
    #[error("a username may hold only letters a-z, digits and . _ - + @ (1 to 254)")]
    InvalidUsername,
    /// The password could not be hashed.
    #[error("the password hasher is unavailable")]
    Hasher,
    /// Every password worker is busy and the queue is full.
    #[error("too many passwords are being hashed right now; retry shortly")]
    Busy,
    /// No user has this id.
    #[error("no user has this id")]
    NoSuchUser,
    /// The user is the last enabled administrator.
    #[error("this is the last enabled administrator: make another administrator first")]
    LastAdministrator,
    /// A scope list the rule refuses.
    #[error("{0}")]
    InvalidScopes(ScopeError),
    /// The store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<UserError> for ApiError {
    fn from(e: UserError) -> ApiError {
        match e {
            UserError::WeakPassword(e) => ApiError::WeakPassword(e),
            UserError::UsernameTaken => ApiError::UsernameTaken,
            UserError::InvalidUsername => ApiError::InvalidUsername,
            UserError::Hasher => ApiError::Unavailable("the password hasher"),
            UserError::Busy => ApiError::Busy,
            UserError::NoSuchUser => ApiError::NoSuchUser,
            UserError::LastAdministrator => ApiError::LastAdministrator,
            UserError::InvalidScopes(e) => ApiError::InvalidScope(e.to_string()),
            UserError::Store(e) => ApiError::Store(e),
        }
    }
}

/// A store error of an operation on one user: `NotFound` is that no user
/// has the id.
fn no_such_user(e: StoreError) -> UserError {
    match e {
        StoreError::NotFound { .. } => UserError::NoSuchUser,
        e => UserError::Store(e),
    }
}

/// The argon2id hash of `password` (which must pass the strength rule),
/// computed on `pool`.
pub(crate) async fn hash_password(
    pool: &PasswordPool,
    password: Zeroizing<String>,
) -> Result<jwtkeep_store::PasswordHash, UserError> {
    pool.hash(password).await.map_err(|e| match e {
        passwords::PasswordError::Length | passwords::PasswordError::Weak(_) => {
            UserError::WeakPassword(e)
        }
        passwords::PasswordError::Busy => UserError::Busy,
        _ => UserError::Hasher,
    })
}

/// Creates a user with an argon2id hash of `password`, computed on `pool`;
/// shared with the CLI.
pub async fn create_user<S: Store>(
    store: &S,
    pool: &PasswordPool,
    username: &str,
    password: Zeroizing<String>,
    admin: bool,
    scopes: Scopes,
    now: i64,
) -> Result<User, UserError> {
    let hashed = hash_password(pool, password).await?;
    store
        .create_user(username, hashed, admin, scopes, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict { .. } => UserError::UsernameTaken,
            StoreError::Invalid { .. } => UserError::InvalidUsername,
            e => UserError::Store(e),
        })
}

/// `POST /v1/admin/users`.
pub(crate) async fn create<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    ApiJson(request): ApiJson<CreateUser>,
) -> Result<Response, ApiError> {
    let password = Zeroizing::new(request.password);
    let who = admin(&state, &token, client).await?;
    let scopes = Scopes::from_list(&request.scopes).map_err(UserError::InvalidScopes)?;
    // The API takes a username exactly as it will be shown (the document's
    // pattern): no surrounding blanks to trim away.
    if request.username.trim() != request.username {
        return Err(ApiError::InvalidUsername);
    }
    let user = create_user(
        &state.store,
        &state.passwords,
        &request.username,
        password,
        request.admin,
        scopes,
        who.now,
    )
    .await?;
    let mut details = Map::new();
    details.insert("admin".into(), user.admin.into());
    details.insert("scopes".into(), user.scopes.to_string().into());
    audit(
        &state,
        &who,
        SecurityEvent::AdminUserCreated,
        Some(&user.id),
        details,
    )
    .await;
    Ok((StatusCode::CREATED, Json(UserView::from(user))).into_response())
}

/// `GET /v1/admin/users`.
pub(crate) async fn list<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
) -> Result<Response, ApiError> {
    admin(&state, &token, client).await?;
    let users = state.store.list_users(10_000).await?;
    let users: Vec<UserView> = users.into_iter().map(UserView::from).collect();
    Ok(Json(serde_json::json!({ "users": users })).into_response())
}

/// Ends every session of `subject`: tokens issued before `now + 1` are cut
/// off (`iat` is in whole seconds: one issued this very second must die too)
/// and every refresh family is revoked.
pub async fn revoke_user<S: Store>(store: &S, subject: &str, now: i64) -> Result<u64, StoreError> {
    cut_off_subject(store, subject, now).await?;
    store.revoke_families_of(subject, "admin", now).await
}

/// Refuses every token of `subject` (a user, or a client's machine tokens)
/// issued before `now + 1` (`iat` is in whole seconds: one issued this very
/// second must die too); shared with the CLI.
pub async fn cut_off_subject<S: Store>(
    store: &S,
    subject: &str,
    now: i64,
) -> Result<(), StoreError> {
    store
        .revoke(
            Revocation::Subject {
                subject: subject.to_owned(),
                before: now.saturating_add(1),
            },
            now,
        )
        .await
}

/// Refuses to take away the user `id` when they are the last enabled
/// administrator: nobody could then administer the service without the
/// command line and its files. (Two administrators removing each other at
/// the same instant can still both succeed; the check reads the users once.)
/// The user as read, if there is one.
async fn ensure_not_last_administrator<S: Store>(
    store: &S,
    id: &str,
) -> Result<Option<User>, UserError> {
    let target = store.user_by_id(id).await.map_err(UserError::Store)?;
    if target.as_ref().is_some_and(|u| u.admin && !u.disabled) {
        // Only then are the users read, to count the enabled administrators.
        let users = store.list_users(100_000).await.map_err(UserError::Store)?;
        if users.iter().filter(|u| u.admin && !u.disabled).count() <= 1 {
            return Err(UserError::LastAdministrator);
        }
    }
    Ok(target)
}

/// Disables (ending every session) or enables the user `id`; shared with
/// the CLI. The last enabled administrator cannot be disabled.
pub async fn set_user_disabled<S: Store>(
    store: &S,
    id: &str,
    disabled: bool,
    now: i64,
) -> Result<(), UserError> {
    if disabled {
        ensure_not_last_administrator(store, id).await?;
    }
    store
        .set_disabled(id, disabled, now)
        .await
        .map_err(no_such_user)?;
    if disabled {
        // The store ended the user's sessions with the change; their
        // tokens are cut off too, so that the refusal names the subject.
        cut_off_subject(store, id, now)
            .await
            .map_err(UserError::Store)?;
    }
    Ok(())
}

/// `POST /v1/admin/users/{id}/disable` and `/enable`.
async fn set_disabled<S: Store>(
    state: &AppState<S>,
    token: &str,
    client: Option<std::net::IpAddr>,
    id: &str,
    disabled: bool,
) -> Result<Response, ApiError> {
    let who = admin(state, token, client).await?;
    set_user_disabled(&state.store, id, disabled, who.now).await?;
    let name = if disabled {
        sync_own_revocation(state, who.now).await;
        state.metrics.revocation("subject");
        SecurityEvent::AdminUserDisabled
    } else {
        SecurityEvent::AdminUserEnabled
    };
    audit(state, &who, name, Some(id), Map::new()).await;
    Ok(Json(serde_json::json!({"id": id, "disabled": disabled})).into_response())
}

/// Sets the password of the user `id` to `password` (strength rule,
/// argon2id on `pool`) and ends every session of theirs in the same store
/// step; shared with the CLI. The number of sessions ended.
pub async fn reset_password<S: Store>(
    store: &S,
    pool: &PasswordPool,
    id: &str,
    password: Zeroizing<String>,
    now: i64,
) -> Result<u64, UserError> {
    let hashed = hash_password(pool, password).await?;
    store
        .set_password(id, hashed, None, now)
        .await
        .map_err(no_such_user)
}

/// What an administrator's password reset sends.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ResetPassword {
    new_password: String,
}

/// `POST /v1/admin/users/{id}/password`: a new password, and every session
/// of the user ended (their access tokens refused through `sid`).
pub(crate) async fn password<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<ResetPassword>,
) -> Result<Response, ApiError> {
    let password = Zeroizing::new(request.new_password);
    let who = admin(&state, &token, client).await?;
    let ended = reset_password(&state.store, &state.passwords, &id, password, who.now).await?;
    sync_own_revocation(&state, who.now).await;
    if ended > 0 {
        state.metrics.revocation("family");
    }
    let mut details = Map::new();
    details.insert("sessions_ended".into(), ended.into());
    audit(
        &state,
        &who,
        SecurityEvent::AdminPasswordReset,
        Some(&id),
        details,
    )
    .await;
    Ok(Json(serde_json::json!({"id": id, "sessions_ended": ended})).into_response())
}

/// Deletes the user `id`; shared with the CLI. Their tokens are cut off
/// first (so that a failure after it leaves an account nobody can use
/// rather than tokens of a deleted one), then the account, its name and its
/// sessions go in one store step. The last enabled administrator cannot be
/// deleted. The number of sessions ended.
pub async fn delete_user<S: Store>(store: &S, id: &str, now: i64) -> Result<u64, UserError> {
    if ensure_not_last_administrator(store, id).await?.is_none() {
        return Err(UserError::NoSuchUser);
    }
    cut_off_subject(store, id, now)
        .await
        .map_err(UserError::Store)?;
    store.delete_user(id, now).await.map_err(no_such_user)
}

/// Replaces the scopes of the user `id`; shared with the CLI. Every session
/// of theirs ends in the same store step, and with it every token of those
/// sessions (through `sid`), so no token keeps a scope the user lost. No
/// subject cut-off: a login in the same second gets the new scopes and
/// must work. The number of sessions ended.
pub async fn set_user_scopes<S: Store>(
    store: &S,
    id: &str,
    scopes: Scopes,
    now: i64,
) -> Result<u64, UserError> {
    store
        .set_scopes(id, scopes, now)
        .await
        .map_err(no_such_user)
}

/// `DELETE /v1/admin/users/{id}`: the account, its sessions and its
/// tokens are gone; the username may be registered again.
pub(crate) async fn remove<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let who = admin(&state, &token, client).await?;
    let ended = delete_user(&state.store, &id, who.now).await?;
    sync_own_revocation(&state, who.now).await;
    state.metrics.revocation("subject");
    let mut details = Map::new();
    details.insert("sessions_ended".into(), ended.into());
    audit(
        &state,
        &who,
        SecurityEvent::AdminUserDeleted,
        Some(&id),
        details,
    )
    .await;
    Ok(
        Json(serde_json::json!({"id": id, "deleted": true, "sessions_ended": ended}))
            .into_response(),
    )
}

/// What replacing a user's scopes sends.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SetScopes {
    scopes: Vec<String>,
}

/// `PUT /v1/admin/users/{id}/scopes`: the user's scopes replaced, and every
/// session of theirs ended.
pub(crate) async fn scopes<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<SetScopes>,
) -> Result<Response, ApiError> {
    let who = admin(&state, &token, client).await?;
    let scopes = Scopes::from_list(&request.scopes).map_err(UserError::InvalidScopes)?;
    let shown: Vec<String> = scopes.iter().map(str::to_owned).collect();
    let listed = scopes.to_string();
    let ended = set_user_scopes(&state.store, &id, scopes, who.now).await?;
    sync_own_revocation(&state, who.now).await;
    if ended > 0 {
        state.metrics.revocation("family");
    }
    let mut details = Map::new();
    details.insert("scopes".into(), listed.into());
    details.insert("sessions_ended".into(), ended.into());
    audit(
        &state,
        &who,
        SecurityEvent::AdminUserScopesChanged,
        Some(&id),
        details,
    )
    .await;
    Ok(
        Json(serde_json::json!({"id": id, "scopes": shown, "sessions_ended": ended}))
            .into_response(),
    )
}

/// `POST /v1/admin/users/{id}/disable`.
pub(crate) async fn disable<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_disabled(&state, &token, client, &id, true).await
}

/// `POST /v1/admin/users/{id}/enable`.
pub(crate) async fn enable<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    set_disabled(&state, &token, client, &id, false).await
}

/// `POST /v1/admin/users/{id}/revoke`: log the user out everywhere.
pub(crate) async fn revoke<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let who = admin(&state, &token, client).await?;
    if state.store.user_by_id(&id).await?.is_none() {
        return Err(ApiError::NoSuchUser);
    }
    let families = revoke_user(&state.store, &id, who.now).await?;
    sync_own_revocation(&state, who.now).await;
    state.metrics.revocation("subject");
    let mut details = Map::new();
    details.insert("families".into(), families.into());
    audit(
        &state,
        &who,
        SecurityEvent::AdminUserRevoked,
        Some(&id),
        details,
    )
    .await;
    Ok(Json(
        serde_json::json!({"id": id, "revoked_before": who.now + 1, "families_revoked": families}),
    )
    .into_response())
}

/// `POST /v1/admin/revoke-all`: every token issued up to now stops working,
/// the caller's own included.
pub(crate) async fn revoke_all<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
) -> Result<Response, ApiError> {
    let who = admin(&state, &token, client).await?;
    let before = who.now.saturating_add(1);
    state
        .store
        .revoke(Revocation::All { before }, who.now)
        .await?;
    sync_own_revocation(&state, who.now).await;
    state.metrics.revocation("all");
    audit(
        &state,
        &who,
        SecurityEvent::AdminRevokeAll,
        None,
        Map::new(),
    )
    .await;
    Ok(Json(serde_json::json!({"revoked_before": before})).into_response())
}

/// What a rotation may send.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(crate) struct RotateRequest {
    /// One purpose; all three when absent (`null` is refused, not read as absent).
    #[serde(default, deserialize_with = "crate::extract::present")]
    purpose: Option<String>,
    /// `staged` (the default), `immediate` or `revoke_old`.
    #[serde(default, deserialize_with = "crate::extract::present")]
    mode: Option<String>,
}

/// How long after a rotation through the API the same purpose may be
/// rotated again through it (the CLI, an operator's emergency tool, is not
/// held; nor is `revoke_old`, which answers a compromised key).
const ROTATION_THROTTLE_SECS: i64 = 60;

/// `POST /v1/admin/keys/rotate`: a new key per purpose, published at once;
/// it signs after the staged lead, or at once (`immediate`, `revoke_old`);
/// the previous keys verify until their tokens have expired, or with
/// `revoke_old` stop at once.
pub(crate) async fn rotate_keys<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    body: axum::body::Bytes,
) -> Result<Response, ApiError> {
    let request: RotateRequest = optional_json(
        &body,
        "{\"purpose\": \"access\" | \"refresh\" | \"confirm\", \"mode\": \"staged\" | \"immediate\" | \"revoke_old\"}",
    )?;
    let who = admin(&state, &token, client).await?;
    let purposes: Vec<Purpose> = match request.purpose.as_deref() {
        None => PURPOSES.to_vec(),
        Some(name) => match Purpose::from_name(name) {
            Some(p) => vec![p],
            None => {
                return Err(ApiError::InvalidField(
                    "purpose must be access, refresh or confirm".to_owned(),
                ))
            }
        },
    };
    let mode = match request.mode.as_deref() {
        None => RotationMode::Staged,
        Some(name) => RotationMode::from_name(name).ok_or_else(|| {
            ApiError::InvalidField("mode must be staged, immediate or revoke_old".to_owned())
        })?,
    };
    // Throttled per purpose, across instances: a lock nobody releases.
    let holder = crate::issue::random_id()?;
    for purpose in &purposes {
        let throttle = format!("rotate-throttle-{purpose}");
        if mode != RotationMode::RevokeOld
            && !state
                .store
                .try_lock(&throttle, &holder, ROTATION_THROTTLE_SECS, who.now)
                .await?
        {
            return Err(ApiError::RotationThrottled {
                retry_after_secs: ROTATION_THROTTLE_SECS,
            });
        }
    }
    let (mut rotated, mut signs_from) = (Map::new(), Map::new());
    for purpose in purposes {
        let done = state
            .keys
            .rotate(&state.store, purpose, mode, &state.instance, who.now)
            .await
            .map_err(|e| match e {
                KeysError::Busy => ApiError::RotationInProgress,
                _ => ApiError::Unavailable("key rotation"),
            })?;
        let mut details = Map::new();
        details.insert("purpose".into(), purpose.as_str().into());
        details.insert("kid".into(), done.kid.clone().into());
        details.insert("mode".into(), mode.as_str().into());
        details.insert("signs_from".into(), done.signs_from.into());
        audit(&state, &who, SecurityEvent::KeyRotated, None, details).await;
        rotated.insert(purpose.as_str().to_owned(), done.kid.into());
        signs_from.insert(purpose.as_str().to_owned(), done.signs_from.into());
    }
    Ok(Json(serde_json::json!({
        "rotated": rotated,
        "signs_from": signs_from,
        "mode": mode.as_str(),
    }))
    .into_response())
}

/// Which events to list.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct EventsQuery {
    /// From (seconds since the epoch, inclusive); 24 hours ago by default.
    since: Option<i64>,
    /// To (exclusive); now by default.
    until: Option<i64>,
    /// An exact name, or a prefix ending in `.`.
    name: Option<String>,
    /// At most this many (100 by default, 1000 at most).
    limit: Option<usize>,
}

/// `GET /v1/admin/events`.
pub(crate) async fn events<S: Store>(
    State(state): State<Arc<AppState<S>>>,
    ClientAddr(client): ClientAddr,
    Bearer(token): Bearer,
    query: Result<Query<EventsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(query) = query.map_err(|_| {
        ApiError::BadRequest(
            "the query takes since, until (seconds since the epoch), name and limit".to_owned(),
        )
    })?;
    let who = admin(&state, &token, client).await?;
    if query.limit.is_some_and(|l| !(1..=1000).contains(&l)) {
        return Err(ApiError::BadRequest("limit must be 1 to 1000".to_owned()));
    }
    // Seconds since the epoch up to the end of year 9999, as the document says.
    let in_range = |t: Option<i64>| t.is_none_or(|t| (0..=253_402_300_799).contains(&t));
    if !in_range(query.since) || !in_range(query.until) {
        return Err(ApiError::BadRequest(
            "since and until must be 0 to 253402300799 (seconds since the epoch)".to_owned(),
        ));
    }
    let events = state
        .store
        .events(EventQuery {
            from: query.since.unwrap_or(who.now.saturating_sub(86_400)),
            to: query.until.unwrap_or(who.now.saturating_add(1)),
            name: query.name,
            limit: query.limit.unwrap_or(100).min(1000),
        })
        .await?;
    let events: Vec<Value> = events
        .into_iter()
        .map(|e| {
            serde_json::json!({
                "at": e.at, "event": e.name, "subject": e.subject,
                "client": e.client, "details": e.details,
            })
        })
        .collect();
    Ok(Json(serde_json::json!({ "events": events })).into_response())
}
