//! The routes.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::{middleware, Json, Router};
use jwtkeep_store::Store;

use crate::purpose::{Purpose, PURPOSES};
use crate::{admin, confirm, cookies, headers, oauth, session, ApiError, AppState};

/// The application: every route, the security headers, the body limit and the timeout.
pub(crate) fn router<S: Store>(state: Arc<AppState<S>>) -> Router {
    let timeout = state.config.request_timeout;
    let body_limit = state.config.body_limit_bytes;
    let cookie_mode = state.config.cookie_mode;
    let mut origins = if state.config.allowed_origins.is_empty() {
        vec![state.config.issuer_origin()]
    } else {
        state.config.allowed_origins.clone()
    };
    origins.extend(state.config.cors_origins.iter().cloned());
    let origins: Arc<[String]> = Arc::from(origins);
    let cors = (!state.config.cors_origins.is_empty()).then(|| {
        Arc::new(crate::cors::Cors {
            origins: state.config.cors_origins.clone(),
            credentials: cookie_mode,
        })
    });
    let routes = Router::new()
        .route("/", get(generator_page))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz::<S>))
        .route("/.well-known/jwks.json", get(jwks::<S>))
        .route(
            "/.well-known/oauth-authorization-server",
            get(crate::token::metadata::<S>),
        )
        .route(
            "/.well-known/openid-configuration",
            get(crate::token::metadata::<S>),
        )
        .route("/openapi.json", get(openapi))
        .route("/v1/auth/login", post(session::login::<S>))
        .route("/v1/auth/me", get(session::me::<S>))
        .route("/v1/auth/refresh", post(session::refresh::<S>))
        .route("/v1/auth/logout", post(session::logout::<S>))
        .route("/v1/auth/password", post(crate::account::change::<S>))
        .route("/v1/auth/confirm", post(confirm::issue::<S>))
        .route("/v1/auth/confirm/verify", post(confirm::verify::<S>))
        .route("/oauth2/token", post(crate::token::token::<S>))
        .route("/oauth2/introspect", post(oauth::introspect::<S>))
        .route("/oauth2/revoke", post(oauth::revoke::<S>))
        .route("/v1/revocations", get(crate::feed::revocations::<S>))
        .route("/v1/revocations/stream", get(crate::feed::stream::<S>))
        .route(
            "/v1/admin/users",
            post(admin::create::<S>).get(admin::list::<S>),
        )
        .route("/v1/admin/users/{id}", delete(admin::remove::<S>))
        .route("/v1/admin/users/{id}/scopes", put(admin::scopes::<S>))
        .route("/v1/admin/users/{id}/disable", post(admin::disable::<S>))
        .route("/v1/admin/users/{id}/enable", post(admin::enable::<S>))
        .route("/v1/admin/users/{id}/revoke", post(admin::revoke::<S>))
        .route("/v1/admin/users/{id}/password", post(admin::password::<S>))
        .route("/v1/admin/revoke-all", post(admin::revoke_all::<S>))
        .route("/v1/admin/keys/rotate", post(admin::rotate_keys::<S>))
        .route("/v1/admin/events", get(admin::events::<S>))
        .route("/metrics", get(metrics::<S>))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit));
    let routes = if cookie_mode {
        routes.layer(middleware::from_fn(move |request, next| {
            cookies::require_origin(Arc::clone(&origins), request, next)
        }))
    } else {
        routes
    };
    let routes = routes
        .layer(middleware::from_fn(move |request, next| {
            headers::timeout(timeout, request, next)
        }))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            headers::log_server_errors::<S>,
        ))
        .layer(middleware::from_fn_with_state(
            Arc::clone(&state),
            crate::https::https_policy::<S>,
        ))
        .layer(middleware::from_fn(headers::security_headers));
    // Outermost, so that every answer (errors included) is marked.
    let routes = match cors {
        Some(cors) => routes.layer(middleware::from_fn(move |request, next| {
            crate::cors::cors(Arc::clone(&cors), request, next)
        })),
        None => routes,
    };
    routes.with_state(state)
}

/// The page's own policy (its meta tag: hashes of its one script and one
/// style, no connections), sent as a header too, with what only a header can
/// say: no framing.
fn page_policy() -> &'static str {
    static POLICY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    POLICY.get_or_init(|| {
        let marker = "http-equiv=\"Content-Security-Policy\" content=\"";
        let meta = crate::GENERATOR_PAGE
            .split_once(marker)
            .and_then(|(_, rest)| rest.split_once('"'))
            .map_or("default-src 'none'", |(policy, _)| policy);
        format!("{meta}; frame-ancestors 'none'")
    })
}

/// `GET /`: the secret generator, generating in the browser only.
async fn generator_page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CONTENT_SECURITY_POLICY, page_policy()),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        crate::GENERATOR_PAGE,
    )
        .into_response()
}

async fn healthz() -> Json<serde_json::Value> {
    Json(serde_json::json!({"status": "ok"}))
}

async fn readyz<S: Store>(State(state): State<Arc<AppState<S>>>) -> Response {
    let now = (state.clock)();
    if state.store.ping().await.is_err() {
        return ApiError::Unavailable("the store").into_response();
    }
    // Not ready while tokens cannot be checked: the store reset, the
    // revocations not loaded or stale.
    if let Err(e) = state.view.usable() {
        return ApiError::RevocationsUnknown(e).into_response();
    }
    if !state.keys.ready(now) {
        return ApiError::Unavailable("a signing key").into_response();
    }
    Json(serde_json::json!({"status": "ready", "store": state.store.backend()})).into_response()
}

async fn jwks<S: Store>(State(state): State<Arc<AppState<S>>>) -> Response {
    let now = (state.clock)();
    // Never cached past the moment the next key is published.
    let max_age = state.keys.jwks_max_age(now);
    let mut response = Json(state.keys.jwks(now)).into_response();
    if let Ok(value) = format!("public, max-age={max_age}").parse() {
        response.headers_mut().insert(header::CACHE_CONTROL, value);
    }
    response
}

async fn metrics<S: Store>(State(state): State<Arc<AppState<S>>>) -> Response {
    let now = (state.clock)();
    let ages: Vec<(Purpose, Option<i64>)> = PURPOSES
        .into_iter()
        .map(|p| (p, state.keys.active_key_age(p, now)))
        .collect();
    let mut body = state.metrics.render(&ages);
    body.push_str("# HELP jwtkeep_verified_tokens_cached Access tokens whose signature was checked and is not checked again.\n");
    body.push_str("# TYPE jwtkeep_verified_tokens_cached gauge\n");
    body.push_str(&format!(
        "jwtkeep_verified_tokens_cached {}\n",
        state.verified.len()
    ));
    if let Some(tls) = &state.config.tls {
        body.push_str(&tls.render_metrics());
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body).into_response()
}

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

async fn not_found() -> ApiError {
    ApiError::RouteNotFound
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
