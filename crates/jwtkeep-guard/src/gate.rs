//! Forward authentication for the proxies teams already run (nginx
//! `auth_request`, Caddy `forward_auth`, Traefik `forwardAuth`, Envoy
//! `ext_authz`): the proxy asks `/verify` about each request before passing
//! it on; the gate answers 200 with the caller's identity as headers, or
//! 401 / 403 as RFC 6750 says, after the same checks as the guard.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{any, get};
use axum::Router;
use serde::Deserialize;

use crate::layer::{refusal, scopes_of, Denied};
use crate::Guard;

/// One rule: requests whose path starts with `path_prefix` (on a `/`
/// boundary), and whose method is one of `methods` when given, are public,
/// or need every scope of `scopes`.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    /// The path prefix (`/orders`).
    pub path_prefix: String,
    /// The methods the rule covers (`["POST", "DELETE"]`); all when absent.
    #[serde(default)]
    pub methods: Option<Vec<String>>,
    /// The scopes a token must hold, every one.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// No token needed.
    #[serde(default)]
    pub public: bool,
}

impl Rule {
    fn matches(&self, method: &str, path: &str) -> bool {
        let prefix = self.path_prefix.trim_end_matches('/');
        let on_boundary = path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/') || prefix.is_empty());
        on_boundary
            && self
                .methods
                .as_ref()
                .is_none_or(|methods| methods.iter().any(|m| m.eq_ignore_ascii_case(method)))
    }
}

/// Why a set of rules is refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("rule {index} ({path_prefix}): {reason}")]
pub struct RuleError {
    /// Its position, from 1.
    pub index: usize,
    /// Its path prefix.
    pub path_prefix: String,
    /// What is wrong.
    pub reason: &'static str,
}

/// Checks rules before the gate serves them: a prefix must be a path, a
/// public rule cannot ask for scopes, methods must be named.
pub fn check_rules(rules: &[Rule]) -> Result<(), RuleError> {
    for (i, rule) in rules.iter().enumerate() {
        let fail = |reason| RuleError {
            index: i + 1,
            path_prefix: rule.path_prefix.clone(),
            reason,
        };
        if !rule.path_prefix.starts_with('/') {
            return Err(fail("path_prefix must start with /"));
        }
        if rule.public && !rule.scopes.is_empty() {
            return Err(fail("a public rule cannot also require scopes"));
        }
        if rule.methods.as_ref().is_some_and(|m| {
            m.is_empty() || m.iter().any(|m| Method::from_bytes(m.as_bytes()).is_err())
        }) {
            return Err(fail("methods must name HTTP methods (GET, POST, ...)"));
        }
    }
    Ok(())
}

struct Gate {
    guard: Guard,
    rules: Vec<Rule>,
}

/// The gate's routes: `/verify` (any method, and with the original path
/// appended, Envoy's way), `/healthz`, `/readyz`, `/metrics`.
pub fn router(guard: Guard, rules: Vec<Rule>) -> Result<Router, RuleError> {
    check_rules(&rules)?;
    let gate = Arc::new(Gate { guard, rules });
    Ok(Router::new()
        .route("/verify", any(verify))
        .route("/verify/{*rest}", any(verify))
        .route(
            "/healthz",
            get(|| async { axum::Json(serde_json::json!({"status": "ok"})) }),
        )
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .with_state(gate))
}

async fn metrics(State(gate): State<Arc<Gate>>) -> Response<Body> {
    let mut response = gate.guard.metrics().await.into_response();
    response.headers_mut().insert(
        axum::http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4"),
    );
    response
}

async fn readyz(State(gate): State<Arc<Gate>>) -> Response<Body> {
    match gate.guard.ready() {
        Ok(()) => axum::Json(serde_json::json!({"status": "ready"})).into_response(),
        Err(refused) => refusal(&Denied::Refused(refused)),
    }
}

/// The original request's method and path, as the proxy reports them.
fn original(request: &Request<Body>) -> (String, String) {
    let headers = request.headers();
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let method = header("x-original-method")
        .or_else(|| header("x-forwarded-method"))
        .unwrap_or_else(|| request.method().as_str().to_owned());
    let uri = header("x-original-uri")
        .or_else(|| header("x-forwarded-uri"))
        .or_else(|| {
            // Envoy: the original path appended to /verify.
            request
                .uri()
                .path()
                .strip_prefix("/verify")
                .filter(|rest| rest.starts_with('/'))
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "/".to_owned());
    let path = uri.split(['?', '#']).next().unwrap_or("/").to_owned();
    (method, path)
}

fn identity_headers(headers: &mut HeaderMap, pairs: &[(&'static str, Option<&str>)]) {
    for (name, value) in pairs {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(*name, value);
        }
    }
}

async fn verify(State(gate): State<Arc<Gate>>, request: Request<Body>) -> Response<Body> {
    let (method, path) = original(&request);
    let rule = gate.rules.iter().find(|rule| rule.matches(&method, &path));
    if rule.is_some_and(|r| r.public) {
        return StatusCode::OK.into_response();
    }
    let Some(token) = crate::layer::bearer(request.headers()) else {
        return refusal(&Denied::MissingToken);
    };
    let verified = match gate.guard.verify_now(&token).await {
        Ok(verified) => verified,
        Err(refused) => return refusal(&Denied::Refused(refused)),
    };
    let claims = verified.payload();
    let held = scopes_of(claims);
    if let Some(rule) = rule {
        if !rule.scopes.iter().all(|s| held.contains(s)) {
            return refusal(&Denied::MissingScope(rule.scopes.join(" ")));
        }
    }
    let mut response = StatusCode::OK.into_response();
    let scope = held.join(" ");
    let session = claims.get_str("sid");
    let client = claims.get_str("client_id");
    identity_headers(
        response.headers_mut(),
        &[
            ("x-auth-subject", claims.sub()),
            ("x-auth-scope", Some(scope.as_str())),
            ("x-auth-session", session.as_deref()),
            ("x-auth-client", client.as_deref()),
        ],
    );
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(prefix: &str, methods: Option<&[&str]>) -> Rule {
        Rule {
            path_prefix: prefix.to_owned(),
            methods: methods.map(|m| m.iter().map(|s| (*s).to_owned()).collect()),
            scopes: Vec::new(),
            public: false,
        }
    }

    #[test]
    fn rules_match_on_path_boundaries_and_methods() {
        let admin = rule("/admin/", None);
        assert!(admin.matches("GET", "/admin"));
        assert!(admin.matches("GET", "/admin/users"));
        assert!(!admin.matches("GET", "/administrator"));
        let writes = rule("/orders", Some(&["POST", "delete"]));
        assert!(writes.matches("post", "/orders/7"));
        assert!(writes.matches("DELETE", "/orders"));
        assert!(!writes.matches("GET", "/orders"));
        assert!(rule("/", None).matches("GET", "/anything"));
    }

    #[test]
    fn rules_that_cannot_mean_anything_are_refused() {
        assert_eq!(check_rules(&[rule("/ok", None)]), Ok(()));
        assert!(check_rules(&[rule("orders", None)]).is_err());
        assert!(check_rules(&[rule("/x", Some(&[]))]).is_err());
        assert!(check_rules(&[rule("/x", Some(&["GET POST"]))]).is_err());
        let mut both = rule("/x", None);
        both.public = true;
        both.scopes = vec!["admin".to_owned()];
        let err = check_rules(&[rule("/ok", None), both]).unwrap_err();
        assert_eq!(err.index, 2);
    }
}
