//! One row per error: status, code, headers, body, and whether the operator is told.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

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
        ApiError::InvalidScope(_) => "InvalidScope",
        ApiError::UnsupportedGrantType => "UnsupportedGrantType",
        ApiError::MissingScope { .. } => "MissingScope",
        ApiError::OriginRefused => "OriginRefused",
        ApiError::CorsOriginRefused => "CorsOriginRefused",
        ApiError::HttpsRequired => "HttpsRequired",
        ApiError::RateLimited { .. } => "RateLimited",
        ApiError::RotationThrottled { .. } => "RotationThrottled",
        ApiError::BadBody(_) => "BadBody",
        ApiError::BadRequest(_) => "BadRequest",
        ApiError::InvalidField(_) => "InvalidField",
        ApiError::WeakPassword(_) => "WeakPassword",
        ApiError::InvalidUsername => "InvalidUsername",
        ApiError::InvalidAction(_) => "InvalidAction",
        ApiError::UsernameTaken => "UsernameTaken",
        ApiError::NoSuchUser => "NoSuchUser",
        ApiError::RotationInProgress => "RotationInProgress",
        ApiError::LastAdministrator => "LastAdministrator",
        ApiError::RouteNotFound => "RouteNotFound",
        ApiError::MethodNotAllowed => "MethodNotAllowed",
        ApiError::RevocationsUnknown(_) => "RevocationsUnknown",
        ApiError::Store(_) => "Store",
        ApiError::Unavailable(_) => "Unavailable",
        ApiError::Timeout => "Timeout",
        ApiError::Busy => "Busy",
        ApiError::RequestTimeout => "RequestTimeout",
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
            ApiError::CorsOriginRefused,
            403,
            "origin_not_allowed",
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
            ApiError::RevocationsUnknown(ViewError::StoreReset {
                reason: "the store has lost its identity".into(),
            }),
            503,
            "store_reset",
            None,
            Some("1"),
            true,
        ),
        (
            store(StoreError::Reset {
                reason: "the store has lost its identity".into(),
            }),
            503,
            "store_reset",
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
        (
            ApiError::RotationThrottled {
                retry_after_secs: 60,
            },
            429,
            "rotation_throttled",
            None,
            Some("60"),
            false,
        ),
        (ApiError::Busy, 503, "busy", None, Some("1"), false),
        (
            ApiError::RequestTimeout,
            408,
            "request_timeout",
            None,
            None,
            false,
        ),
        (
            ApiError::InvalidScope("orders:delete is not granted".to_owned()),
            400,
            "invalid_scope",
            None,
            None,
            false,
        ),
        (
            ApiError::UnsupportedGrantType,
            400,
            "unsupported_grant_type",
            None,
            None,
            false,
        ),
        (
            ApiError::HttpsRequired,
            403,
            "https_required",
            None,
            None,
            false,
        ),
        (
            ApiError::LastAdministrator,
            409,
            "last_administrator",
            None,
            None,
            false,
        ),
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
        let oauth = OAUTH_CODES.contains(&code);
        assert_eq!(
            body.as_object().unwrap().len(),
            2 + usize::from(oauth),
            "{what}"
        );
        if oauth {
            assert_eq!(body["error_description"], message.as_str(), "{what}");
        }
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
        "InvalidScope",
        "UnsupportedGrantType",
        "MissingScope",
        "OriginRefused",
        "CorsOriginRefused",
        "HttpsRequired",
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
        "Busy",
        "RotationThrottled",
        "LastAdministrator",
        "RequestTimeout",
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
