//! The probe against real servers on 127.0.0.1: a deliberately vulnerable
//! fixture with three endpoints — one that only decodes, one that trusts the
//! header the way old libraries did, one that verifies correctly — so that
//! each attack is shown both to succeed where the weakness is and to fail
//! where it is not.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::collections::BTreeSet;
use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::time::Duration;

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jwtkeep_audit::probe::{run, Attack, Method, ProbeError, ProbeOptions};
use jwtkeep_core::{Algorithm, Jwk, Key, KeyPair};
use serde_json::{json, Value};

const NOW: i64 = 1_800_000_000;

struct Fixture {
    pair: Arc<KeyPair>,
    signing: jwtkeep_core::SigningKey,
    addr: String,
    token: String,
}

fn b64d(s: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .unwrap_or_default()
}

fn object(s: &str) -> Option<Value> {
    serde_json::from_slice(&b64d(s))
        .ok()
        .filter(Value::is_object)
}

/// Fetches a URL on loopback with a bare HTTP/1.1 GET (what a careless jku handler does).
fn fetch(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    let (host, path) = rest.split_once('/')?;
    let mut s = TcpStream::connect(host).ok()?;
    write!(
        s,
        "GET /{path} HTTP/1.1\r\nhost: {host}\r\nconnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    text.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())
}

fn es256_ok(jwk: &Value, input: &[u8], sig: &[u8]) -> bool {
    let Ok(jwk) = serde_json::from_value::<Jwk>(jwk.clone()) else {
        return false;
    };
    Key::from_jwk(&jwk, Some(Algorithm::Es256))
        .is_ok_and(|k| k.verifying_key().verify(input, sig).is_ok())
}

fn hs256_ok(key: &[u8], input: &[u8], sig: &[u8]) -> bool {
    hmac::verify(&hmac::Key::new(hmac::HMAC_SHA256, key), input, sig).is_ok()
}

/// The three behaviours, by path. Returns whether the token is accepted.
fn accepts(path: &str, token: &str, pair: &KeyPair) -> bool {
    let mut seg = token.split('.');
    let (Some(h), Some(p), Some(s)) = (seg.next(), seg.next(), seg.next()) else {
        return false;
    };
    let (Some(header), Some(claims)) = (object(h), object(p)) else {
        return false;
    };
    let input = format!("{h}.{p}");
    let sig = b64d(s);
    let alg = header["alg"].as_str().unwrap_or_default();
    let rs256_ok = || {
        Key::from_pem(&pair.public_pem(), Algorithm::Rs256, None)
            .is_ok_and(|k| k.verifying_key().verify(input.as_bytes(), &sig).is_ok())
    };
    match path {
        // Decodes and trusts: jwt.decode instead of jwt.verify. `/open` needs no token at all.
        "/naive" | "/open" => true,
        // Trusts the header, like libraries before RFC 8725.
        "/confused" => {
            if alg.eq_ignore_ascii_case("none") {
                return true;
            }
            if let Some(kid) = header["kid"].as_str() {
                if kid.contains("../") {
                    let key = std::fs::read(format!("/tmp/{kid}")).unwrap_or_default();
                    return alg == "HS256" && hs256_ok(&key, input.as_bytes(), &sig);
                }
                if let Some((_, rest)) = kid.split_once("UNION SELECT '") {
                    let key = rest.split('\'').next().unwrap_or_default();
                    return hs256_ok(key.as_bytes(), input.as_bytes(), &sig);
                }
            }
            match alg {
                "HS256" => hs256_ok(pair.public_pem().as_bytes(), input.as_bytes(), &sig),
                "ES256" => {
                    if !sig.is_empty() && sig.iter().all(|&b| b == 0) {
                        return true; // the psychic-signature bug
                    }
                    if header.get("jwk").is_some() {
                        return es256_ok(&header["jwk"], input.as_bytes(), &sig);
                    }
                    let Some(url) = header["jku"].as_str() else {
                        return false;
                    };
                    let Some(body) = fetch(url) else { return false };
                    let set: Value = serde_json::from_str(&body).unwrap_or_default();
                    set["keys"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .any(|k| es256_ok(k, input.as_bytes(), &sig))
                }
                // Signature checked, time never.
                "RS256" => rs256_ok(),
                _ => false,
            }
        }
        // Pinned algorithm, signature, then time.
        "/strict" => {
            alg == "RS256"
                && rs256_ok()
                && claims["exp"].as_i64().is_some_and(|e| e > NOW)
                && claims["nbf"].as_i64().is_none_or(|n| n <= NOW)
        }
        _ => false,
    }
}

fn serve(pair: Arc<KeyPair>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let pair = Arc::clone(&pair);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut first = String::new();
                reader.read_line(&mut first).unwrap_or(0);
                let path = first.split(' ').nth(1).unwrap_or("/").to_owned();
                let mut token = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    const PREFIX: &str = "authorization: bearer ";
                    if line.to_ascii_lowercase().starts_with(PREFIX) {
                        token = Some(line.trim_end()[PREFIX.len()..].to_owned());
                    }
                }
                let status = match token {
                    Some(t) if accepts(&path, &t, &pair) => "200 OK",
                    None if path == "/open" => "200 OK",
                    _ => "401 Unauthorized",
                };
                let mut stream = stream;
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                );
            });
        }
    });
    addr
}

