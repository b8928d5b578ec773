//! What every backend checks before it touches its database, written once
//! above them: names are normalised or refused, ids are bounded, and new
//! users and clients are built (with their random id) here, so the backends
//! only store what they are handed.

use crate::{normalise_username, Client, ClientSecretHash, PasswordHash, Scopes, StoreError, User};

/// Longest id (family, jti, subject, kid, lock name) any backend stores, bytes.
const MAX_ID_BYTES: usize = 256;

/// Refuses an empty or over-long id.
pub(crate) fn check_id(what: &'static str, value: &str) -> Result<(), StoreError> {
    if value.is_empty() || value.len() > MAX_ID_BYTES {
        return Err(StoreError::invalid(what, "must be 1 to 256 bytes"));
    }
    Ok(())
}

/// The stored spelling of a name being looked up; `None` when no name
/// could ever have been stored under it (so the answer is "not found").
pub(crate) fn name_to_find(name: &str) -> Option<String> {
    normalise_username(name).ok()
}

/// A new user: the username normalised (refused when invalid) and a fresh random id.
pub(crate) fn new_user(
    username: &str,
    password_hash: PasswordHash,
    admin: bool,
    scopes: Scopes,
    now: i64,
) -> Result<User, StoreError> {
    let username =
        normalise_username(username).map_err(|e| StoreError::invalid("username", e.to_string()))?;
    Ok(User {
        id: new_id()?,
        username,
        password_hash,
        disabled: false,
        admin,
        scopes,
        created_at: now,
        updated_at: now,
    })
}

/// A new client: its name normalised like a username (refused when invalid).
pub(crate) fn new_client(
    name: &str,
    secret_hash: ClientSecretHash,
    scopes: Scopes,
    now: i64,
) -> Result<Client, StoreError> {
    let name =
        normalise_username(name).map_err(|e| StoreError::invalid("client name", e.to_string()))?;
    if could_be_a_user_id(&name) || name == "jwtkeep" {
        return Err(StoreError::invalid(
            "client name",
            "this name is reserved (user ids and the service's own client_id): choose another",
        ));
    }
    Ok(Client {
        name,
        secret_hash,
        scopes,
        created_at: now,
    })
}

/// Whether a client name has the form of a user id (22 base64url
/// characters; names are lower-case, ids mostly not, but not always): a
/// machine token's `sub` is its client's name, and must never be a user's.
fn could_be_a_user_id(name: &str) -> bool {
    name.len() == 22
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// A new random id (users, the store's identity).
pub(crate) fn new_id() -> Result<String, StoreError> {
    jwtkeep_core::random_id().map_err(|e| StoreError::Unavailable {
        backend: "random generator",
        reason: e.to_string(),
    })
}

/// A store URL as it may be shown: its user and password
/// (`scheme://user:pass@host`) replaced by `<credentials>`.
pub(crate) fn redacted_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => match rest.rsplit_once('@') {
            Some((_, host)) => format!("{scheme}://<credentials>@{host}"),
            None => url.to_owned(),
        },
        None => "<unparsed>".to_owned(),
    }
}
