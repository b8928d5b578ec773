//! `jwtkeep serve` over HTTPS with a certificate the test makes (its own CA,
//! the only one the clients trust): curl, Python and openssl as clients; a
//! certificate replaced on disk; files that cannot be served; and the
//! force-HTTPS rule behind Debian's nginx terminating TLS.

use super::gate::{nginx_with, spare_port};
use super::*;

const PASSWORD: &str = "a passphrase over tls 4411";

/// Runs `command`, which must succeed: what it printed.
fn run_ok(command: &mut Command) -> String {
    let out = command.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{command:?}: {err}");
    String::from_utf8(out.stdout).unwrap()
}

/// The test certificates' script with `args`: `DIR` makes the CA, `cert.pem`
/// and `key.pem`; `DIR leaf NAME` another server certificate `NAME.pem` /
/// `NAME.key` from the same CA.
fn certs(args: &[&std::ffi::OsStr]) {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tls/certs.sh");
    run_ok(Command::new("bash").arg(script).args(args));
}

fn certificates(dir: &Path) {
    certs(&[dir.as_os_str()]);
}

fn another_leaf(dir: &Path, name: &str) {
    certs(&[dir.as_os_str(), "leaf".as_ref(), name.as_ref()]);
}

/// The serial of the certificate in `pem`, as openssl prints it (upper-case hex).
fn serial_of(pem: &Path) -> String {
    let text = run_ok(
        Command::new("openssl")
            .args(["x509", "-noout", "-serial", "-in"])
            .arg(pem),
    );
    text.trim()
        .trim_start_matches("serial=")
        .to_ascii_uppercase()
}

/// curl, trusting only the test CA: its exit code and what it printed
/// (the head with `-i`, then the body).
fn curl(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new("curl")
        .args(["-s", "-i", "--max-time", "10", "--cacert"])
        .arg(dir.join("ca.pem"))
        .args(args)
        .output()
        .expect("curl must be installed");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

/// Starts `jwtkeep serve` over TLS in `dir` (with alice): the child and its address.
fn serve_tls(dir: &Path, extra: &[&str]) -> (Running, String) {
    let line = format!("{PASSWORD}\n");
    let out = jwtkeep_in(dir, &["user", "add", "alice"], Some(line.as_bytes()));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let mut args = vec!["--tls-cert", "cert.pem", "--tls-key", "key.pem"];
    args.extend_from_slice(extra);
    let (child, addr, _) = start_serve_with(dir, &args, &[]);
    (child, addr)
}

#[test]
fn https_is_served_to_clients_that_trust_only_the_test_ca() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let (service, addr) = serve_tls(dir.path(), &[]);
    let url = |path: &str| format!("https://{addr}{path}");

    let (exit, answer) = curl(dir.path(), &[&url("/healthz")]);
    assert_eq!(exit, 0, "{answer}");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains("strict-transport-security: max-age=63072000; includeSubDomains"),
        "{answer}"
    );
    // Verification is real: without the test CA the certificate is refused.
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", &url("/healthz")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(60), "curl trusted an unknown CA");
    // TLS 1.2 and 1.3 only.
    for (args, works) in [
        (["--tlsv1.3", "--tls-max", "1.3"], true),
        (["--tlsv1.2", "--tls-max", "1.2"], true),
        (["--tlsv1.1", "--tls-max", "1.1"], false),
        (["--tlsv1.0", "--tls-max", "1.0"], false),
    ] {
        let mut all = args.to_vec();
        let target = url("/healthz");
        all.push(&target);
        let (exit, answer) = curl(dir.path(), &all);
        assert_eq!(exit == 0, works, "{args:?}: exit {exit} {answer}");
    }
    // Plain HTTP on the TLS port gets no HTTP answer.
    let plain = Command::new("curl")
        .args(["-s", "--max-time", "5", &format!("http://{addr}/healthz")])
        .output()
        .unwrap();
    assert!(!plain.status.success());

    // A Python client with a context that trusts only the test CA: login,
    // then the token at /v1/auth/me; the metadata names the https issuer.
    let script = r#"
