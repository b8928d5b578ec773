//! Request extractors whose every rejection is a JSON error with a 4xx status.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header;
use axum::http::request::Parts;
use jwtkeep_store::Store;
use serde::de::DeserializeOwned;

use crate::cookies::{cookie, ACCESS_COOKIE};
use crate::error::BadBody;
use crate::proxies::client_address;
use crate::{ApiError, AppState};

/// A JSON body; malformed JSON, a wrong content type, missing or unknown
/// fields and an oversized body are 4xx errors in the API's shape.
pub(crate) struct ApiJson<T>(pub(crate) T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(ApiJson(value)),
            Err(rejection) => Err(ApiError::BadBody(match rejection {
                JsonRejection::MissingJsonContentType(_) => BadBody::NotJson,
                JsonRejection::JsonDataError(e) => BadBody::Fields(e.body_text()),
                JsonRejection::JsonSyntaxError(_) => BadBody::Syntax,
                JsonRejection::BytesRejection(_) => BadBody::TooLarge,
                _ => BadBody::Unreadable,
            })),
        }
    }
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
    serde_json::from_slice(body).map_err(|_| ApiError::BadBody(BadBody::NotEmptyOr(shape)))
}
