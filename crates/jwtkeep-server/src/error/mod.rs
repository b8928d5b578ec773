//! Every error the API answers, and the one place that decides how: status,
//! `{"error": CODE, "message": …}`, and the headers the status calls for
//! (`WWW-Authenticate` on 401 and 403, RFC 6750 §3; `Retry-After` on 429
//! and 503). Server-side failures are logged once, here, with their detail;
//! the client gets a generic sentence.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use jwtkeep_core::VerifyError;
use jwtkeep_store::{Revoked, StoreError, ViewError};

use crate::passwords::PasswordError;
use crate::Purpose;

/// The error codes of RFC 6749 §5.2, whose bodies also carry
/// `error_description` (the same sentence as `message`).
const OAUTH_CODES: [&str; 5] = [
    "invalid_request",
    "invalid_client",
    "invalid_grant",
    "invalid_scope",
    "unsupported_grant_type",
];

/// How long a client is asked to wait after a 503, seconds.
const RETRY_AFTER_UNAVAILABLE_SECS: u64 = 1;

/// Why a request was not served. Messages say what to do next and never
/// carry tokens, passwords or keys.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ApiError {
    /// A token failed verification: signature, header or claims policy.
    #[error("the {purpose} token is not accepted ({}): {reason}", reason.code())]
    TokenRefused {
        /// What the token was presented as.
        purpose: Purpose,
        /// The verifier's reason.
        reason: VerifyError,
    },
    /// A verified token that cannot serve here; the message says why.
    #[error("{0}")]
    TokenUnusable(&'static str),
    /// A verified token that has been revoked.
    #[error("{message}")]
    Revoked {
        /// Which revocation caught it.
        reason: Revoked,
        /// What to do next.
        message: &'static str,
    },
    /// A refresh token whose session is over.
    #[error("{}", .0.message())]
    SessionEnded(SessionEnd),
    /// A confirmation token that does not fit the request.
    #[error("{}", .0.message())]
    Confirmation(ConfirmRefusal),
    /// No bearer token where one is needed.
    #[error("send the access token as Authorization: Bearer TOKEN")]
    MissingToken,
    /// A wrong username or password (never saying which).
    #[error("the username or the password is wrong")]
    BadCredentials,
    /// A registered client's credentials are missing or wrong.
    #[error("authenticate with HTTP Basic: the name and secret of `jwtkeep client add`")]
    BadClient,
    /// The token is valid but lacks the scope (or the role behind it) needed here.
    #[error("{message}")]
    MissingScope {
        /// The scope the request needs.
        scope: &'static str,
        /// What is missing.
        message: &'static str,
    },
    /// Cookie mode: a state-changing request from an origin not allowed.
    #[error("in cookie mode a state-changing request must come from an allowed Origin")]
    OriginRefused,
    /// A request over plain HTTP where the service takes HTTPS only.
    #[error("this service takes requests over HTTPS only: call its https:// address (a proxy in front must send X-Forwarded-Proto: https)")]
    HttpsRequired,
    /// A CORS preflight from an origin not in `cors_origins`.
    #[error("this origin may not call the service from a browser: add it to cors_origins")]
    CorsOriginRefused,
    /// Too many attempts; try again after the given time.
    #[error("too many attempts; retry in {retry_after_secs} seconds")]
    RateLimited {
        /// Seconds until the window ends.
        retry_after_secs: i64,
    },
    /// The body is not what the endpoint takes.
    #[error("{}", .0.message())]
    BadBody(BadBody),
    /// A value in the request is not acceptable (400 `invalid_request`).
    #[error("{0}")]
    BadRequest(String),
    /// A field's value is refused (422 `invalid_request`).
    #[error("{0}")]
    InvalidField(String),
    /// A new password is too short or too long.
    #[error("{0}")]
    WeakPassword(PasswordError),
    /// A username outside the allowed characters or length.
    #[error("a username may hold only letters a-z, digits and . _ - + @ (1 to 254)")]
    InvalidUsername,
    /// A confirmation action that is not a short lowercase name.
    #[error("{0}")]
    InvalidAction(&'static str),
    /// The username is taken.
    #[error("a user with this name exists; choose another name")]
    UsernameTaken,
    /// No user has this id.
    #[error("no user has this id: see GET /v1/admin/users")]
    NoSuchUser,
    /// A scope that is malformed, reserved, or not granted (RFC 6749 §5.2 `invalid_scope`).
    #[error("{0}")]
    InvalidScope(String),
    /// A token request of a grant this service does not issue.
    #[error("grant_type must be client_credentials: users log in at /v1/auth/login")]
    UnsupportedGrantType,
    /// A key rotation through the API too soon after the last one.
    #[error(
        "the keys of this purpose were rotated a moment ago; retry in {retry_after_secs} seconds"
    )]
    RotationThrottled {
        /// Seconds to wait.
        retry_after_secs: i64,
    },
    /// Disabling the last enabled administrator.
    #[error("this is the last enabled administrator: make another administrator first")]
    LastAdministrator,
    /// Another rotation of the same keys is under way.
    #[error("another instance is rotating keys right now; retry in a minute")]
    RotationInProgress,
    /// No such endpoint.
    #[error("no such endpoint: see /openapi.json")]
    RouteNotFound,
    /// The endpoint does not take this method.
    #[error("this endpoint does not take that method: see /openapi.json")]
    MethodNotAllowed,
    /// The revocation view cannot vouch for its answer: verification fails closed.
    #[error("revocations cannot be checked right now; retry shortly")]
    RevocationsUnknown(ViewError),
    /// The store refused or failed.
    #[error("{0}")]
    Store(StoreError),
    /// Something the service needs (a signing key, the random generator, the
    /// password hasher) is not available: fail closed.
    #[error("{0} is unavailable; retry shortly")]
    Unavailable(&'static str),
    /// The request took longer than the service allows.
    #[error("the request took too long; retry shortly")]
    Timeout,
    /// The client did not send its whole request body in time.
    #[error("the request body did not arrive in time")]
    RequestTimeout,
    /// Every password worker is busy and the queue is full: refused at once.
    #[error("the service is checking too many passwords right now; retry shortly")]
    Busy,
}

