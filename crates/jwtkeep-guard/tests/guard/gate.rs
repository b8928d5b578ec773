//! The gate as the proxies ask it, against a real `jwtkeep serve`.

use std::net::SocketAddr;

use jwtkeep_guard::gate::{router, Rule};
use jwtkeep_guard::{FeedConfig, Guard, GuardConfig};
use zeroize::Zeroizing;

use crate::service::{agent, claims_of, login, login_as, serve, SECRET};

async fn gate(issuer: &str) -> SocketAddr {
    let feed = FeedConfig::new(issuer, "guard", Zeroizing::new(SECRET.to_owned()));
    let guard = Guard::start(GuardConfig::new(issuer, "jwtkeep", feed))
        .await
        .unwrap();
    let mut syncs = guard.revocation_syncs();
    while guard.ready().is_err() {
        syncs.changed().await.unwrap();
    }
    let rules: Vec<Rule> = toml_rules(
        r#"
        [[rule]]
        path_prefix = "/public"
        public = true

        [[rule]]
        path_prefix = "/admin"
        methods = ["POST", "DELETE"]
        scopes = ["admin"]
        "#,
    );
    let app = router(guard, rules).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// Rules as a gate's configuration file writes them.
fn toml_rules(text: &str) -> Vec<Rule> {
    #[derive(serde::Deserialize)]
    struct File {
        rule: Vec<Rule>,
    }
    let file: File = toml::from_str(text).unwrap();
    file.rule
}

/// Asks the gate at `path` with `headers`: status and response headers.
async fn ask(
    gate: SocketAddr,
    method: &str,
    path: &str,
    headers: Vec<(&str, String)>,
) -> (u16, Vec<(String, String)>) {
    let url = format!("http://{gate}{path}");
    let method = method.to_owned();
    let headers: Vec<(String, String)> = headers
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    tokio::task::spawn_blocking(move || {
        let agent = agent();
        let mut request = ureq::http::Request::builder()
            .method(method.as_str())
            .uri(&url);
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        let response = agent.run(request.body(()).unwrap()).unwrap();
        let headers = response
            .headers()
            .iter()
            .filter(|(k, _)| k.as_str().starts_with("x-auth") || k.as_str() == "www-authenticate")
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap().to_owned()))
            .collect();
        (response.status().as_u16(), headers)
    })
    .await
    .unwrap()
}

fn header<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
    headers
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_answers_nginx_traefik_and_envoy_with_the_identity_or_a_refusal() {
    let service = serve().await;
    let issuer = format!("http://{}", service.addr);
    let gate = gate(&issuer).await;
    let (alice, root) = (login(&service).await, login_as(&service, "root").await);
    let bearer = |t: &str| ("authorization", format!("Bearer {t}"));
    let nginx = |method: &str, uri: &str| {
        vec![
            ("x-original-method", method.to_owned()),
            ("x-original-uri", uri.to_owned()),
        ]
    };

    // A public path needs nothing; any other needs a valid token.
    assert_eq!(
        ask(gate, "GET", "/verify", nginx("GET", "/public/logo.png"))
            .await
            .0,
        200
    );
    let (status, headers) = ask(gate, "GET", "/verify", nginx("GET", "/orders")).await;
    assert_eq!(
        (status, header(&headers, "www-authenticate")),
        (401, Some("Bearer"))
    );

    // nginx: alice reads orders; her identity comes back as headers.
    let mut asked = nginx("GET", "/orders?page=2");
    asked.push(bearer(&alice));
    let (status, headers) = ask(gate, "GET", "/verify", asked).await;
    assert_eq!(status, 200);
    let claims = claims_of(&alice);
    assert_eq!(header(&headers, "x-auth-subject"), claims["sub"].as_str());
    assert_eq!(header(&headers, "x-auth-session"), claims["sid"].as_str());
    assert_eq!(header(&headers, "x-auth-client"), Some("jwtkeep"));

    // Traefik and Caddy: X-Forwarded-*. Deleting under /admin needs the admin scope.
    let traefik = |token: &str| {
        vec![
            ("x-forwarded-method", "DELETE".to_owned()),
            ("x-forwarded-uri", "/admin/users/7".to_owned()),
            bearer(token),
        ]
    };
    let (status, headers) = ask(gate, "GET", "/verify", traefik(&alice)).await;
    assert_eq!(status, 403);
    assert_eq!(
        header(&headers, "www-authenticate"),
        Some("Bearer error=\"insufficient_scope\", scope=\"admin\"")
    );
    let (status, headers) = ask(gate, "GET", "/verify", traefik(&root)).await;
    assert_eq!(
        (status, header(&headers, "x-auth-scope")),
        (200, Some("admin"))
    );
    // Reading under /admin is not covered by that rule: a valid token suffices.
    let mut read = nginx("GET", "/admin/users");
    read.push(bearer(&alice));
    assert_eq!(ask(gate, "GET", "/verify", read).await.0, 200);

    // Envoy: the original method and path, appended to /verify.
    assert_eq!(
        ask(gate, "POST", "/verify/admin/users", vec![bearer(&alice)])
            .await
            .0,
        403
    );
    assert_eq!(
        ask(gate, "POST", "/verify/admin/users", vec![bearer(&root)])
            .await
            .0,
        200
    );

    // A token that is not one: refused as such.
    let mut forged = nginx("GET", "/orders");
    forged.push(bearer("not.a.token"));
    let (status, headers) = ask(gate, "GET", "/verify", forged).await;
    assert_eq!(
        (status, header(&headers, "www-authenticate")),
        (401, Some("Bearer error=\"invalid_token\""))
    );

    assert_eq!(ask(gate, "GET", "/readyz", vec![]).await.0, 200);
    let metrics = metrics_of(gate).await;
    for line in [
        "jwtkeep_guard_verifications_total{result=\"valid\"} 6",
        "jwtkeep_guard_verifications_total{result=\"invalid\"} 1",
        "jwtkeep_guard_cached_tokens 2",
    ] {
        assert!(metrics.contains(line), "{line} in {metrics}");
    }
    assert!(
        metrics.contains("jwtkeep_guard_revocations_age_seconds "),
        "{metrics}"
    );
}

async fn metrics_of(gate: SocketAddr) -> String {
    let url = format!("http://{gate}/metrics");
    tokio::task::spawn_blocking(move || {
        agent()
            .get(&url)
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap()
    })
    .await
    .unwrap()
}
