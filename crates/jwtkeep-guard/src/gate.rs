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

/// The original request's method and path, as the proxy reports them:
/// `X-Original-Method` / `X-Original-URI` (nginx), `X-Forwarded-Method` /
/// `X-Forwarded-Uri` (Traefik, Caddy), or the path appended to `/verify`
/// (Envoy, which keeps the method). Proxies pass the client's own headers
/// on to the gate beside the ones they set, so a client could add the
/// other proxy's headers naming a public path: where two reports are
/// present they must agree, or the request is refused. The path must be in
/// normal form ([`normal_path`]), so that the rules see the path the API
/// will.
fn original(request: &Request<Body>) -> Result<(String, String), Denied> {
    let headers = request.headers();
    let header = |name: &str| -> Result<Option<&str>, Denied> {
        let mut values = headers.get_all(name).iter();
        match (values.next(), values.next()) {
            (None, _) => Ok(None),
            (Some(value), None) => value.to_str().map(Some).map_err(|_| {
                Denied::Unclear(
                    "unclear_request",
                    "the proxy's report of the original request is not text",
                )
            }),
            (Some(_), Some(_)) => Err(Denied::Unclear(
                "conflicting_request",
                "the original request is reported more than once",
            )),
        }
    };
    let conflicting = Denied::Unclear(
        "conflicting_request",
        "the proxy's reports of the original request disagree",
    );
    let appended = request
        .uri()
        .path()
        .strip_prefix("/verify")
        .filter(|rest| rest.starts_with('/'));
    let mut uri: Option<&str> = None;
    for reported in [
        header("x-original-uri")?,
        header("x-forwarded-uri")?,
        appended,
    ]
    .into_iter()
    .flatten()
    {
        let path = reported.split(['?', '#']).next().unwrap_or_default();
        match uri {
            Some(seen) if seen != path => return Err(conflicting),
            _ => uri = Some(path),
        }
    }
    let method = match (header("x-original-method")?, header("x-forwarded-method")?) {
        (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => return Err(conflicting),
        (Some(m), _) | (None, Some(m)) => m.to_owned(),
        (None, None) => request.method().as_str().to_owned(),
    };
    let path = uri.unwrap_or("/");
    normal_path(path).map_err(|why| Denied::Unclear("path_not_normal", why))?;
    Ok((method, path.to_owned()))
}

/// Refuses a path that servers read in different ways, so that a rule on
/// `/admin` cannot be passed with `/public/../admin`, `//admin`,
/// `/admin;x`, `/%2e%2e/admin` or `/admin%2fusers`: dot segments, empty
/// segments (a trailing `/` aside), `;`, backslashes, control characters,
/// and percent-encoded `.`, `/`, backslash, `;` or `%`.
fn normal_path(path: &str) -> Result<(), &'static str> {
    if !path.starts_with('/') {
        return Err("the path must start with /");
    }
    if path
        .bytes()
        .any(|b| b.is_ascii_control() || b == b'\\' || b == b';')
    {
        return Err("the path holds a control character, a backslash or a semicolon");
    }
    // Without allocating: this runs for every request the proxy asks about.
    let encoded = path.as_bytes().windows(3).any(|w| match w {
        [b'%', high, low] => matches!(
            (*high, low.to_ascii_lowercase()),
            (b'2', b'e' | b'f' | b'5') | (b'5', b'c') | (b'3', b'b')
        ),
        _ => false,
    });
    if encoded {
        return Err("the path holds a percent-encoded '.', '/', '\\', ';' or '%'");
    }
    let inner = path.strip_suffix('/').unwrap_or(path);
    let mut segments = inner.split('/').skip(1);
    if inner.len() > 1 && segments.any(|s| s.is_empty() || s == "." || s == "..") {
        return Err("the path holds an empty, '.' or '..' segment");
    }
    Ok(())
}

fn identity_headers(headers: &mut HeaderMap, pairs: &[(&'static str, Option<&str>)]) {
    for (name, value) in pairs {
        if let Some(value) = value.and_then(|v| HeaderValue::from_str(v).ok()) {
            headers.insert(*name, value);
        }
    }
}

async fn verify(State(gate): State<Arc<Gate>>, request: Request<Body>) -> Response<Body> {
    let (method, path) = match original(&request) {
        Ok(original) => original,
        Err(unclear) => return refusal(&unclear),
    };
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
    fn only_paths_every_server_reads_alike_are_judged() {
        for good in [
            "/",
            "/orders",
            "/orders/",
            "/orders/7/items",
            "/a%20b",
            "/caf%C3%A9",
        ] {
            assert_eq!(normal_path(good), Ok(()), "{good}");
        }
        for bad in [
            "orders",
            "//admin",
            "/public//admin",
            "/public/../admin",
            "/public/./x",
            "/..",
            "/public/%2e%2e/admin",
            "/public/%2E./admin",
            "/admin%2fusers",
            "/admin;jsessionid=1",
            "/admin%3b",
            "/public\\..\\admin",
            "/public/%252e%252e/admin",
            "/admin\u{0}",
        ] {
            assert!(normal_path(bad).is_err(), "{bad}");
        }
    }

    fn asked(headers: &[(&str, &str)], path: &str) -> Result<(String, String), &'static str> {
        let mut request = Request::get(path);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        original(&request.body(Body::empty()).unwrap()).map_err(|denied| match denied {
            Denied::Unclear(code, _) => code,
            _ => "other",
        })
    }

    #[test]
    fn the_original_request_is_refused_when_its_reports_disagree() {
        let ok = |m: &str, p: &str| Ok((m.to_owned(), p.to_owned()));
        let nginx = [
            ("x-original-method", "DELETE"),
            ("x-original-uri", "/admin/7?x=1"),
        ];
        assert_eq!(asked(&nginx, "/verify"), ok("DELETE", "/admin/7"));
        let caddy = [
            ("x-forwarded-method", "GET"),
            ("x-forwarded-uri", "/orders"),
        ];
        assert_eq!(asked(&caddy, "/verify"), ok("GET", "/orders"));
        assert_eq!(asked(&[], "/verify/orders/7"), ok("GET", "/orders/7"));
        // The same request reported twice over, in agreement.
        let both = [
            ("x-original-uri", "/orders?a"),
            ("x-forwarded-uri", "/orders?b"),
        ];
        assert_eq!(asked(&both, "/verify/orders"), ok("GET", "/orders"));
        // A client's own X-Original-URI passed on beside Caddy's report.
        let injected = [
            ("x-original-uri", "/public/x"),
            ("x-forwarded-uri", "/admin"),
        ];
        assert_eq!(asked(&injected, "/verify"), Err("conflicting_request"));
        let injected = [("x-forwarded-uri", "/public/x")];
        assert_eq!(
            asked(&injected, "/verify/admin"),
            Err("conflicting_request")
        );
        let methods = [
            ("x-original-method", "GET"),
            ("x-forwarded-method", "DELETE"),
        ];
        assert_eq!(asked(&methods, "/verify"), Err("conflicting_request"));
        let twice = [("x-original-uri", "/public"), ("x-original-uri", "/admin")];
        assert_eq!(asked(&twice, "/verify"), Err("conflicting_request"));
        let dotted = [("x-original-uri", "/public/../admin")];
        assert_eq!(asked(&dotted, "/verify"), Err("path_not_normal"));
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