/// How a refresh token's session ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionEnd {
    /// An already rotated token was presented again: the family is revoked.
    Reuse,
    /// The session was ended (logout, an administrator).
    Revoked,
    /// The session outlived its idle or absolute cap.
    Expired,
}

impl SessionEnd {
    fn code(self) -> &'static str {
        match self {
            SessionEnd::Reuse => "refresh_reuse",
            SessionEnd::Revoked => "session_revoked",
            SessionEnd::Expired => "session_expired",
        }
    }

    fn message(self) -> &'static str {
        match self {
            SessionEnd::Reuse => {
                "this refresh token was already used: the session has been ended; log in again"
            }
            SessionEnd::Revoked => "the session has been ended; log in again",
            SessionEnd::Expired => "the session has expired; log in again",
        }
    }
}

/// Why a confirmation token does not confirm this request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ConfirmRefusal {
    /// It was issued to another user.
    OtherSubject,
    /// It confirms another action.
    OtherAction,
    /// It has been used already.
    Used,
}

impl ConfirmRefusal {
    fn code(self) -> &'static str {
        match self {
            ConfirmRefusal::OtherSubject => "subject_mismatch",
            ConfirmRefusal::OtherAction => "action_mismatch",
            ConfirmRefusal::Used => "confirmation_used",
        }
    }

    fn message(self) -> &'static str {
        match self {
            ConfirmRefusal::OtherSubject => "this confirmation belongs to another user",
            ConfirmRefusal::OtherAction => {
                "this confirmation is for another action: ask for one for this action"
            }
            ConfirmRefusal::Used => "this confirmation was already used: ask for a new one",
        }
    }
}