import json, ssl, sys, urllib.request
base, ca, password = sys.argv[1:4]
context = ssl.create_default_context(cafile=ca)
def call(path, body=None, token=None):
    request = urllib.request.Request(base + path, data=body and json.dumps(body).encode())
    if body: request.add_header("Content-Type", "application/json")
    if token: request.add_header("Authorization", "Bearer " + token)
    with urllib.request.urlopen(request, context=context) as answer:
        return json.load(answer)
token = call("/v1/auth/login", {"username": "alice", "password": password})["access_token"]
print(call("/v1/auth/me", token=token)["claims"]["iss"])
print(call("/.well-known/oauth-authorization-server")["jwks_uri"])
"#;
    let printed = run_ok(
        Command::new("python3")
            .args(["-c", script, &format!("https://{addr}")])
            .arg(dir.path().join("ca.pem"))
            .arg(PASSWORD),
    );
    assert_eq!(
        printed,
        format!("https://{addr}\nhttps://{addr}/.well-known/jwks.json\n")
    );
    stop(service);
}

#[test]
fn a_certificate_replaced_on_disk_is_served_to_the_next_connection() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let first = serial_of(&dir.path().join("cert.pem"));
    let (service, addr) = serve_tls(dir.path(), &[]);
    // One connection kept open across the replacement, and a new one after it.
    let script = r#"
import http.client, ssl, sys
host, port = sys.argv[1].rsplit(":", 1)
context = ssl.create_default_context(cafile=sys.argv[2])
def serial(connection):
    return format(int(connection.sock.getpeercert()["serialNumber"], 16), "X")
