//! The guard in front of handlers: a tower [`Layer`] for axum routers (or
//! any tower service over axum bodies) and the [`Authenticated`] extractor.
//!
//! The middleware a JWT guide has every team write by hand — take the bearer
//! token, verify it, check the denylist, check the scopes, answer 401 or 403
//! as RFC 6750 says — in one line:
//!
//! ```ignore
//! let app = Router::new()
//!     .route("/orders", get(list_orders))
//!     .layer(GuardLayer::new(guard).require("/orders", &["orders:read"]));
//! ```

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, Request, Response, StatusCode};
use axum::response::IntoResponse;
use jwtkeep_core::{Claims, Verified};

use crate::{Guard, Refusal};

/// The scopes a path prefix needs; the first rule whose prefix matches applies.
#[derive(Clone, Debug)]
struct Rule {
    prefix: String,
    scopes: Vec<String>,
}

/// A [`tower::Layer`] that lets through only requests whose bearer token
/// the [`Guard`] accepts, with the scopes their path needs.
#[derive(Clone, Debug)]
pub struct GuardLayer {
    guard: Guard,
    rules: Arc<Vec<Rule>>,
}

impl GuardLayer {
    /// Every request needs a token `guard` accepts.
    pub fn new(guard: Guard) -> GuardLayer {
        GuardLayer {
            guard,
            rules: Arc::new(Vec::new()),
        }
    }

    /// Requests whose path starts with `prefix` (on a `/` boundary) need
    /// every one of `scopes` in the token's `scope` claim. Rules are tried
    /// in the order given; the first that matches applies.
    #[must_use]
    pub fn require(mut self, prefix: &str, scopes: &[&str]) -> GuardLayer {
        Arc::make_mut(&mut self.rules).push(Rule {
            prefix: prefix.trim_end_matches('/').to_owned(),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        });
        self
    }

    /// The scopes `path` needs.
    fn scopes_for(&self, path: &str) -> &[String] {
        self.rules
            .iter()
            .find(|rule| {
                path.strip_prefix(rule.prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
            })
            .map_or(&[], |rule| rule.scopes.as_slice())
    }
}

impl<S> tower::Layer<S> for GuardLayer {
    type Service = GuardService<S>;

    fn layer(&self, inner: S) -> GuardService<S> {
        GuardService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`GuardLayer`] wraps around the handlers.
#[derive(Clone, Debug)]
pub struct GuardService<S> {
    inner: S,
    layer: GuardLayer,
}

/// The verified claims of the request's token, for handlers: put there by
/// [`GuardLayer`]; a handler behind no guard that asks for it gets 401.
#[derive(Clone, Debug)]
pub struct Authenticated(pub Arc<Verified<Claims>>);

impl Authenticated {
    /// The token's claims.
    pub fn claims(&self) -> &Claims {
        self.0.payload()
    }

    /// The scopes of the token's `scope` claim (RFC 9068: space-separated).
    pub fn scopes(&self) -> Vec<String> {
        scopes_of(self.claims())
    }
}

/// The scopes of a `scope` claim (space-separated, RFC 9068).
pub(crate) fn scopes_of(claims: &Claims) -> Vec<String> {
    claims
        .get_str("scope")
        .map(|s| {
            s.split(' ')
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl<S: Send + Sync> FromRequestParts<S> for Authenticated {
    type Rejection = Response<Body>;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Authenticated>()
            .cloned()
            .ok_or_else(|| refusal(&Denied::MissingToken))
    }
}

/// Why a request was not let through.
pub(crate) enum Denied {
    MissingToken,
    Refused(Refusal),
    MissingScope(String),
    /// The request cannot be judged: (code, why).
    Unclear(&'static str, &'static str),
}

/// The answer RFC 6750 asks for: 401 with a `Bearer` challenge (and
/// `error="invalid_token"` when a token was sent), 403 `insufficient_scope`
/// with the scopes needed, 503 when tokens cannot be checked; the body is
/// `{"error": CODE, "message": …}` as the service's own.
pub(crate) fn refusal(denied: &Denied) -> Response<Body> {
    let (status, code, message, challenge) = match denied {
        Denied::MissingToken => (
            StatusCode::UNAUTHORIZED,
            "missing_token",
            "send the access token as Authorization: Bearer TOKEN".to_owned(),
            "Bearer".to_owned(),
        ),
        Denied::Refused(Refusal::Unavailable(_)) => (
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "tokens cannot be checked right now; retry shortly".to_owned(),
            String::new(),
        ),
        Denied::Refused(refused) => (
            StatusCode::UNAUTHORIZED,
            refused.code(),
            refused.to_string(),
            "Bearer error=\"invalid_token\"".to_owned(),
        ),
        Denied::MissingScope(scopes) => (
            StatusCode::FORBIDDEN,
            "insufficient_scope",
            format!("this needs the scopes {scopes}"),
            format!("Bearer error=\"insufficient_scope\", scope=\"{scopes}\""),
        ),
        Denied::Unclear(code, why) => (
            StatusCode::FORBIDDEN,
            *code,
            (*why).to_owned(),
            String::new(),
        ),
    };
    let body = serde_json::json!({"error": code, "message": message});
    let mut response = (status, axum::Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&challenge) {
        if !challenge.is_empty() {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, value);
        }
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    response
}

/// The bearer token of a request, if it sent one.
pub(crate) fn bearer(headers: &axum::http::HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

impl<S> tower::Service<Request<Body>> for GuardService<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = S::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Body>, S::Error>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<Body>) -> Self::Future {
        // The clone that was made ready is the one that serves this request.
        let ready = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, ready);
        let layer = self.layer.clone();
        Box::pin(async move {
            let Some(token) = bearer(request.headers()) else {
                return Ok(refusal(&Denied::MissingToken));
            };
            let verified = match layer.guard.verify_now(&token).await {
                Ok(verified) => verified,
                Err(refused) => return Ok(refusal(&Denied::Refused(refused))),
            };
            let needed = layer.scopes_for(request.uri().path());
            if !needed.is_empty() {
                let held = scopes_of(verified.payload());
                if !needed.iter().all(|s| held.contains(s)) {
                    return Ok(refusal(&Denied::MissingScope(needed.join(" "))));
                }
            }
            request.extensions_mut().insert(Authenticated(verified));
            inner.call(request).await
        })
    }
}