fn fixture() -> Fixture {
    let pair = Arc::new(KeyPair::generate(Algorithm::Rs256, 2048, Some("k1".into())).unwrap());
    let addr = serve(Arc::clone(&pair));
    let h = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#);
    let p = URL_SAFE_NO_PAD
        .encode(json!({"sub": "alice", "iat": NOW - 60, "exp": NOW + 900}).to_string());
    let input = format!("{h}.{p}");
    let sig = pair.signing_key().unwrap().sign(input.as_bytes()).unwrap();
    let token = format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig));
    let signing = pair.signing_key().unwrap();
    Fixture {
        pair,
        signing,
        addr,
        token,
    }
}

fn options<'f>(f: &'f Fixture, path: &str) -> ProbeOptions<'f> {
    ProbeOptions {
        url: format!("http://{}{path}", f.addr),
        method: Method::Get,
        header: None,
        expect_status: None,
        max_requests: 60,
        interval: Duration::from_millis(1),
        jwks: Some(f.pair.jwks()),
        signing_key: Some(&f.signing),
        now: NOW,
    }
}

fn accepted_attacks(
    f: &Fixture,
    path: &str,
) -> (BTreeSet<&'static str>, jwtkeep_audit::probe::ProbeReport) {
    let report = run(&f.token, &options(f, path), |_, _| {}).unwrap();
    (report.accepted().map(|a| a.attack.id()).collect(), report)
}

#[test]
fn a_server_that_trusts_the_header_falls_to_each_header_attack() {
    let f = fixture();
    let (accepted, report) = accepted_attacks(&f, "/confused");
    let expected: BTreeSet<&str> = [
        Attack::AlgNone,
        Attack::HsConfusion,
        Attack::Expired,
        Attack::NotYetValid,
        Attack::KidTraversal,
        Attack::KidInjection,
        Attack::EmbeddedJwk,
        Attack::Jku,
        Attack::PsychicEcdsa,
    ]
    .iter()
    .map(|a| a.id())
    .collect();
    assert_eq!(accepted, expected);
    assert_eq!(report.valid_status, 200);
    assert_eq!(report.no_token_status, 401);
    assert!(
        report.header_urls_fetched >= 1,
        "the jku was fetched from our loopback publisher"
    );
    let none: Vec<_> = report
        .attempts
        .iter()
        .filter(|a| a.attack == Attack::AlgNone)
        .collect();
    assert_eq!(none.len(), 4, "four spellings of none");
    assert!(none.iter().all(|a| a.accepted));
}