/// What is wrong with a request body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BadBody {
    /// Not sent as `application/json`.
    NotJson,
    /// Not valid JSON.
    Syntax,
    /// Larger than the service accepts.
    TooLarge,
    /// Valid JSON without the expected fields; serde's words name the field, never the value.
    Fields(String),
    /// A body that may be empty was neither empty nor of this shape.
    NotEmptyOr(&'static str),
    /// A form body without the fields the endpoint needs; the message says which.
    Form(&'static str),
    /// The body could not be read at all.
    Unreadable,
}

impl BadBody {
    fn status(&self) -> StatusCode {
        match self {
            BadBody::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            BadBody::Syntax | BadBody::Form(_) | BadBody::Unreadable => StatusCode::BAD_REQUEST,
            BadBody::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            BadBody::Fields(_) | BadBody::NotEmptyOr(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }

    fn code(&self) -> &'static str {
        match self {
            BadBody::NotJson => "unsupported_media_type",
            BadBody::Syntax => "invalid_json",
            BadBody::TooLarge => "body_too_large",
            BadBody::Fields(_)
            | BadBody::NotEmptyOr(_)
            | BadBody::Form(_)
            | BadBody::Unreadable => "invalid_request",
        }
    }

    fn message(&self) -> String {
        match self {
            BadBody::NotJson => {
                "send the body as JSON with Content-Type: application/json".to_owned()
            }
            BadBody::Syntax => "the body is not valid JSON".to_owned(),
            BadBody::TooLarge => "the body is larger than the service accepts".to_owned(),
            BadBody::Fields(why) => format!("the JSON does not have the expected fields: {why}"),
            BadBody::NotEmptyOr(shape) => format!("the body must be empty or {shape}"),
            BadBody::Form(what) => (*what).to_owned(),
            BadBody::Unreadable => "the request body could not be read".to_owned(),
        }
    }
}

/// What `WWW-Authenticate` says for an error, if anything.
enum Challenge {
    /// `Bearer`: no credentials were sent (RFC 6750 §3.1: no error code then).
    Bearer,
    /// `Bearer error="invalid_token"`.
    InvalidToken,
    /// `Bearer error="insufficient_scope", scope="…"`.
    InsufficientScope(&'static str),
    /// `Basic realm="jwtkeep"`: a registered client's credentials.
    Basic,
}

impl ApiError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::TokenRefused { .. }
            | ApiError::TokenUnusable(_)
            | ApiError::Revoked { .. }
            | ApiError::SessionEnded(_)
            | ApiError::Confirmation(_)
            | ApiError::MissingToken
            | ApiError::BadCredentials
            | ApiError::BadClient => StatusCode::UNAUTHORIZED,
            ApiError::MissingScope { .. }
            | ApiError::OriginRefused
            | ApiError::CorsOriginRefused
            | ApiError::HttpsRequired => StatusCode::FORBIDDEN,
            ApiError::RateLimited { .. } | ApiError::RotationThrottled { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::BadBody(body) => body.status(),
            ApiError::BadRequest(_)
            | ApiError::InvalidScope(_)
            | ApiError::UnsupportedGrantType => StatusCode::BAD_REQUEST,
            ApiError::InvalidField(_)
            | ApiError::WeakPassword(_)
            | ApiError::InvalidUsername
            | ApiError::InvalidAction(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UsernameTaken
            | ApiError::RotationInProgress
            | ApiError::LastAdministrator => StatusCode::CONFLICT,
            ApiError::NoSuchUser | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            ApiError::Store(e) => store_status(e),
            ApiError::RevocationsUnknown(_)
            | ApiError::Unavailable(_)
            | ApiError::Timeout
            | ApiError::Busy => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    /// The stable `error` code of the body.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::TokenRefused { .. } | ApiError::TokenUnusable(_) => "invalid_token",
            ApiError::Revoked { reason, .. } => reason.code(),
            ApiError::SessionEnded(end) => end.code(),
            ApiError::Confirmation(refusal) => refusal.code(),
            ApiError::MissingToken => "missing_token",
            ApiError::BadCredentials => "invalid_credentials",
            ApiError::BadClient => "invalid_client",
            ApiError::MissingScope { .. } => "insufficient_scope",
            ApiError::OriginRefused => "origin_refused",
            ApiError::CorsOriginRefused => "origin_not_allowed",
            ApiError::HttpsRequired => "https_required",
            ApiError::RateLimited { .. } => "too_many_attempts",
            ApiError::RotationThrottled { .. } => "rotation_throttled",
            ApiError::BadBody(body) => body.code(),
            ApiError::BadRequest(_) | ApiError::InvalidField(_) => "invalid_request",
            ApiError::WeakPassword(_) => "weak_password",
            ApiError::InvalidUsername => "invalid_username",
            ApiError::InvalidAction(_) => "invalid_action",
            ApiError::UsernameTaken => "username_taken",
            ApiError::NoSuchUser => "no_such_user",
            ApiError::InvalidScope(_) => "invalid_scope",
            ApiError::UnsupportedGrantType => "unsupported_grant_type",
            ApiError::RotationInProgress => "rotation_in_progress",
            ApiError::LastAdministrator => "last_administrator",
            ApiError::RouteNotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::RevocationsUnknown(e) => e.code(),
            ApiError::Store(e) => store_code(e),
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Timeout => "timeout",
            ApiError::Busy => "busy",
            ApiError::RequestTimeout => "request_timeout",
        }
    }

    /// The sentence the client reads.
    pub fn message(&self) -> String {
        match self {
            ApiError::Store(e) => store_message(e).to_owned(),
            other => other.to_string(),
        }
    }

    /// The detail an operator needs, for failures on the service's side
    /// (logged once when the response is made); `None` for a client's mistake.
    pub fn server_detail(&self) -> Option<String> {
        match self {
            ApiError::Store(e) if store_status(e).is_server_error() => Some(e.to_string()),
            ApiError::RevocationsUnknown(e) => Some(e.to_string()),
            ApiError::Unavailable(what) => Some(format!("{what} is unavailable")),
            _ => None,
        }
    }

    fn challenge(&self) -> Option<Challenge> {
        match self {
            ApiError::MissingToken => Some(Challenge::Bearer),
            ApiError::TokenRefused { .. }
            | ApiError::TokenUnusable(_)
            | ApiError::Revoked { .. }
            | ApiError::SessionEnded(_)
            | ApiError::Confirmation(_) => Some(Challenge::InvalidToken),
            ApiError::MissingScope { scope, .. } => Some(Challenge::InsufficientScope(scope)),
            ApiError::BadClient => Some(Challenge::Basic),
            _ => None,
        }
    }

    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            ApiError::RateLimited { retry_after_secs }
            | ApiError::RotationThrottled { retry_after_secs } => {
                Some(u64::try_from(*retry_after_secs).unwrap_or(0).max(1))
            }
            _ if self.status() == StatusCode::SERVICE_UNAVAILABLE => {
                Some(RETRY_AFTER_UNAVAILABLE_SECS)
            }
            _ => None,
        }
    }
}

