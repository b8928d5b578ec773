//! Request extractors whose every rejection is a JSON error with a 4xx status.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use jwtkeep_store::Store;
use serde::de::DeserializeOwned;

use crate::cookies::{cookie, ACCESS_COOKIE};
use crate::error::BadBody;
use crate::proxies::client_address;
use crate::{ApiError, AppState};

/// A JSON object body; malformed JSON, anything but an object, a content
/// type other than JSON in UTF-8, missing or unknown fields and an oversized
/// body are 4xx errors in the API's shape.
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        if !is_json_utf8(request.headers()) {
            return Err(ApiError::BadBody(BadBody::NotJson));
        }
        let body = Bytes::from_request(request, state)
            .await
            .map_err(|_| ApiError::BadBody(BadBody::TooLarge))?;
        json_object(&body).map(ApiJson)
    }
}

/// `application/json` (or a `+json` type), in UTF-8 if a charset is named:
/// RFC 8259 JSON between systems is UTF-8, and a body declared otherwise is
/// refused rather than read as something it is not.
fn is_json_utf8(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut parts = value.split(';');
    let essence = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
    let json = essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"));
    json && parts.all(|parameter| match parameter.split_once('=') {
        Some((name, value)) if name.trim().eq_ignore_ascii_case("charset") => {
            value.trim().trim_matches('"').eq_ignore_ascii_case("utf-8")
        }
        _ => true,
    })
}

/// `body` read as `T`, which must be written as a JSON object (serde would
/// also take an array for a struct; the document says object).
fn json_object<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return Err(ApiError::BadBody(
            if serde_json::from_slice::<serde::de::IgnoredAny>(body).is_ok() {
                BadBody::Fields("the body must be a JSON object".to_owned())
            } else {
                BadBody::Syntax
            },
        ));
    }
    serde_json::from_slice(body).map_err(|e| {
        ApiError::BadBody(match e.classify() {
            serde_json::error::Category::Data => BadBody::Fields(e.to_string()),
            _ => BadBody::Syntax,
        })
    })
}

/// The client's address: the socket's peer, or what the trusted proxies in
/// front of the service report (never a header an untrusted peer sent).
pub(crate) struct ClientAddr(pub(crate) Option<IpAddr>);

impl<S: Store> FromRequestParts<Arc<AppState<S>>> for ClientAddr {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, ApiError> {
        Ok(ClientAddr(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(addr)| {
                    client_address(addr.ip(), &parts.headers, &state.config.trusted_proxies)
                }),
        ))
    }
}

/// The access token: the `Authorization: Bearer` header's or, in cookie
/// mode and without that header, the access cookie's.
pub(crate) struct Bearer(pub(crate) String);

impl<S: Store> FromRequestParts<Arc<AppState<S>>> for Bearer {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState<S>>,
    ) -> Result<Self, ApiError> {
        let Some(value) = parts.headers.get(header::AUTHORIZATION) else {
            return state
                .config
                .cookie_mode
                .then(|| cookie(&parts.headers, ACCESS_COOKIE))
                .flatten()
                .map(|token| Bearer(token.to_owned()))
                .ok_or(ApiError::MissingToken);
        };
        match value.to_str().unwrap_or_default().split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                Ok(Bearer(token.trim().to_owned()))
            }
            _ => Err(ApiError::MissingToken),
        }
    }
}

/// A body that may be empty (then `T::default()`) or JSON of `T`; `shape`
/// says what the JSON may hold, for the 422.
pub(crate) fn optional_json<T: DeserializeOwned + Default>(
    body: &[u8],
    shape: &'static str,
) -> Result<T, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    json_object(body).map_err(|_| ApiError::BadBody(BadBody::NotEmptyOr(shape)))
}

/// For an optional member that, when present, must be a string: `null` is
/// refused rather than read as absent, as the OpenAPI document says.
pub(crate) fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    <String as serde::Deserialize>::deserialize(d).map(Some)
}