#[test]
fn a_server_that_only_decodes_accepts_anything_signed_or_not() {
    let f = fixture();
    let (accepted, _) = accepted_attacks(&f, "/naive");
    for attack in [
        Attack::SignatureStripped,
        Attack::PayloadTampered,
        Attack::AlgNone,
        Attack::Expired,
    ] {
        assert!(
            accepted.contains(attack.id()),
            "{} not reported",
            attack.id()
        );
    }
}

#[test]
fn a_strict_server_accepts_no_attack() {
    let f = fixture();
    let (accepted, report) = accepted_attacks(&f, "/strict");
    assert!(accepted.is_empty(), "{accepted:?}");
    assert!(
        report.attempts.len() >= 15,
        "{} attempts",
        report.attempts.len()
    );
    assert!(report.attempts.iter().all(|a| a.status == Some(401)));
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
}

#[test]
fn attacks_that_need_keys_are_skipped_with_the_reason_and_the_budget_holds() {
    let f = fixture();
    let mut o = options(&f, "/strict");
    o.jwks = None;
    o.signing_key = None;
    o.max_requests = 8;
    let report = run(&f.token, &o, |_, _| {}).unwrap();
    assert_eq!(report.requests, 8);
    let skipped: BTreeSet<&str> = report.skipped.iter().map(|s| s.attack.id()).collect();
    assert!(skipped.contains("hs-confusion") && skipped.contains("expired"));
    assert!(report
        .skipped
        .iter()
        .any(|s| s.reason.contains("--max-requests 8")));
}

#[test]
fn reads_a_jwks_from_a_url_and_refuses_what_is_not_one() {
    let f = fixture();
    let publisher = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = publisher.local_addr().unwrap();
    let body = serde_json::to_string(&f.pair.jwks()).unwrap();
    std::thread::spawn(move || {
        for (i, mut s) in publisher.incoming().flatten().enumerate() {
            let mut buf = [0u8; 1024];
            let _ = s.read(&mut buf);
            let (status, text) = if i == 0 {
                ("200 OK", body.as_str())
            } else {
                ("200 OK", "not json")
            };
            let _ = s.write_all(
                format!(
                    "HTTP/1.1 {status}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{text}",
                    text.len()
                )
                .as_bytes(),
            );
        }
    });
    let set = jwtkeep_audit::probe::fetch_jwks(&format!("http://{addr}/jwks.json")).unwrap();
    assert_eq!(set.keys[0].kid.as_deref(), Some("k1"));
    let err = jwtkeep_audit::probe::fetch_jwks(&format!("http://{addr}/jwks.json")).unwrap_err();
    assert!(err.to_string().contains("not a JWKS"), "{err}");
}

#[test]
fn refuses_to_probe_when_the_baseline_makes_no_sense() {
    let f = fixture();
    let err = run("not a token", &options(&f, "/strict"), |_, _| {}).unwrap_err();
    assert_eq!(err.code(), "token_malformed");
    let err = run(&f.token, &options(&f, "/nowhere"), |_, _| {}).unwrap_err();
    assert!(matches!(err, ProbeError::ValidRefused(401)), "{err}");
    let err = run(&f.token, &options(&f, "/open"), |_, _| {}).unwrap_err();
    assert!(matches!(err, ProbeError::NoTokenNeeded(200)), "{err}");
    let mut o = options(&f, "/strict");
    o.expect_status = Some(204);
    let err = run(&f.token, &o, |_, _| {}).unwrap_err();
    assert!(matches!(err, ProbeError::ValidRefused(200)), "{err}");
    let mut o = options(&f, "/strict");
    o.max_requests = 2;
    assert_eq!(
        run(&f.token, &o, |_, _| {}).unwrap_err().code(),
        "budget_too_small"
    );
    let mut o = options(&f, "/strict");
    o.url = "ftp://127.0.0.1/".to_owned();
    assert_eq!(
        run(&f.token, &o, |_, _| {}).unwrap_err().code(),
        "request_failed"
    );
}