fn store_status(e: &StoreError) -> StatusCode {
    match e {
        StoreError::Invalid { .. } => StatusCode::BAD_REQUEST,
        StoreError::Conflict { .. } => StatusCode::CONFLICT,
        StoreError::NotFound { .. } => StatusCode::NOT_FOUND,
        StoreError::Corrupt { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        // Unavailable, and any kind a newer store adds: fail closed, retry later.
        _ => StatusCode::SERVICE_UNAVAILABLE,
    }
}

fn store_code(e: &StoreError) -> &'static str {
    match e {
        StoreError::Invalid { .. } => "invalid_request",
        StoreError::Conflict { .. } => "conflict",
        StoreError::NotFound { .. } => "not_found",
        StoreError::Corrupt { .. } => "store_corrupt",
        StoreError::Reset { .. } => "store_reset",
        _ => "unavailable",
    }
}

fn store_message(e: &StoreError) -> &'static str {
    match e {
        StoreError::Invalid { .. } => "a value in the request is not acceptable",
        StoreError::Conflict { .. } => "this already exists",
        StoreError::NotFound { .. } => "this does not exist",
        StoreError::Corrupt { .. } => {
            "the service's stored data cannot be read; its operator has been told"
        }
        StoreError::Reset { .. } => {
            "the service's store was reset and tokens cannot be checked; its operator has been told"
        }
        _ => "the store is unavailable; retry shortly",
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::Store(e)
    }
}

/// The detail of a server-side failure, left in the response's extensions
/// for the logging layer (which writes it once, with the request's route).
#[derive(Clone, Debug)]
pub(crate) struct ServerDetail {
    /// The error code the client saw.
    pub(crate) code: &'static str,
    /// What happened.
    pub(crate) detail: String,
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let code = self.code();
        let message = self.message();
        let body = if OAUTH_CODES.contains(&code) {
            // OAuth clients read RFC 6749 §5.2's `error_description`.
            serde_json::json!({"error": code, "message": message, "error_description": message})
        } else {
            serde_json::json!({"error": code, "message": message})
        };
        let mut response = (status, Json(body)).into_response();
        let headers = response.headers_mut();
        let challenge = match self.challenge() {
            Some(Challenge::Bearer) => Some(HeaderValue::from_static("Bearer")),
            Some(Challenge::InvalidToken) => {
                Some(HeaderValue::from_static("Bearer error=\"invalid_token\""))
            }
            Some(Challenge::InsufficientScope(scope)) => HeaderValue::from_str(&format!(
                "Bearer error=\"insufficient_scope\", scope=\"{scope}\""
            ))
            .ok(),
            Some(Challenge::Basic) => Some(HeaderValue::from_static("Basic realm=\"jwtkeep\"")),
            None => None,
        };
        if let Some(value) = challenge {
            headers.insert(header::WWW_AUTHENTICATE, value);
        }
        if let Some(secs) = self.retry_after_secs() {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(detail) = self.server_detail() {
            response
                .extensions_mut()
                .insert(ServerDetail { code, detail });
        }
        response
    }
}

#[cfg(test)]
mod tests;
