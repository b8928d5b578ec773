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
    /// Too many attempts; try again after the given time.
    #[error("too many login attempts; retry in {retry_after_secs} seconds")]
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
            ApiError::MissingScope { .. } | ApiError::OriginRefused => StatusCode::FORBIDDEN,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::BadBody(body) => body.status(),
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::InvalidField(_)
            | ApiError::WeakPassword(_)
            | ApiError::InvalidUsername
            | ApiError::InvalidAction(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UsernameTaken | ApiError::RotationInProgress => StatusCode::CONFLICT,
            ApiError::NoSuchUser | ApiError::RouteNotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Store(e) => store_status(e),
            ApiError::RevocationsUnknown(_) | ApiError::Unavailable(_) | ApiError::Timeout => {
                StatusCode::SERVICE_UNAVAILABLE
            }
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
            ApiError::RateLimited { .. } => "too_many_attempts",
            ApiError::BadBody(body) => body.code(),
            ApiError::BadRequest(_) | ApiError::InvalidField(_) => "invalid_request",
            ApiError::WeakPassword(_) => "weak_password",
            ApiError::InvalidUsername => "invalid_username",
            ApiError::InvalidAction(_) => "invalid_action",
            ApiError::UsernameTaken => "username_taken",
            ApiError::NoSuchUser => "no_such_user",
            ApiError::RotationInProgress => "rotation_in_progress",
            ApiError::RouteNotFound => "not_found",
            ApiError::MethodNotAllowed => "method_not_allowed",
            ApiError::RevocationsUnknown(e) => e.code(),
            ApiError::Store(e) => store_code(e),
            ApiError::Unavailable(_) => "unavailable",
            ApiError::Timeout => "timeout",
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
            ApiError::RateLimited { retry_after_secs } => {
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
        let body = serde_json::json!({"error": code, "message": self.message()});
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
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// Every variant, so that a new one cannot be added without a row below.
    fn variant_name(e: &ApiError) -> &'static str {
        match e {
            ApiError::TokenRefused { .. } => "TokenRefused",
            ApiError::TokenUnusable(_) => "TokenUnusable",
            ApiError::Revoked { .. } => "Revoked",
            ApiError::SessionEnded(_) => "SessionEnded",
            ApiError::Confirmation(_) => "Confirmation",
            ApiError::MissingToken => "MissingToken",
            ApiError::BadCredentials => "BadCredentials",
            ApiError::BadClient => "BadClient",
            ApiError::MissingScope { .. } => "MissingScope",
            ApiError::OriginRefused => "OriginRefused",
            ApiError::RateLimited { .. } => "RateLimited",
            ApiError::BadBody(_) => "BadBody",
            ApiError::BadRequest(_) => "BadRequest",
            ApiError::InvalidField(_) => "InvalidField",
            ApiError::WeakPassword(_) => "WeakPassword",
            ApiError::InvalidUsername => "InvalidUsername",
            ApiError::InvalidAction(_) => "InvalidAction",
            ApiError::UsernameTaken => "UsernameTaken",
            ApiError::NoSuchUser => "NoSuchUser",
            ApiError::RotationInProgress => "RotationInProgress",
            ApiError::RouteNotFound => "RouteNotFound",
            ApiError::MethodNotAllowed => "MethodNotAllowed",
            ApiError::RevocationsUnknown(_) => "RevocationsUnknown",
            ApiError::Store(_) => "Store",
            ApiError::Unavailable(_) => "Unavailable",
            ApiError::Timeout => "Timeout",
        }
    }

    const INVALID_TOKEN: Option<&str> = Some("Bearer error=\"invalid_token\"");

    /// (error, status, code, WWW-Authenticate, Retry-After, logged for the operator)
    type Row = (
        ApiError,
        u16,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        bool,
    );

    fn table() -> Vec<Row> {
        let store = |e: StoreError| ApiError::Store(e);
        vec![
            (
                ApiError::TokenRefused {
                    purpose: Purpose::Access,
                    reason: VerifyError::Malformed,
                },
                401,
                "invalid_token",
                INVALID_TOKEN,
                None,
                false,
            ),
            (
                ApiError::TokenUnusable("the refresh token lacks its family"),
                401,
                "invalid_token",
                INVALID_TOKEN,
                None,
                false,
            ),
            (
                ApiError::Revoked {
                    reason: Revoked::Token,
                    message: "revoked",
                },
                401,
                "token_revoked",
                INVALID_TOKEN,
                None,
                false,
            ),
            (
                ApiError::Revoked {
                    reason: Revoked::Subject,
                    message: "revoked",
                },
                401,
                "subject_revoked",
                INVALID_TOKEN,
                None,
                false,
            ),
            (
                ApiError::Revoked {
                    reason: Revoked::All,
                    message: "revoked",
                },
                401,
                "all_revoked",
                INVALID_TOKEN,
                None,
                false,
            ),
            (
                ApiError::SessionEnded(SessionEnd::Reuse),
                401,
                "refresh_reuse",
                INVALID_TOKEN,
                None,
                false,
            ),
            (
                ApiError::SessionEnded(SessionEnd::Revoked),
                401,
                "session_revoked",
                INVALID_TOKEN,
                None,
                false,
            ),
            (
                ApiError::SessionEnded(SessionEnd::Expired),
                401,
                "session_expired",
                INVALID_TOKEN,
                None,
                false,
            ),
            (
                ApiError::Confirmation(ConfirmRefusal::OtherSubject),
                401,
                "subject_mismatch",
                INVALID_TOKEN,
                None,
                false,
            ),
            (
                ApiError::Confirmation(ConfirmRefusal::OtherAction),
                401,
                "action_mismatch",
                INVALID_TOKEN,
                None,
                false,
            ),
            (
                ApiError::Confirmation(ConfirmRefusal::Used),
                401,
                "confirmation_used",
                INVALID_TOKEN,
                None,
                false,
            ),
            (
                ApiError::MissingToken,
                401,
                "missing_token",
                Some("Bearer"),
                None,
                false,
            ),
            (
                ApiError::BadCredentials,
                401,
                "invalid_credentials",
                None,
                None,
                false,
            ),
            (
                ApiError::BadClient,
                401,
                "invalid_client",
                Some("Basic realm=\"jwtkeep\""),
                None,
                false,
            ),
            (
                ApiError::MissingScope {
                    scope: "admin",
                    message: "this needs an administrator's access token",
                },
                403,
                "insufficient_scope",
                Some("Bearer error=\"insufficient_scope\", scope=\"admin\""),
                None,
                false,
            ),
            (
                ApiError::OriginRefused,
                403,
                "origin_refused",
                None,
                None,
                false,
            ),
            (
                ApiError::RateLimited {
                    retry_after_secs: 42,
                },
                429,
                "too_many_attempts",
                None,
                Some("42"),
                false,
            ),
            (
                ApiError::BadBody(BadBody::NotJson),
                415,
                "unsupported_media_type",
                None,
                None,
                false,
            ),
            (
                ApiError::BadBody(BadBody::Syntax),
                400,
                "invalid_json",
                None,
                None,
                false,
            ),
            (
                ApiError::BadBody(BadBody::TooLarge),
                413,
                "body_too_large",
                None,
                None,
                false,
            ),
            (
                ApiError::BadBody(BadBody::Fields("missing field `password`".into())),
                422,
                "invalid_request",
                None,
                None,
                false,
            ),
            (
                ApiError::BadBody(BadBody::NotEmptyOr("{}")),
                422,
                "invalid_request",
                None,
                None,
                false,
            ),
            (
                ApiError::BadBody(BadBody::Form("send token=...")),
                400,
                "invalid_request",
                None,
                None,
                false,
            ),
            (
                ApiError::BadBody(BadBody::Unreadable),
                400,
                "invalid_request",
                None,
                None,
                false,
            ),
            (
                ApiError::BadRequest("the query takes since".into()),
                400,
                "invalid_request",
                None,
                None,
                false,
            ),
            (
                ApiError::InvalidField("purpose must be access".into()),
                422,
                "invalid_request",
                None,
                None,
                false,
            ),
            (
                ApiError::WeakPassword(PasswordError::Length),
                422,
                "weak_password",
                None,
                None,
                false,
            ),
            (
                ApiError::InvalidUsername,
                422,
                "invalid_username",
                None,
                None,
                false,
            ),
            (
                ApiError::InvalidAction("action must be"),
                422,
                "invalid_action",
                None,
                None,
                false,
            ),
            (
                ApiError::UsernameTaken,
                409,
                "username_taken",
                None,
                None,
                false,
            ),
            (ApiError::NoSuchUser, 404, "no_such_user", None, None, false),
            (
                ApiError::RotationInProgress,
                409,
                "rotation_in_progress",
                None,
                None,
                false,
            ),
            (ApiError::RouteNotFound, 404, "not_found", None, None, false),
            (
                ApiError::MethodNotAllowed,
                405,
                "method_not_allowed",
                None,
                None,
                false,
            ),
            (
                ApiError::RevocationsUnknown(ViewError::NotLoaded),
                503,
                "revocations_not_loaded",
                None,
                Some("1"),
                true,
            ),
            (
                ApiError::RevocationsUnknown(ViewError::Stale {
                    age_ms: 9000,
                    bound_ms: 5000,
                    reason: "down".into(),
                }),
                503,
                "revocations_stale",
                None,
                Some("1"),
                true,
            ),
            (
                store(StoreError::Unavailable {
                    backend: "redis",
                    reason: "no answer in time".into(),
                }),
                503,
                "unavailable",
                None,
                Some("1"),
                true,
            ),
            (
                store(StoreError::Conflict { what: "username" }),
                409,
                "conflict",
                None,
                None,
                false,
            ),
            (
                store(StoreError::NotFound { what: "user" }),
                404,
                "not_found",
                None,
                None,
                false,
            ),
            (
                store(StoreError::Invalid {
                    what: "jti",
                    reason: "must be 1 to 256 bytes".into(),
                }),
                400,
                "invalid_request",
                None,
                None,
                false,
            ),
            (
                store(StoreError::Corrupt {
                    reason: "schema 9".into(),
                }),
                500,
                "store_corrupt",
                None,
                None,
                true,
            ),
            (
                ApiError::Unavailable("a signing key"),
                503,
                "unavailable",
                None,
                Some("1"),
                true,
            ),
            (ApiError::Timeout, 503, "timeout", None, Some("1"), false),
        ]
    }

    #[tokio::test]
    async fn every_error_has_its_status_code_headers_and_body() {
        let mut seen = std::collections::BTreeSet::new();
        for (error, status, code, challenge, retry_after, logged) in table() {
            seen.insert(variant_name(&error));
            let message = error.message();
            let response = error.into_response();
            let what = format!("{code} ({status})");
            assert_eq!(response.status().as_u16(), status, "{what}");
            let header = |name| {
                response
                    .headers()
                    .get(name)
                    .map(|v: &HeaderValue| v.to_str().unwrap().to_owned())
            };
            assert_eq!(
                header(header::WWW_AUTHENTICATE).as_deref(),
                challenge,
                "{what}"
            );
            assert_eq!(
                header(header::RETRY_AFTER).as_deref(),
                retry_after,
                "{what}"
            );
            assert_eq!(
                response.extensions().get::<ServerDetail>().is_some(),
                logged,
                "{what}"
            );
            let body = axum::body::to_bytes(response.into_body(), 4096)
                .await
                .unwrap();
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(body["error"], code, "{what}");
            assert_eq!(body["message"], message.as_str(), "{what}");
            assert!(!message.is_empty(), "{what}");
            assert_eq!(body.as_object().unwrap().len(), 2, "{what}");
        }
        let all = [
            "TokenRefused",
            "TokenUnusable",
            "Revoked",
            "SessionEnded",
            "Confirmation",
            "MissingToken",
            "BadCredentials",
            "BadClient",
            "MissingScope",
            "OriginRefused",
            "RateLimited",
            "BadBody",
            "BadRequest",
            "InvalidField",
            "WeakPassword",
            "InvalidUsername",
            "InvalidAction",
            "UsernameTaken",
            "NoSuchUser",
            "RotationInProgress",
            "RouteNotFound",
            "MethodNotAllowed",
            "RevocationsUnknown",
            "Store",
            "Unavailable",
            "Timeout",
        ];
        assert_eq!(seen, all.into_iter().collect(), "every variant has a row");
    }

    #[test]
    fn server_side_details_never_reach_the_client() {
        let e = ApiError::Store(StoreError::Unavailable {
            backend: "redis",
            reason: "connection refused at 10.0.0.7".into(),
        });
        assert!(!e.message().contains("10.0.0.7"));
        assert!(e.server_detail().unwrap().contains("10.0.0.7"));
    }
}
