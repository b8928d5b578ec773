//! `jwtkeep audit`: the secret search through every source, what is shown and
//! hidden, the refusals, and the progress line in a real terminal.

use super::*;
use aws_lc_rs::hmac;

/// A compact token with `header` and `claims`, HMAC-signed with `secret`.
fn hmac_token(alg: &str, secret: &[u8], claims: &str) -> String {
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let input = format!(
        "{}.{}",
        b64(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#).as_bytes()),
        b64(claims.as_bytes())
    );
    let algorithm = match alg {
        "HS256" => hmac::HMAC_SHA256,
        "HS384" => hmac::HMAC_SHA384,
        _ => hmac::HMAC_SHA512,
    };
    let tag = hmac::sign(&hmac::Key::new(algorithm, secret), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// Claims that lint clean (as of NOW): iss, sub, aud, jti, iat, a short exp.
const CLEAN: &str = r#"{"iss":"https://auth.example.com","sub":"u1","aud":"api","jti":"j1","iat":1800000000,"exp":1800000900}"#;
const NOW: &str = "1800000100";

fn audit(args: &[&str]) -> Output {
    let mut all = vec!["audit", "--now", NOW];
    all.extend_from_slice(args);
    jwtkeep(&all, None)
}

#[test]
fn finds_a_bundled_secret_and_prints_it_only_when_asked() {
    let token = hmac_token("HS256", b"supersecretkey", CLEAN);
    let out = audit(&[&token]);
    let text = stdout(&out);
    assert_eq!(code(&out), 1, "{text}");
    assert!(text.contains("FOUND"), "{text}");
    assert!(
        text.contains("bundled list of known-weak JWT secrets"),
        "{text}"
    );
    assert!(text.contains("Rotate it now"), "{text}");
    assert!(!text.contains("supersecretkey"), "secret shown: {text}");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));

    let out = audit(&[&token, "--json"]);
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(code(&out), 1);
    assert_eq!(j["weak_secret"]["found"], true);
    assert_eq!(j["weak_secret"]["source"], "bundled");
    assert!(j["weak_secret"].get("secret").is_none(), "{j}");
    assert!(!stdout(&out).contains("supersecretkey"));

    let out = audit(&[&token, "--json", "--show-secret"]);
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(j["weak_secret"]["secret"], "supersecretkey");
    let out = audit(&[&token, "--show-secret"]);
    assert!(stdout(&out).contains("secret: supersecretkey"));
}

#[test]
fn the_empty_secret_is_tried_first() {
    let token = hmac_token("HS512", b"", CLEAN);
    let out = audit(&[&token, "--json"]);
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(code(&out), 1);
    assert_eq!(j["weak_secret"]["source"], "empty");
    assert_eq!(j["weak_secret"]["candidates_tried"], 1);
}

#[test]
fn finds_a_secret_in_a_wordlist_at_its_line_and_reads_the_token_from_stdin() {
    let dir = tempfile::tempdir().unwrap();
    let list = dir.path().join("words.txt");
    fs::write(&list, b"first\r\n\nacme-corp-signing-key-77\r\nlast").unwrap();
    let token = hmac_token("HS512", b"acme-corp-signing-key-77", CLEAN);
    let out = jwtkeep_in(
        dir.path(),
        &["audit", "--now", NOW, "--wordlist", "words.txt", "--json"],
        Some(token.as_bytes()),
    );
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(code(&out), 1, "{j}");
    assert_eq!(j["weak_secret"]["source"], "wordlist");
    assert_eq!(j["weak_secret"]["wordlist"], "words.txt");
    assert_eq!(j["weak_secret"]["line"], 3);
    let _ = list;
}

#[test]
fn finds_a_secret_built_from_a_hint() {
    let token = hmac_token("HS384", b"MyShop_jwt-2025", CLEAN);
    let out = audit(&[&token, "--json"]);
    assert_eq!(code(&out), 0, "not on any list without the hint");
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(j["weak_secret"]["found"], false);
    assert!(j["weak_secret"]["candidates_tried"].as_u64().unwrap() > 100_000);

    let out = audit(&[&token, "--hint", "MyShop", "--json", "--show-secret"]);
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(code(&out), 1);
    assert_eq!(j["weak_secret"]["source"], "hint");
    assert_eq!(j["weak_secret"]["secret"], "MyShop_jwt-2025");
}

#[test]
fn a_secret_on_no_list_is_not_found_and_a_clean_token_exits_zero() {
    let token = hmac_token("HS256", b"Zq8#vT2!pL9@wX4$kR7%mN1^bC6&hY3*", CLEAN);
    let out = audit(&[&token]);
    let text = stdout(&out);
    assert_eq!(code(&out), 0, "{text}");
    assert!(text.contains("findings: none"), "{text}");
    assert!(text.contains("not found among"), "{text}");
    assert!(text.contains("proves nothing"), "{text}");
}

#[test]
fn tokens_without_a_shared_secret_are_still_linted() {
    let dir = tempfile::tempdir().unwrap();
    let key = jwtkeep_in(
        dir.path(),
        &["gen", "key", "--alg", "ES256", "--out-dir", "keys"],
        None,
    );
    assert_eq!(code(&key), 0, "{}", stderr(&key));
    let signed = jwtkeep_in(
        dir.path(),
        &[
            "token",
            "sign",
            "--key",
            "keys/private.jwk.json",
            "--exp",
            "2d",
        ],
        None,
    );
    assert_eq!(code(&signed), 0, "{}", stderr(&signed));
    let token = stdout(&signed).trim().to_owned();
    let out = jwtkeep(&["audit", &token, "--json"], None);
    let j: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(j["weak_secret"]["applicable"], false, "{j}");
    assert!(j["weak_secret"]["reason"]
        .as_str()
        .unwrap()
        .contains("private key"));
    let codes: Vec<&str> = j["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"long_lifetime"), "{codes:?}");
    assert_eq!(code(&out), 1, "a two-day token is a finding");
}

#[test]
fn bad_input_is_a_one_line_usage_error() {
    let token = hmac_token("HS256", b"x", CLEAN);
    assert_usage_error(&audit(&["not-a-token"]), "cannot decode the token");
    assert_usage_error(
        &audit(&[&token, "--wordlist", "/nonexistent/words.txt"]),
        "wordlist",
    );
    let hints: Vec<String> = (0..17).map(|i| format!("--hint=w{i}")).collect();
    let mut args = vec![token.as_str()];
    args.extend(hints.iter().map(String::as_str));
    assert_usage_error(&audit(&args), "at most 16");
}

/// In a terminal, a search longer than a second draws a progress line on
/// stderr and erases it; piped, nothing is drawn.
#[test]
fn a_long_search_shows_progress_only_in_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let mut list = Vec::new();
    for i in 0..3_000_000u32 {
        writeln!(list, "candidate-{i:08x}").unwrap();
    }
    fs::write(dir.path().join("big.txt"), &list).unwrap();
    let token = hmac_token("HS256", b"on no list, 81c2", CLEAN);
    let bin = env!("CARGO_BIN_EXE_jwtkeep");
    // The same list three times: 9 million candidates, about three seconds
    // here, so the search outlasts the quiet second by a wide margin however
    // fast the machine is that day (once, it took 0.98 s and drew nothing).
    let command = format!(
        "{bin} audit {token} --wordlist big.txt --wordlist big.txt --wordlist big.txt \
         --threads 1 --now {NOW}"
    );
    let out = Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .expect("script (util-linux) runs the command in a terminal");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("% "), "no progress line: {shown}");
    assert!(shown.contains("big.txt"), "{shown}");
    assert!(
        shown.contains("\r\x1b[2K"),
        "the line is not erased: {shown}"
    );
    assert!(
        shown.contains("not found among 9103979 candidates"),
        "{shown}"
    );

    let piped = jwtkeep_in(
        dir.path(),
        &[
            "audit",
            &token,
            "--wordlist",
            "big.txt",
            "--threads",
            "1",
            "--now",
            NOW,
        ],
        None,
    );
    assert!(stderr(&piped).is_empty(), "{}", stderr(&piped));
}
