//! `jwtkeep probe` against the real `jwtkeep serve` on 127.0.0.1: every
//! attack refused, the baseline learnt, and clear refusals of bad input.
//! (The library's tests run the same attacks against a deliberately
//! vulnerable fixture, where they succeed.)

use super::*;

#[test]
fn jwtkeep_serve_refuses_every_attack() {
    let dir = tempfile::tempdir().unwrap();
    let password = "probe test password, long enough";
    let out = jwtkeep_in(
        dir.path(),
        &["user", "add", "alice"],
        Some(password.as_bytes()),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (child, addr, _) = start_serve(dir.path());
    let token = access_token(&addr, "alice", password);
    let url = format!("http://{addr}/v1/auth/me");
    let jwks = format!("http://{addr}/.well-known/jwks.json");
    let out = jwtkeep_in(
        dir.path(),
        &[
            "probe", &url, "--token", &token, "--jwks", &jwks, "--rate", "50", "--json",
        ],
        None,
    );
    let report: Value =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    assert_eq!(code(&out), 0, "{report}");
    assert_eq!(report["accepted"], 0, "{report}");
    assert_eq!(report["valid_status"], 200);
    assert_eq!(report["no_token_status"], 401);
    let attempts = report["attempts"].as_array().unwrap();
    let ids: std::collections::BTreeSet<&str> = attempts
        .iter()
        .map(|a| a["attack"].as_str().unwrap())
        .collect();
    for id in [
        "alg-none",
        "signature-stripped",
        "payload-tampered",
        "hs-confusion",
        "kid-traversal",
        "kid-injection",
        "embedded-jwk",
        "jku",
        "x5u",
        "psychic-ecdsa",
    ] {
        assert!(ids.contains(id), "{id} not sent: {ids:?}");
    }
    assert!(attempts.iter().all(|a| a["status"] == 401), "{report}");
    assert_eq!(
        report["requests"].as_u64().unwrap(),
        attempts.len() as u64 + 2
    );
    assert_eq!(
        report["header_urls_fetched"], 0,
        "jwtkeep never fetches header URLs"
    );
    // The expiry attacks need the signing key, which only the service holds.
    let skipped: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["attack"].as_str().unwrap())
        .collect();
    assert_eq!(skipped, ["expired", "not-yet-valid"]);

    let text = jwtkeep_in(
        dir.path(),
        &["probe", &url, "--token", "-", "--rate", "50"],
        Some(token.as_bytes()),
    );
    assert_eq!(code(&text), 0, "{}", stderr(&text));
    let shown = stdout(&text);
    assert!(
        shown.contains("the valid token gets 200, no token gets 401"),
        "{shown}"
    );
    assert!(
        shown.contains("refused   alg-none (alg none): 401"),
        "{shown}"
    );
    assert!(
        shown.contains("skipped   hs-confusion: needs the endpoint's public keys"),
        "{shown}"
    );
    assert!(shown.contains("0 of "), "{shown}");
    assert!(!shown.contains(&token), "the token is not echoed");
    stop(child);
}

#[test]
fn bad_probe_input_is_a_one_line_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let (child, addr, _) = start_serve(dir.path());
    let url = format!("http://{addr}/v1/auth/me");
    assert_usage_error(
        &jwtkeep(&["probe", &url, "--token", "not-a-token"], None),
        "compact JWT",
    );
    assert_usage_error(
        &jwtkeep(&["probe", "ftp://example.com/", "--token", "a.b.c"], None),
        "",
    );
    // A token the endpoint refuses: the baseline makes no sense.
    let header = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(r#"{"alg":"ES256"}"#);
    let forged = format!("{header}.e30.{}", "A".repeat(86));
    assert_usage_error(
        &jwtkeep(&["probe", &url, "--token", &forged], None),
        "give a token it accepts",
    );
    let out = jwtkeep(
        &["probe", &url, "--token", "a.b.c", "--max-requests", "2"],
        None,
    );
    assert_eq!(code(&out), 2);
    assert_usage_error(
        &jwtkeep(
            &[
                "probe",
                &url,
                "--token",
                "a.b.c",
                "--jwks",
                "/no/such/jwks.json",
            ],
            None,
        ),
        "JWKS file",
    );
    stop(child);
}