kept = http.client.HTTPSConnection(host, int(port), context=context)
kept.request("GET", "/healthz"); kept.getresponse().read()
sock = kept.sock
print(serial(kept), flush=True)
sys.stdin.readline()
kept.request("GET", "/healthz"); status = kept.getresponse().status
print(status, kept.sock is sock, serial(kept), flush=True)
fresh = http.client.HTTPSConnection(host, int(port), context=context)
fresh.request("GET", "/healthz"); fresh.getresponse().read()
print(serial(fresh), flush=True)
"#;
    let mut client = Command::new("python3")
        .args(["-c", script, &addr])
        .arg(dir.path().join("ca.pem"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(client.stdout.take().unwrap()));
    let strip = |s: &str| s.trim_start_matches('0').to_owned();
    assert_eq!(strip(&lines.next().unwrap().unwrap()), strip(&first));

    // Replaced as certbot and most tools do: new files renamed over the old.
    another_leaf(dir.path(), "next");
    let second = serial_of(&dir.path().join("next.pem"));
    assert_ne!(second, first);
    fs::rename(dir.path().join("next.key"), dir.path().join("key.pem")).unwrap();
    fs::rename(dir.path().join("next.pem"), dir.path().join("cert.pem")).unwrap();
    writeln!(client.stdin.as_mut().unwrap()).unwrap();
    let kept = lines.next().unwrap().unwrap();
    assert_eq!(
        kept,
        format!("200 True {}", strip(&first)),
        "the open connection goes on, with its certificate"
    );
    let fresh = lines.next().unwrap().unwrap();
    assert_eq!(
        strip(&fresh),
        strip(&second),
        "the next connection gets the new one"
    );
    assert!(client.wait().unwrap().success());

    // A broken replacement is not served: the last good certificate is.
    fs::write(
        dir.path().join("cert.pem"),
        "-----BEGIN CERTIFICATE-----\nnot one\n",
    )
    .unwrap();
    let out = Command::new("openssl")
        .args(["s_client", "-connect", &addr, "-CAfile"])
        .arg(dir.path().join("ca.pem"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    let pem_start = shown
        .find("-----BEGIN CERTIFICATE-----")
        .expect("a certificate");
    let pem_end = shown.find("-----END CERTIFICATE-----").unwrap() + 25;
    let served = dir.path().join("served.pem");
    fs::write(&served, &shown[pem_start..pem_end]).unwrap();
    assert_eq!(strip(&serial_of(&served)), strip(&second));

    // The metrics say so: one reload loaded, one failed, and when the
    // certificate served expires (as Python reads it from the file).
    let (_, metrics) = curl(dir.path(), &[&format!("https://{addr}/metrics")]);
    assert!(
        metrics.contains("jwtkeep_tls_certificate_reloads_total{result=\"loaded\"} 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("jwtkeep_tls_certificate_reloads_total{result=\"failed\"} 1\n"),
        "{metrics}"
    );
    let expiry = run_ok(Command::new("python3").arg("-c").arg(
        "import ssl, sys; print(int(ssl.cert_time_to_seconds(ssl._ssl._test_decode_cert(sys.argv[1])['notAfter'])))",
    ).arg(&served));
    assert!(
        metrics.contains(&format!(
            "jwtkeep_tls_certificate_expiry_timestamp_seconds {}",
            expiry.trim()
        )),
        "{metrics}"
    );
    stop(service);
}

#[test]
fn certificate_files_that_cannot_be_served_stop_the_start_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let serve = |cert: &str, key: &str| {
        jwtkeep_in(
            dir.path(),
            &[
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--tls-cert",
                cert,
                "--tls-key",
                key,
            ],
            None,
        )
    };
    assert_usage_error(&serve("cert.pem", "missing.pem"), "cannot read missing.pem");
    assert_usage_error(
        &serve("cert.pem", "ca.key"),
        "is not the key of the first certificate",
    );
    assert_usage_error(&serve("key.pem", "key.pem"), "holds no PEM certificate");
    assert_usage_error(&serve("cert.pem", "cert.pem"), "holds no PEM private key");
    let key = dir.path().join("key.pem");
    fs::set_permissions(&key, fs::Permissions::from_mode(0o644)).unwrap();
    let out = serve("cert.pem", "key.pem");
    assert_usage_error(&out, "chmod o-rwx");
    // Nothing secret in the refusals.
    let key_text = fs::read_to_string(&key).unwrap();
    let body = key_text.lines().nth(1).unwrap();
    assert!(!stderr(&out).contains(body));
}

#[test]
fn behind_nginx_terminating_tls_only_requests_that_came_over_https_are_served() {
    let dir = tempfile::tempdir().unwrap();
    certificates(dir.path());
    let line = format!("{PASSWORD}\n");
    let out = jwtkeep_in(dir.path(), &["user", "add", "alice"], Some(line.as_bytes()));
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (https, plain) = (spare_port(), spare_port());
    let issuer = format!("https://127.0.0.1:{https}");
    let (service, addr, _) = start_serve_with(
        dir.path(),
        &["--trusted-proxy", "127.0.0.1", "--issuer", &issuer],
        &[],
    );
    let d = dir.path().display();
    let location = format!(
        "location / {{ proxy_pass http://{addr}; proxy_set_header X-Forwarded-Proto $scheme; \
         proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for; }}"
    );
    let servers = format!(
        "server {{ listen 127.0.0.1:{https} ssl; ssl_certificate {d}/cert.pem; \
         ssl_certificate_key {d}/key.pem; {location} }}\n\
         server {{ listen 127.0.0.1:{plain}; {location} }}"
    );
    let _nginx = nginx_with(dir.path(), &servers, format!("127.0.0.1:{https}"));
    let login = format!(r#"{{"username":"alice","password":"{PASSWORD}"}}"#);
    let post = |url: String| {
        curl(
            dir.path(),
            &[
                "-X",
                "POST",
                "-H",
                "Content-Type: application/json",
                "-d",
                &login,
                &url,
            ],
        )
    };

    let (exit, answer) = post(format!("https://127.0.0.1:{https}/v1/auth/login"));
    assert_eq!(exit, 0, "{answer}");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("strict-transport-security"), "{answer}");
    // The same request over the proxy's plain port: refused, not redirected.
    let (_, answer) = post(format!("http://127.0.0.1:{plain}/v1/auth/login"));
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains(r#""error":"https_required""#), "{answer}");
    assert!(!answer.contains("strict-transport-security"), "{answer}");
    // Past the proxy, from its address without its word: refused too.
    let direct = http(&addr, "POST", "/v1/auth/login", Some(&login));
    assert!(direct.starts_with("HTTP/1.1 403"), "{direct}");
    // Probes answer whatever the scheme.
    let (_, answer) = curl(dir.path(), &[&format!("http://127.0.0.1:{plain}/healthz")]);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    stop(service);
}
