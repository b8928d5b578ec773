//! `jwtkeep gate` as the real binary beside a real `jwtkeep serve`, asked
//! directly and through Debian's nginx (`auth_request`) in front of an
//! upstream.

use std::io::Read as _;

use super::*;

const PASSWORD: &str = "a gate-keeper's passphrase 7";

/// A port nothing listens on now.
pub(super) fn spare_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One request without a body: the whole answer, head and body.
fn ask(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> String {
    send(addr, method, path, headers, "")
}

/// One request with `body`: the whole answer, head and body.
fn send(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &str) -> String {
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    head.push_str(body);
    stream.write_all(head.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

fn status(answer: &str) -> u16 {
    answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0)
}

/// A service (whose issuer is its own address) with alice and the client
/// "gate", and a gate following it: (service, its address, gate, its address).
fn service_and_gate(dir: &Path) -> (Running, String, Running, String) {
    service_and_gate_with(dir, &[], "")
}

/// [`service_and_gate`], the service run with the environment `envs` and
/// the gate with the rules `rules` (TOML) when there are any.
fn service_and_gate_with(
    dir: &Path,
    envs: &[(&str, &str)],
    rules: &str,
) -> (Running, String, Running, String) {
    let out = jwtkeep_in(
        dir,
        &["user", "add", "alice"],
        Some(format!("{PASSWORD}\n").as_bytes()),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = jwtkeep_in(dir, &["client", "add", "gate", "--json"], None);
    let client: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let secret = client["secret"].as_str().unwrap().to_owned();
    let listen = format!("127.0.0.1:{}", spare_port());
    let (service, addr, _) = start_listening(dir, &["serve", "--listen", &listen], envs);
    let issuer = format!("http://{addr}");
    let envs = [
        ("JWTKEEP_CLIENT_ID", "gate"),
        ("JWTKEEP_CLIENT_SECRET", secret.as_str()),
    ];
    let mut args = vec![
        "gate",
        "--issuer",
        &issuer,
        "--audience",
        "jwtkeep",
        "--listen",
        "127.0.0.1:0",
    ];
    let config = dir.join("gate.toml");
    let config = config.to_str().unwrap();
    if !rules.is_empty() {
        fs::write(config, rules).unwrap();
        args.extend(["--config", config]);
    }
    let (gate, gate_addr, _) = start_listening(dir, &args, &envs);
    (service, addr, gate, gate_addr)
}

#[test]
fn the_gate_refuses_to_start_without_credentials_and_never_takes_them_from_argv() {
    let dir = tempfile::tempdir().unwrap();
    let args = [
        "gate",
        "--issuer",
        "http://127.0.0.1:1",
        "--audience",
        "jwtkeep",
    ];
    assert_usage_error(
        &jwtkeep_in(dir.path(), &args, None),
        "JWTKEEP_CLIENT_SECRET",
    );
    let out = jwtkeep_in(
        dir.path(),
        &["gate", "--client-secret", "s3cret-value"],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(!stderr(&out).contains("s3cret-value"));
    assert_usage_error(
        &jwtkeep_in(dir.path(), &["gate", "--audience", "x"], None),
        "--issuer",
    );
}

#[test]
fn the_gate_answers_proxies_for_a_running_service() {
    let dir = tempfile::tempdir().unwrap();
    let (service, addr, gate, gate_addr) = service_and_gate(dir.path());
    let token = access_token(&addr, "alice", PASSWORD);
    let bearer = format!("Bearer {token}");
    let nginx = [("X-Original-URI", "/orders"), ("X-Original-Method", "GET")];
    let mut with_token = nginx.to_vec();
    with_token.push(("Authorization", &bearer));
    let answer = ask(&gate_addr, "GET", "/verify", &with_token);
    assert_eq!(status(&answer), 200, "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("x-auth-subject: "),
        "{answer}"
    );
    let answer = ask(&gate_addr, "GET", "/verify", &nginx);
    assert_eq!(status(&answer), 401, "{answer}");
    assert!(
        answer
            .to_ascii_lowercase()
            .contains("www-authenticate: bearer"),
        "{answer}"
    );
    stop(gate);
    stop(service);
}

/// Through the proxy at `addr`: no token, and a token that is not one, are
/// refused with the gate's challenge passed on.
fn assert_refuses_without_a_valid_token(addr: &str) {
    for (headers, challenge) in [
        (vec![], "www-authenticate: bearer"),
        (
            vec![("Authorization", "Bearer not.a.token")],
            "www-authenticate: bearer error=\"invalid_token\"",
        ),
    ] {
        let answer = ask(addr, "GET", "/orders", &headers);
        assert_eq!(status(&answer), 401, "{answer}");
        assert!(answer.to_ascii_lowercase().contains(challenge), "{answer}");
    }
}

/// Logs `bearer` out at the service at `service`, then asks through the
/// proxy at `proxy` until it answers 401 (failing past `bound`): how long
/// after the logout's answer that took.
fn time_to_refusal(
    service: &str,
    proxy: &str,
    bearer: &str,
    bound: std::time::Duration,
) -> std::time::Duration {
    let with_token = [("Authorization", bearer)];
    let out = ask(service, "POST", "/v1/auth/logout", &with_token);
    assert_eq!(status(&out), 200, "{out}");
    let logged_out = std::time::Instant::now();
    while status(&ask(proxy, "GET", "/orders", &with_token)) != 401 {
        assert!(logged_out.elapsed() < bound, "still let through");
    }
    logged_out.elapsed()
}

/// A proxy in front of the gate, run until dropped.
pub(super) struct Proxy {
    child: std::process::Child,
    addr: String,
}

impl Proxy {
    /// Runs `command` until it writes a line holding `ready` (one holding
    /// `failure` fails the test); it then serves on `addr`.
    fn run(mut command: Command, ready: &str, failure: &str, addr: String) -> Proxy {
        use std::io::BufRead as _;
        let program = command.get_program().to_string_lossy().into_owned();
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{program} must be installed (.ci/run installs it): {e}"));
        let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
        for line in lines.by_ref() {
            let line = line.unwrap();
            assert!(!line.contains(failure), "{line}");
            if line.contains(ready) {
                break;
            }
        }
        // The rest is drained so that the proxy never blocks on its log.
        std::thread::spawn(move || for _ in lines {});
        Proxy { child, addr }
    }
}

impl Drop for Proxy {
    /// Asks the proxy to stop (SIGTERM: nginx's master then stops its
    /// workers, which a SIGKILL would leave behind, still holding the
    /// ports), and waits for it.
    fn drop(&mut self) {
        let pid = self.child.id().to_string();
        let asked = Command::new("kill").args(["-TERM", &pid]).status();
        if !asked.is_ok_and(|s| s.success()) {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

/// Debian's nginx in front of an upstream, asking the gate (`auth_request`)
/// before every request: the configuration README gives, on spare ports.
fn nginx(dir: &Path, gate: &str) -> Proxy {
    let (port, upstream) = (spare_port(), spare_port());
    let servers = format!(
        r#"
    upstream jwtkeep_gate {{ server {gate}; keepalive 16; }}
    server {{
        listen 127.0.0.1:{port};
        location = /_jwtkeep_verify {{
            internal;
            proxy_pass http://jwtkeep_gate/verify;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URI $request_uri;
            proxy_set_header X-Original-Method $request_method;
        }}
        location / {{
            auth_request /_jwtkeep_verify;
            auth_request_set $auth_subject $upstream_http_x_auth_subject;
            auth_request_set $auth_challenge $upstream_http_www_authenticate;
            error_page 401 = @unauthorized;
            proxy_set_header X-Auth-Subject $auth_subject;
            proxy_pass http://127.0.0.1:{upstream};
        }}
        location @unauthorized {{
            add_header WWW-Authenticate $auth_challenge always;
            return 401;
        }}
    }}
    server {{
        listen 127.0.0.1:{upstream};
        location / {{ return 200 "upstream saw $http_x_auth_subject\n"; }}
    }}
"#
    );
    nginx_with(dir, &servers, format!("127.0.0.1:{port}"))
}

/// Debian's nginx with the `servers` (what goes in its `http` block) in a
/// prefix of its own under `dir`; its address is `addr`.
pub(super) fn nginx_with(dir: &Path, servers: &str, addr: String) -> Proxy {
    let prefix = dir.join("nginx");
    fs::create_dir_all(prefix.join("tmp")).unwrap();
    let temp = prefix.join("tmp");
    let temp = temp.display();
    let conf = format!(
        r#"
daemon off;
worker_processes 1;
pid {prefix}/nginx.pid;
error_log stderr notice;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {temp}; proxy_temp_path {temp}; fastcgi_temp_path {temp};
    uwsgi_temp_path {temp}; scgi_temp_path {temp};
{servers}
}}
"#,
        prefix = prefix.display()
    );
    let path = prefix.join("nginx.conf");
    fs::write(&path, conf).unwrap();
    let binary = if Path::new("/usr/sbin/nginx").exists() {
        "/usr/sbin/nginx"
    } else {
        "nginx"
    };
    let mut command = Command::new(binary);
    command
        .args(["-p", &prefix.display().to_string(), "-c"])
        .arg(&path);
    // nginx says so once it has bound its ports and started its worker.
    Proxy::run(command, "start worker process", "[emerg]", addr)
}

#[test]
fn through_nginx_every_request_is_checked_and_a_logout_is_refused_within_100_ms() {
    let dir = tempfile::tempdir().unwrap();
    let (service, addr, gate, gate_addr) = service_and_gate(dir.path());
    let nginx = nginx(dir.path(), &gate_addr);
    assert_refuses_without_a_valid_token(&nginx.addr);

    // jwtkeep probe's attacks against the API behind nginx: none gets past the gate.
    let token = access_token(&addr, "alice", PASSWORD);
    let url = format!("http://{}/orders", nginx.addr);
    let jwks = format!("http://{addr}/.well-known/jwks.json");
    let out = jwtkeep_in(
        dir.path(),
        &[
            "probe", &url, "--token", "-", "--jwks", &jwks, "--rate", "50", "--json",
        ],
        Some(token.as_bytes()),
    );
    let report: Value =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert_eq!(code(&out), 0, "{report}");
    assert_eq!(
        (
            &report["accepted"],
            &report["valid_status"],
            &report["no_token_status"]
        ),
        (&Value::from(0), &Value::from(200), &Value::from(401)),
        "{report}"
    );

    // A hundred times: logged in, let through; logged out, refused. How long
    // after the logout's answer nginx first refuses the token.
    let mut delays = Vec::new();
    for _ in 0..100 {
        let token = access_token(&addr, "alice", PASSWORD);
        let bearer = format!("Bearer {token}");
        let answer = ask(&nginx.addr, "GET", "/orders", &[("Authorization", &bearer)]);
        assert_eq!(status(&answer), 200, "{answer}");
        assert!(answer.contains("upstream saw "), "{answer}");
        let bound = std::time::Duration::from_secs(5);
        delays.push(time_to_refusal(&addr, &nginx.addr, &bearer, bound));
    }
    delays.sort();
    let (p50, p99) = (delays[49], delays[98]);
    println!("logout refused through nginx: p50 {p50:?}, p99 {p99:?}");
    assert!(
        p99 < std::time::Duration::from_millis(100),
        "p50 {p50:?}, p99 {p99:?}"
    );
    drop(nginx);
    stop(gate);
    stop(service);
}

/// What a client refreshing its tokens in a loop saw through the proxy.
#[derive(Default)]
struct Traffic {
    /// Requests made with a fresh access token (all must pass).
    fresh: usize,
    /// Requests made with the token from before the rotations, while it is
    /// meant to pass.
    old: usize,
    /// The kids of the fresh tokens, in the order first seen.
    kids: Vec<String>,
    /// Every request that did not pass, with its token's kid.
    failures: Vec<String>,
}

/// One refresh at the service: the new access and refresh tokens.
fn refreshed(service: &str, refresh: &str) -> (String, String) {
    let body = format!(r#"{{"refresh_token":"{refresh}"}}"#);
    let answer = http(service, "POST", "/v1/auth/refresh", Some(&body));
    let tokens = http_body(&answer);
    let token = |name: &str| {
        tokens[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name}: {answer}"))
            .to_owned()
    };
    (token("access_token"), token("refresh_token"))
}

/// Rotates the access key at the service through its API, as `mode` says,
/// with a fresh administrator token: the new kid.
fn rotate_through_api(service: &str, mode: &str) -> String {
    let root = format!("Bearer {}", access_token(service, "root", PASSWORD));
    let body = format!(r#"{{"purpose":"access","mode":"{mode}"}}"#);
    let headers = [
        ("Authorization", root.as_str()),
        ("Content-Type", "application/json"),
    ];
    let answer = send(service, "POST", "/v1/admin/keys/rotate", &headers, &body);
    assert_eq!(status(&answer), 200, "{answer}");
    http_body(&answer)["rotated"]["access"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Waits until the looping client has had a fresh token signed by `kid`
/// let through (failing past `bound`).
fn until_signing_with(traffic: &std::sync::Mutex<Traffic>, kid: &str, bound: std::time::Duration) {
    let started = std::time::Instant::now();
    while !traffic.lock().unwrap().kids.iter().any(|k| k == kid) {
        assert!(started.elapsed() < bound, "no token of {kid} came through");
        std::thread::park_timeout(std::time::Duration::from_millis(20));
    }
}

#[test]
fn through_nginx_no_kind_of_key_rotation_fails_a_request() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex};
    let dir = tempfile::tempdir().unwrap();
    let out = jwtkeep_in(
        dir.path(),
        &["user", "add", "root", "--admin"],
        Some(format!("{PASSWORD}\n").as_bytes()),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // A JWKS cacheable for no time: a staged key signs 11 s after it is
    // published (the key check interval + 1 s), so the test can wait for it.
    let envs = [("JWTKEEP_JWKS_MAX_AGE_SECS", "0")];
    let (service, addr, gate, gate_addr) = service_and_gate_with(dir.path(), &envs, "");
    let nginx = nginx(dir.path(), &gate_addr);
    let proxy = nginx.addr.clone();

    // A client refreshing as fast as it can, every fresh access token used
    // through nginx at once, beside the first token it ever had.
    let login = http(
        &addr,
        "POST",
        "/v1/auth/login",
        Some(&format!(
            r#"{{"username":"alice","password":"{PASSWORD}"}}"#
        )),
    );
    let first = http_body(&login);
    let old = format!("Bearer {}", first["access_token"].as_str().unwrap());
    let mut refresh = first["refresh_token"].as_str().unwrap().to_owned();
    let traffic = Arc::new(Mutex::new(Traffic::default()));
    let (running, old_valid) = (
        Arc::new(AtomicBool::new(true)),
        Arc::new(AtomicBool::new(true)),
    );
    let client = {
        let (traffic, running, old_valid, service) = (
            Arc::clone(&traffic),
            Arc::clone(&running),
            Arc::clone(&old_valid),
            addr.clone(),
        );
        let old = old.clone();
        std::thread::spawn(move || {
            while running.load(Ordering::SeqCst) {
                let (access, next) = refreshed(&service, &refresh);
                refresh = next;
                let kid = kid_of(&access);
                let bearer = format!("Bearer {access}");
                let answer = ask(&proxy, "GET", "/orders", &[("Authorization", &bearer)]);
                let mut seen = traffic.lock().unwrap();
                seen.fresh += 1;
                if status(&answer) == 200 {
                    if !seen.kids.contains(&kid) {
                        seen.kids.push(kid);
                    }
                } else {
                    seen.failures
                        .push(format!("fresh token of {kid}: {answer}"));
                }
                drop(seen);
                if old_valid.load(Ordering::SeqCst) {
                    let answer = ask(&proxy, "GET", "/orders", &[("Authorization", &old)]);
                    // Checked again after the answer: a revoke_old may have
                    // come in between.
                    if status(&answer) != 200 && old_valid.load(Ordering::SeqCst) {
                        traffic
                            .lock()
                            .unwrap()
                            .failures
                            .push(format!("old token: {answer}"));
                    }
                    traffic.lock().unwrap().old += 1;
                }
            }
        })
    };
    let first_kid = kid_of(&old["Bearer ".len()..]);
    until_signing_with(&traffic, &first_kid, std::time::Duration::from_secs(5));

    // Staged (the API): published at once, signing 11 s later.
    let staged = rotate_through_api(&addr, "staged");
    until_signing_with(&traffic, &staged, std::time::Duration::from_secs(30));

    // Immediate (the CLI, beside the running service, which learns of it
    // within its key check interval).
    let out = jwtkeep_in(
        dir.path(),
        &[
            "keys",
            "rotate",
            "--purpose",
            "access",
            "--immediate",
            "--json",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let immediate = serde_json::from_str::<Value>(&stdout(&out))
        .unwrap_or_else(|e| panic!("{e}: {}", stdout(&out)));
    let immediate = immediate["rotated"]["access"]
        .as_str()
        .unwrap_or_else(|| panic!("{immediate}"))
        .to_owned();
    until_signing_with(&traffic, &immediate, std::time::Duration::from_secs(30));

    // Revoke old (the API): the new key signs at once, the first token dies.
    old_valid.store(false, Ordering::SeqCst);
    let revoked = rotate_through_api(&addr, "revoke_old");
    until_signing_with(&traffic, &revoked, std::time::Duration::from_secs(5));
    let bound = std::time::Duration::from_secs(1);
    let started = std::time::Instant::now();
    while status(&ask(
        &nginx.addr,
        "GET",
        "/orders",
        &[("Authorization", &old)],
    )) != 401
    {
        assert!(
            started.elapsed() < bound,
            "a retired key's token still let through"
        );
    }

    running.store(false, Ordering::SeqCst);
    client.join().unwrap();
    let seen = traffic.lock().unwrap();
    println!(
        "rotations through nginx: {} fresh and {} old tokens' requests, kids {:?}",
        seen.fresh, seen.old, seen.kids
    );
    assert!(seen.failures.is_empty(), "{:#?}", seen.failures);
    assert_eq!(seen.kids, [first_kid, staged, immediate, revoked]);
    drop(seen);
    drop(nginx);
    stop(gate);
    stop(service);
}

/// Debian's Caddy (`forward_auth`) in front of a response naming who it saw.
fn caddy(dir: &Path, gate: &str) -> Proxy {
    let port = spare_port();
    let home = dir.join("caddy");
    fs::create_dir_all(&home).unwrap();
    let caddyfile = format!(
        r#"{{
    admin off
    auto_https off
}}
http://127.0.0.1:{port} {{
    forward_auth {gate} {{
        uri /verify
        copy_headers X-Auth-Subject
    }}
    respond "upstream saw {{http.request.header.X-Auth-Subject}}" 200
}}
"#
    );
    let path = home.join("Caddyfile");
    fs::write(&path, caddyfile).unwrap();
    let mut command = Command::new("caddy");
    command
        .args(["run", "--adapter", "caddyfile", "--config"])
        .arg(&path)
        .env("HOME", &home)
        .env("XDG_DATA_HOME", &home)
        .env("XDG_CONFIG_HOME", &home);
    // Caddy says so once its servers run.
    Proxy::run(
        command,
        "serving initial configuration",
        "\"level\":\"error\"",
        format!("127.0.0.1:{port}"),
    )
}

#[test]
fn through_caddy_forward_auth_the_gate_decides_and_names_the_caller() {
    let dir = tempfile::tempdir().unwrap();
    let (service, addr, gate, gate_addr) = service_and_gate(dir.path());
    let caddy = caddy(dir.path(), &gate_addr);
    assert_refuses_without_a_valid_token(&caddy.addr);
    let token = access_token(&addr, "alice", PASSWORD);
    let bearer = format!("Bearer {token}");
    let answer = ask(&caddy.addr, "GET", "/orders", &[("Authorization", &bearer)]);
    assert_eq!(status(&answer), 200, "{answer}");
    let subject = claims_of(&token)["sub"].as_str().unwrap().to_owned();
    assert!(
        answer.contains(&format!("upstream saw {subject}")),
        "{answer}"
    );
    // Logged out at the service: refused through Caddy.
    time_to_refusal(
        &addr,
        &caddy.addr,
        &bearer,
        std::time::Duration::from_secs(1),
    );
    drop(caddy);
    stop(gate);
    stop(service);
}

#[test]
fn through_nginx_and_caddy_a_client_cannot_pass_a_rule_by_how_it_writes_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let rules = "[[rule]]\npath_prefix = \"/public\"\npublic = true\n";
    let (service, addr, gate, gate_addr) = service_and_gate_with(dir.path(), &[], rules);
    let (nginx, caddy) = (nginx(dir.path(), &gate_addr), caddy(dir.path(), &gate_addr));
    for proxy in [&nginx.addr, &caddy.addr] {
        // The public path is open to all.
        let answer = ask(proxy, "GET", "/public/logo.png", &[]);
        assert_eq!(status(&answer), 200, "{answer}");
        // Without a token, whatever the client says the request was, or
        // however it spells the path, nothing else is let through.
        for (path, headers) in [
            ("/orders", vec![("X-Original-URI", "/public/x")]),
            ("/orders", vec![("X-Forwarded-Uri", "/public/x")]),
            (
                "/orders",
                vec![
                    ("X-Original-URI", "/public/x"),
                    ("X-Forwarded-Uri", "/public/x"),
                ],
            ),
            ("/public/../orders", vec![]),
            ("/public/%2e%2e/orders", vec![]),
            ("/public%2f..%2forders", vec![]),
            ("/public;/../orders", vec![]),
        ] {
            let answer = ask(proxy, "GET", path, &headers);
            assert!(
                !answer.contains("upstream saw") && [400, 401, 403].contains(&status(&answer)),
                "{proxy} {path} {headers:?}: {answer}"
            );
        }
        // A valid token still passes, whatever the client adds.
        let token = format!("Bearer {}", access_token(&addr, "alice", PASSWORD));
        let answer = ask(proxy, "GET", "/orders", &[("Authorization", &token)]);
        assert!(answer.contains("upstream saw"), "{proxy}: {answer}");
    }
    drop(nginx);
    drop(caddy);
    stop(gate);
    stop(service);
}

/// The claims of a token, unverified (the test's own tokens).
fn claims_of(token: &str) -> Value {
    let decoded = jwtkeep_core::inspect::decode_unverified(token).unwrap();
    Value::Object(decoded.claims.unwrap())
}
