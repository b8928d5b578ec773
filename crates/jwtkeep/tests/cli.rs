//! The real `jwtkeep` binary, run in temporary directories: exit codes, file
//! modes, `--json` output, and that no secret reaches stderr.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::fs;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use base64::Engine as _;
use jwtkeep_core::encoding::{TextEncoding, BASE64, BASE64URL};
use jwtkeep_core::{Algorithm, Jwk, JwkSet, SigningKey, VerifyingKey};
use serde_json::Value;

#[path = "cli/audit.rs"]
mod audit;
#[path = "cli/gate.rs"]
mod gate;
/// The store tests' psql helper, shared by path.
#[path = "../../jwtkeep-store/tests/store/pg_schema.rs"]
mod pg_schema;
#[path = "cli/probe.rs"]
mod probe;
#[path = "cli/scan.rs"]
mod scan;
#[path = "cli/tls.rs"]
mod tls;

fn jwtkeep_in(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_jwtkeep"))
        .args(args)
        .current_dir(dir)
        .env_remove("JWT_SECRET")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        // A command that rejects its arguments exits before it reads its input;
        // the pipe it closed is then no failure of the test.
        match child.stdin.take().unwrap().write_all(input) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            other => other.unwrap(),
        }
    }
    child.wait_with_output().unwrap()
}

fn jwtkeep(args: &[&str], stdin: Option<&[u8]>) -> Output {
    let dir = tempfile::tempdir().unwrap();
    jwtkeep_in(dir.path(), args, stdin)
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn code(out: &Output) -> i32 {
    out.status.code().unwrap()
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A usage error: exit 2 and exactly one line on stderr.
fn assert_usage_error(out: &Output, needle: &str) {
    let err = stderr(out);
    assert_eq!(code(out), 2, "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    assert!(
        err.starts_with("jwtkeep: ") || err.starts_with("error: "),
        "{err}"
    );
    assert!(err.contains(needle), "{err:?} lacks {needle:?}");
}

// ---------------------------------------------------------------- gen secret

#[test]
fn gen_secret_default_is_32_random_bytes_in_base64url() {
    let out = jwtkeep(&["gen", "secret"], None);
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    let line = text.trim_end();
    assert_eq!(line.len(), 43);
    assert_eq!(BASE64URL.decode(line).unwrap().len(), 32);
    let again = stdout(&jwtkeep(&["gen", "secret"], None));
    assert_ne!(text, again);
}

#[test]
fn every_algorithm_and_value_format_decodes_to_the_stated_length() {
    for (alg, len) in [("HS256", 32), ("HS384", 48), ("HS512", 64)] {
        for (format, enc) in [
            ("base64url", TextEncoding::Base64Url),
            ("base64", TextEncoding::Base64),
            ("hex", TextEncoding::Hex),
        ] {
            let out = jwtkeep(&["gen", "secret", "--alg", alg, "--format", format], None);
            assert_eq!(code(&out), 0);
            let value = stdout(&out);
            assert_eq!(
                enc.decode(value.trim_end()).unwrap().len(),
                len,
                "{alg} {format}"
            );
        }
        let out = jwtkeep(
            &[
                "gen", "secret", "--alg", alg, "--bytes", "100", "--format", "hex",
            ],
            None,
        );
        assert_eq!(
            TextEncoding::Hex
                .decode(stdout(&out).trim_end())
                .unwrap()
                .len(),
            100
        );
    }
}

#[test]
fn bytes_below_the_minimum_is_refused_naming_it() {
    let out = jwtkeep(&["gen", "secret", "--alg", "HS384", "--bytes", "32"], None);
    assert_usage_error(&out, "minimum of 48 bytes");
    assert!(stdout(&out).is_empty());
}

#[test]
fn unknown_and_none_algorithms_are_usage_errors() {
    let out = jwtkeep(&["gen", "secret", "--alg", "HS999"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("unknown algorithm"));
    let out = jwtkeep(&["gen", "secret", "--alg", "none"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("never accepted"));
    let out = jwtkeep(&["gen", "secret", "--alg", "ES256"], None);
    assert_usage_error(&out, "jwtkeep gen key --alg ES256");
}

#[test]
fn purposes_get_independent_conventionally_named_secrets() {
    let out = jwtkeep(
        &[
            "gen",
            "secret",
            "--purpose",
            "access,refresh,email",
            "--format",
            "env",
        ],
        None,
    );
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    let pairs: Vec<(&str, &str)> = text.lines().map(|l| l.split_once('=').unwrap()).collect();
    let names: Vec<&str> = pairs.iter().map(|p| p.0).collect();
    assert_eq!(
        names,
        [
            "JWT_ACCESS_SECRET",
            "JWT_REFRESH_SECRET",
            "JWT_EMAIL_SECRET"
        ]
    );
    assert_ne!(pairs[0].1, pairs[1].1);
    assert_ne!(pairs[1].1, pairs[2].1);
    let out = jwtkeep(
        &[
            "gen",
            "secret",
            "--name",
            "API_TOKEN_KEY",
            "--format",
            "env",
        ],
        None,
    );
    assert!(stdout(&out).starts_with("API_TOKEN_KEY="));
}

#[test]
fn json_output_describes_each_secret() {
    let out = jwtkeep(
        &["gen", "secret", "--alg", "HS512", "--count", "3", "--json"],
        None,
    );
    assert_eq!(code(&out), 0);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["alg"], "HS512");
    assert_eq!(doc["bytes"], 64);
    let secrets = doc["secrets"].as_array().unwrap();
    assert_eq!(secrets.len(), 3);
    assert_eq!(secrets[2]["name"], "JWT_SECRET_3");
    for s in secrets {
        let value = BASE64URL.decode(s["value"].as_str().unwrap()).unwrap();
        assert_eq!(value.len(), 64);
        let jwk = Jwk::symmetric(&value, Algorithm::Hs512, None);
        assert_eq!(s["kid"], jwk.kid.unwrap().as_str());
    }
}

#[test]
fn jwk_format_is_an_oct_key_with_thumbprint_kid() {
    let out = jwtkeep(
        &["gen", "secret", "--format", "jwk", "--alg", "HS384"],
        None,
    );
    let jwk: Jwk = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(jwk.kty, "oct");
    assert_eq!(jwk.alg.as_deref(), Some("HS384"));
    assert_eq!(jwk.use_.as_deref(), Some("sig"));
    assert_eq!(
        BASE64URL
            .decode(jwk.k.as_ref().unwrap().expose())
            .unwrap()
            .len(),
        48
    );
    assert_eq!(jwk.kid, Some(jwk.thumbprint().unwrap()));
    let out = jwtkeep(
        &[
            "gen",
            "secret",
            "--format",
            "jwk",
            "--purpose",
            "access,refresh",
        ],
        None,
    );
    let set: JwkSet = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(set.keys.len(), 2);
}

#[test]
fn k8s_manifest_carries_base64_of_each_value() {
    let out = jwtkeep(
        &[
            "gen",
            "secret",
            "--format",
            "k8s",
            "--purpose",
            "access,refresh",
            "--env",
            "staging",
        ],
        None,
    );
    assert_eq!(code(&out), 0);
    let text = stdout(&out);
    assert!(text.starts_with("apiVersion: v1\nkind: Secret\nmetadata:\n  name: jwt-secrets-staging\ntype: Opaque\ndata:\n"));
    for name in ["JWT_ACCESS_SECRET", "JWT_REFRESH_SECRET"] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap();
        let data = line.split_once(": ").unwrap().1;
        let value = BASE64.decode(data).unwrap();
        let secret = BASE64URL.decode(&value).unwrap();
        assert_eq!(secret.len(), 32);
    }
}

// ------------------------------------------------------------ .env writing

#[test]
fn write_creates_env_file_0600_and_prints_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let out = jwtkeep_in(
        dir.path(),
        &[
            "gen",
            "secret",
            "--purpose",
            "access,refresh",
            "--env",
            "production",
            "--write",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let path = dir.path().join(".env.production");
    assert_eq!(mode(&path), 0o600);
    let text = fs::read_to_string(&path).unwrap();
    let access = text
        .lines()
        .find_map(|l| l.strip_prefix("JWT_ACCESS_SECRET="))
        .unwrap();
    assert_eq!(BASE64URL.decode(access).unwrap().len(), 32);
    assert!(text.contains("JWT_REFRESH_SECRET="));
    assert!(!stdout(&out).contains(access));
    assert!(!stderr(&out).contains(access));
    assert!(stdout(&out).contains("wrote JWT_ACCESS_SECRET, JWT_REFRESH_SECRET to .env.production"));
}

#[test]
fn write_keeps_other_lines_and_refuses_to_overwrite_without_rotate() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(".env.production");
    let original = "# settings\nPORT=8080\nJWT_ACCESS_SECRET=old-access-value\n\nexport DATABASE_URL='postgres://db'\n";
    fs::write(&path, original).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();

    let args = [
        "gen",
        "secret",
        "--purpose",
        "access,refresh",
        "--env",
        "production",
        "--write",
    ];
    let out = jwtkeep_in(dir.path(), &args, None);
    assert_usage_error(&out, "pass --rotate");
    assert_eq!(
        fs::read_to_string(&path).unwrap(),
        original,
        "refusal must not change the file"
    );

    let mut rotate = args.to_vec();
    rotate.push("--rotate");
    let out = jwtkeep_in(dir.path(), &rotate, None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let text = fs::read_to_string(&path).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "# settings");
    assert_eq!(lines[1], "PORT=8080");
    assert!(
        lines[2].starts_with("JWT_ACCESS_SECRET=")
            && lines[2] != "JWT_ACCESS_SECRET=old-access-value"
    );
    assert_eq!(lines[3], "JWT_ACCESS_SECRET_PREVIOUS=old-access-value");
    assert_eq!(lines[4], "");
    assert_eq!(lines[5], "export DATABASE_URL='postgres://db'");
    assert!(lines[6].starts_with("JWT_REFRESH_SECRET="));
    assert_eq!(mode(&path), 0o600);
    assert!(stderr(&out).contains("now 0600"));
    assert!(!stderr(&out).contains("old-access-value"));
}

#[test]
fn environment_names_cannot_escape_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let out = jwtkeep_in(
        dir.path(),
        &["gen", "secret", "--env", "../x", "--write"],
        None,
    );
    assert_usage_error(&out, "not a valid environment name");
    assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn malformed_env_line_is_a_one_line_error_that_hides_the_line() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(".env"), "A=1\nsuper secret words\n").unwrap();
    let out = jwtkeep_in(dir.path(), &["gen", "secret", "--write"], None);
    assert_usage_error(&out, ".env line 2 is not KEY=value");
    assert!(!stderr(&out).contains("super secret"));
}

#[test]
fn warns_when_env_file_is_not_git_ignored_and_gitignore_fixes_it() {
    let dir = tempfile::tempdir().unwrap();
    let git = Command::new("git")
        .args(["init", "-q"])
        .current_dir(dir.path())
        .status()
        .unwrap();
    assert!(git.success());
    let out = jwtkeep_in(
        dir.path(),
        &["gen", "secret", "--env", "dev", "--write"],
        None,
    );
    assert_eq!(code(&out), 0);
    assert!(
        stderr(&out).contains(".env.dev is not git-ignored"),
        "{}",
        stderr(&out)
    );

    let out = jwtkeep_in(
        dir.path(),
        &["gen", "secret", "--env", "test", "--write", "--gitignore"],
        None,
    );
    assert_eq!(code(&out), 0);
    assert!(!stderr(&out).contains("not git-ignored"));
    let ignore = fs::read_to_string(dir.path().join(".gitignore")).unwrap();
    for pattern in [".env*", "*.pem", "*.key"] {
        assert!(ignore.lines().any(|l| l == pattern), "{ignore}");
    }
    let out = jwtkeep_in(
        dir.path(),
        &["gen", "secret", "--env", "stage", "--write"],
        None,
    );
    assert!(!stderr(&out).contains("not git-ignored"));
}

// ------------------------------------------------------------------ gen key

fn openssl(args: &[&str]) -> Output {
    Command::new("openssl")
        .args(args)
        .output()
        .expect("openssl must be installed")
}

#[test]
fn every_key_algorithm_writes_files_that_openssl_parses_and_jwtkeep_verifies() {
    for alg in ["RS256", "PS384", "ES256", "ES384", "ES512", "EdDSA"] {
        let dir = tempfile::tempdir().unwrap();
        let out = jwtkeep_in(
            dir.path(),
            &[
                "gen",
                "key",
                "--alg",
                alg,
                "--bits",
                "2048",
                "--out-dir",
                "keys",
                "--json",
            ],
            None,
        );
        assert_eq!(code(&out), 0, "{alg}: {}", stderr(&out));
        let keys = dir.path().join("keys");
        assert_eq!(mode(&keys), 0o700);
        assert_eq!(mode(&keys.join("private.pem")), 0o600);
        assert_eq!(mode(&keys.join("private.jwk.json")), 0o600);
        assert_eq!(mode(&keys.join("public.pem")), 0o644);

        let private = keys.join("private.pem");
        let public = keys.join("public.pem");
        let parsed = openssl(&["pkey", "-in", private.to_str().unwrap(), "-noout"]);
        assert!(
            parsed.status.success(),
            "{alg}: {}",
            String::from_utf8_lossy(&parsed.stderr)
        );
        let derived = openssl(&["pkey", "-in", private.to_str().unwrap(), "-pubout"]);
        assert_eq!(
            String::from_utf8(derived.stdout).unwrap(),
            fs::read_to_string(&public).unwrap()
        );
        let parsed = openssl(&["pkey", "-pubin", "-in", public.to_str().unwrap(), "-noout"]);
        assert!(parsed.status.success(), "{alg}");

        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
        let jwks: JwkSet =
            serde_json::from_str(&fs::read_to_string(keys.join("jwks.json")).unwrap()).unwrap();
        let public_jwk = &jwks.keys[0];
        assert!(!public_jwk.is_private());
        assert_eq!(public_jwk.kid.as_deref(), doc["kid"].as_str());
        assert_eq!(
            public_jwk.thumbprint().unwrap(),
            doc["kid"].as_str().unwrap()
        );
        let private_jwk: Jwk =
            serde_json::from_str(&fs::read_to_string(keys.join("private.jwk.json")).unwrap())
                .unwrap();
        assert!(private_jwk.is_private());
        assert_eq!(
            private_jwk.thumbprint().unwrap(),
            public_jwk.thumbprint().unwrap()
        );

        let algorithm: Algorithm = alg.parse().unwrap();
        let (_, der) = jwtkeep_core::pem::decode(&fs::read_to_string(&private).unwrap()).unwrap();
        let signer = SigningKey::from_pkcs8(algorithm, &der).unwrap();
        let (_, spki) = jwtkeep_core::pem::decode(&fs::read_to_string(&public).unwrap()).unwrap();
        let verifier = VerifyingKey::from_public_bytes(algorithm, &spki).unwrap();
        let sig = signer.sign(b"eyJhbGciOiJFUzI1NiJ9.e30").unwrap();
        assert!(
            verifier.verify(b"eyJhbGciOiJFUzI1NiJ9.e30", &sig).is_ok(),
            "{alg}"
        );
        assert!(
            verifier.verify(b"eyJhbGciOiJFUzI1NiJ9.e31", &sig).is_err(),
            "{alg}"
        );
    }
}

#[test]
fn gen_key_prints_pem_and_jwks_and_refuses_small_rsa() {
    let out = jwtkeep(&["gen", "key", "--alg", "EdDSA"], None);
    let text = stdout(&out);
    assert!(text.starts_with("-----BEGIN PRIVATE KEY-----\n"));
    assert!(text.contains("-----BEGIN PUBLIC KEY-----\n"));
    let out = jwtkeep(
        &[
            "gen", "key", "--alg", "ES384", "--kid", "2026-11", "--format", "jwks",
        ],
        None,
    );
    let set: JwkSet = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(set.keys[0].kid.as_deref(), Some("2026-11"));
    assert_eq!(set.keys[0].crv.as_deref(), Some("P-384"));
    let out = jwtkeep(&["gen", "key", "--alg", "RS256", "--bits", "1024"], None);
    assert_usage_error(&out, "at least 2048 bits");
    let out = jwtkeep(&["gen", "key", "--alg", "HS256"], None);
    assert_usage_error(&out, "jwtkeep gen secret --alg HS256");
}

#[test]
fn gen_key_refuses_to_overwrite_without_force() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(
        code(&jwtkeep_in(
            dir.path(),
            &["gen", "key", "--out-dir", "k"],
            None
        )),
        0
    );
    let before = fs::read(dir.path().join("k/private.pem")).unwrap();
    let out = jwtkeep_in(dir.path(), &["gen", "key", "--out-dir", "k"], None);
    assert_usage_error(&out, "--force");
    assert_eq!(fs::read(dir.path().join("k/private.pem")).unwrap(), before);
    assert_eq!(
        code(&jwtkeep_in(
            dir.path(),
            &["gen", "key", "--out-dir", "k", "--force"],
            None
        )),
        0
    );
    assert_ne!(fs::read(dir.path().join("k/private.pem")).unwrap(), before);
}

// -------------------------------------------------------------------- check

fn check(args: &[&str], secret: &str) -> Output {
    let mut all = vec!["check"];
    all.extend_from_slice(args);
    let out = jwtkeep(&all, Some(secret.as_bytes()));
    assert!(
        !secret.is_empty() && !stderr(&out).contains(secret),
        "secret leaked to stderr"
    );
    assert!(!stdout(&out).contains(secret), "secret leaked to stdout");
    out
}

fn finding_codes(out: &Output) -> Vec<String> {
    let doc: Value = serde_json::from_str(&stdout(out)).unwrap();
    doc["results"][0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn generated_secret_checks_strong() {
    for alg in ["HS256", "HS384", "HS512"] {
        for format in ["base64url", "base64", "hex"] {
            let secret = stdout(&jwtkeep(
                &["gen", "secret", "--alg", alg, "--format", format],
                None,
            ));
            let out = check(&["--alg", alg, "--json"], &secret);
            assert_eq!(code(&out), 0, "{alg} {format}: {}", stdout(&out));
            let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
            assert_eq!(doc["verdict"], "strong");
            let seen = doc["results"][0]["encoding"].as_str().unwrap();
            // Unpadded base64 without + or / is base64url too, with the same bytes.
            let ambiguous = format == "base64" && !secret.contains(['+', '/', '=']);
            assert!(
                seen == format || (ambiguous && seen == "base64url"),
                "{format} read as {seen}"
            );
        }
    }
}

#[test]
fn known_weak_placeholder_short_and_patterned_secrets_are_findings() {
    let cases = [
        ("thisisthesecretkey", "known_weak"),
        ("your-256-bit-secret", "placeholder"),
        ("changeme-changeme-changeme-changeme", "placeholder"),
        ("kQ0d3Lw9o7fZbU1h", "too_short"),
        ("acme-production-secret-2024-jwt-key", "guessable_pattern"),
        ("qwertyuiopasdfghjklzxcvbnm1234567890", "low_entropy"),
        ("P@ssw0rdP@ssw0rdP@ssw0rdP@ssw0rd", "low_entropy"),
    ];
    for (secret, expected) in cases {
        let out = check(&["--json"], secret);
        assert_eq!(code(&out), 1, "{secret}");
        let codes = finding_codes(&out);
        assert!(codes.iter().any(|c| c == expected), "{secret}: {codes:?}");
    }
}

#[test]
fn check_text_output_states_the_assumed_encoding_and_fix() {
    let out = check(&[], "myapp-secret-2024\n");
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(
        text.starts_with("weak for HS256: 17 bytes (auto: used as text)"),
        "{text}"
    );
    assert!(text.contains("fix: generate a new one: jwtkeep gen secret --alg HS256"));
    let secret = stdout(&jwtkeep(&["gen", "secret", "--format", "hex"], None));
    let out = check(&[], &secret);
    assert!(
        stdout(&out).contains("auto: decoded as hex"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn a_secret_on_the_command_line_is_refused_with_the_stdin_form() {
    let out = jwtkeep(&["check", "hunter2hunter2"], None);
    assert_usage_error(&out, "printf '%s' \"$JWT_SECRET\" | jwtkeep check");
    assert!(!stderr(&out).contains("hunter2"));
}

#[test]
fn env_var_source_is_checked_and_missing_variable_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_jwtkeep"))
        .args(["check", "--env-var", "MY_JWT_SECRET", "--json"])
        .env("MY_JWT_SECRET", "supersecretkey")
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&out), 1);
    assert!(!stdout(&out).contains("supersecretkey") && !stderr(&out).contains("supersecretkey"));
    assert!(finding_codes(&out).contains(&"known_weak".to_owned()));
    let out = jwtkeep(&["check", "--env-var", "JWTKEEP_TEST_UNSET_VARIABLE"], None);
    assert_usage_error(&out, "is not set");
}

#[test]
fn dotenv_files_are_scanned_and_reuse_is_found_across_purposes_and_environments() {
    let dir = tempfile::tempdir().unwrap();
    let shared = stdout(&jwtkeep(&["gen", "secret"], None))
        .trim_end()
        .to_owned();
    let other = stdout(&jwtkeep(&["gen", "secret"], None))
        .trim_end()
        .to_owned();
    fs::write(
        dir.path().join(".env.production"),
        format!("PORT=80\nJWT_ACCESS_SECRET={shared}\nJWT_REFRESH_SECRET={shared}\nJWT_EXPIRES_IN=15m\n"),
    )
    .unwrap();
    fs::write(
        dir.path().join(".env.staging"),
        format!("JWT_ACCESS_SECRET={shared}\nJWT_REFRESH_SECRET=\"{other}\"\n"),
    )
    .unwrap();
    let out = jwtkeep_in(
        dir.path(),
        &[
            "check",
            "--dotenv",
            ".env.production",
            ".env.staging",
            "--json",
        ],
        None,
    );
    assert_eq!(code(&out), 1);
    for secret in [&shared, &other] {
        assert!(!stdout(&out).contains(secret.as_str()) && !stderr(&out).contains(secret.as_str()));
    }
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let results = doc["results"].as_array().unwrap();
    let names: Vec<(&str, &str)> = results
        .iter()
        .map(|r| (r["name"].as_str().unwrap(), r["source"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("JWT_ACCESS_SECRET", ".env.production"),
            ("JWT_REFRESH_SECRET", ".env.production"),
            ("JWT_ACCESS_SECRET", ".env.staging"),
            ("JWT_REFRESH_SECRET", ".env.staging"),
        ]
    );
    let codes = |i: usize| -> Vec<&str> {
        results[i]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["code"].as_str().unwrap())
            .collect()
    };
    assert!(codes(0).is_empty());
    assert_eq!(codes(1), ["reused_across_purposes"]);
    assert_eq!(codes(2), ["reused_across_environments"]);
    assert!(codes(3).is_empty());
    assert_eq!(results[3]["verdict"], "strong");
}

#[test]
fn unreadable_dotenv_is_a_usage_error() {
    let out = jwtkeep(&["check", "--dotenv", "does-not-exist.env"], None);
    assert_usage_error(&out, "cannot read does-not-exist.env");
}

// ------------------------------------------------------------ token and key

fn key_dir(alg: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = jwtkeep_in(
        dir.path(),
        &[
            "gen",
            "key",
            "--alg",
            alg,
            "--bits",
            "2048",
            "--out-dir",
            ".",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    dir
}

#[test]
fn signed_tokens_verify_against_pem_jwk_and_jwks_for_every_asymmetric_algorithm() {
    for alg in ["RS256", "PS512", "ES256", "ES512", "EdDSA"] {
        let dir = key_dir(alg);
        let out = jwtkeep_in(
            dir.path(),
            &[
                "token",
                "sign",
                "--key",
                "private.pem",
                "--alg",
                alg,
                "--sub",
                "u1",
                "--aud",
                "api",
                "--iss",
                "https://auth.example",
                "--typ",
                "at+jwt",
                "--claim",
                "scope=read write",
                "--claim",
                "level=3",
            ],
            None,
        );
        assert_eq!(code(&out), 0, "{alg}: {}", stderr(&out));
        let token = stdout(&out).trim().to_owned();
        for key in [
            &["--key", "jwks.json"][..],
            &["--key", "private.jwk.json"],
            &["--key", "public.pem", "--alg", alg],
        ] {
            let mut args = vec!["token", "verify", token.as_str()];
            args.extend_from_slice(key);
            args.extend_from_slice(&[
                "--iss",
                "https://auth.example",
                "--aud",
                "api",
                "--typ",
                "at+jwt",
                "--json",
            ]);
            let out = jwtkeep_in(dir.path(), &args, None);
            assert_eq!(code(&out), 0, "{alg} {key:?}: {}", stdout(&out));
            let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
            assert_eq!(doc["valid"], true);
            assert_eq!(doc["claims"]["sub"], "u1");
            assert_eq!(doc["claims"]["level"], 3);
            assert_eq!(doc["claims"]["scope"], "read write");
            assert_eq!(doc["header"]["alg"], alg);
            let exp = doc["claims"]["exp"].as_i64().unwrap();
            let iat = doc["claims"]["iat"].as_i64().unwrap();
            assert_eq!(exp - iat, 900, "default lifetime is 15 minutes");
            assert!(doc["claims"]["jti"].as_str().unwrap().len() >= 22);
        }
    }
}

#[test]
fn verify_rejects_with_exit_1_and_a_stable_code() {
    let dir = key_dir("ES256");
    let sign = |extra: &[&str]| {
        let mut args = vec![
            "token",
            "sign",
            "--key",
            "private.pem",
            "--alg",
            "ES256",
            "--aud",
            "api",
            "--now",
            "1800000000",
        ];
        args.extend_from_slice(extra);
        stdout(&jwtkeep_in(dir.path(), &args, None))
            .trim()
            .to_owned()
    };
    let token = sign(&[]);
    let cases: [(&[&str], &str); 5] = [
        (&["--now", "1800003600"], "token_expired"),
        (
            &["--aud", "other", "--now", "1800000000"],
            "audience_mismatch",
        ),
        (&["--typ", "at+jwt", "--now", "1800000000"], "type_mismatch"),
        (
            &["--iss", "https://auth.example", "--now", "1800000000"],
            "missing_claim",
        ),
        (
            &["--require", "scope", "--now", "1800000000"],
            "missing_claim",
        ),
    ];
    for (extra, expected) in cases {
        let mut args = vec![
            "token",
            "verify",
            token.as_str(),
            "--key",
            "jwks.json",
            "--json",
        ];
        args.extend_from_slice(extra);
        let out = jwtkeep_in(dir.path(), &args, None);
        assert_eq!(code(&out), 1, "{extra:?}");
        let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(doc["valid"], false);
        assert_eq!(doc["error"], expected, "{extra:?}");
    }
    // A token signed by another key: its kid names no key in this JWKS.
    let other = key_dir("ES256");
    let foreign = stdout(&jwtkeep_in(
        other.path(),
        &["token", "sign", "--key", "private.pem", "--alg", "ES256"],
        None,
    ));
    let out = jwtkeep_in(
        dir.path(),
        &[
            "token",
            "verify",
            foreign.trim(),
            "--key",
            "jwks.json",
            "--json",
        ],
        None,
    );
    assert_eq!(code(&out), 1);
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&out)).unwrap()["error"],
        "unknown_kid"
    );
}

#[test]
fn hmac_tokens_take_secrets_from_env_or_file_never_argv() {
    let dir = tempfile::tempdir().unwrap();
    let secret = stdout(&jwtkeep(&["gen", "secret"], None)).trim().to_owned();
    fs::write(dir.path().join("secret.txt"), format!("{secret}\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_jwtkeep"))
        .args([
            "token",
            "sign",
            "--secret-env",
            "MY_SECRET",
            "--sub",
            "u",
            "--exp",
            "5m",
        ])
        .env("MY_SECRET", &secret)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    assert!(!stderr(&out).contains(&secret));
    let out = jwtkeep_in(
        dir.path(),
        &["token", "verify", "-", "--secret-file", "secret.txt"],
        Some(token.as_bytes()),
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    assert!(!stdout(&out).contains(&secret));
    // The wrong algorithm for the key is a rejection, not a silent switch.
    let out = jwtkeep_in(
        dir.path(),
        &[
            "token",
            "verify",
            &token,
            "--secret-file",
            "secret.txt",
            "--alg",
            "HS384",
            "--json",
        ],
        None,
    );
    assert_eq!(code(&out), 1);
    // There is no --secret flag at all.
    let out = jwtkeep_in(dir.path(), &["token", "sign", "--secret", "abc"], None);
    assert_eq!(code(&out), 2);
}

#[test]
fn verify_and_sign_usage_errors_exit_2() {
    let dir = key_dir("ES256");
    assert_usage_error(
        &jwtkeep_in(
            dir.path(),
            &["token", "verify", "x.y.z", "--key", "public.pem"],
            None,
        ),
        "pass exactly one --alg",
    );
    assert_usage_error(
        &jwtkeep_in(
            dir.path(),
            &["token", "verify", "x.y.z", "--key", "missing.pem"],
            None,
        ),
        "cannot read missing.pem",
    );
    assert_usage_error(
        &jwtkeep_in(
            dir.path(),
            &[
                "token",
                "verify",
                "x.y.z",
                "--key",
                "jwks.json",
                "--leeway",
                "9999",
            ],
            None,
        ),
        "--leeway 9999",
    );
    assert_usage_error(
        &jwtkeep_in(dir.path(), &["token", "sign", "--key", "jwks.json"], None),
        "private key",
    );
    assert_usage_error(
        &jwtkeep_in(
            dir.path(),
            &[
                "token",
                "sign",
                "--key",
                "private.pem",
                "--alg",
                "ES256",
                "--exp",
                "soon",
            ],
            None,
        ),
        "is not a duration",
    );
    assert_usage_error(
        &jwtkeep_in(
            dir.path(),
            &[
                "token",
                "sign",
                "--key",
                "private.pem",
                "--alg",
                "ES256",
                "--claim",
                "exp=1",
            ],
            None,
        ),
        "set exp, which jwtkeep sets itself",
    );
}

#[test]
fn inspect_labels_tokens_unverified_and_lints_them() {
    let header = BASE64URL.encode(br#"{"alg":"none","jku":"https://evil.example/jwks"}"#);
    let payload = BASE64URL.encode(br#"{"sub":"u","password":"hunter2"}"#);
    let token = format!("{header}.{payload}.");
    let out = jwtkeep(&["token", "inspect", &token], None);
    assert_eq!(code(&out), 1);
    let text = stdout(&out);
    assert!(text.starts_with("UNVERIFIED"));
    for code in [
        "alg_none",
        "header_key_reference",
        "missing_exp",
        "sensitive_claim",
    ] {
        assert!(text.contains(code), "{code}: {text}");
    }
    let out = jwtkeep(&["token", "inspect", "--json"], Some(token.as_bytes()));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["verified"], false);
    assert_eq!(doc["header"]["alg"], "none");
    assert_usage_error(
        &jwtkeep(&["token", "inspect", "not-a-token"], None),
        "cannot decode the token",
    );
}

#[test]
fn key_inspect_reports_usable_keys_and_refuses_weak_ones() {
    let dir = key_dir("RS256");
    let out = jwtkeep_in(
        dir.path(),
        &[
            "key",
            "inspect",
            "--key",
            "public.pem",
            "--alg",
            "RS256",
            "--json",
        ],
        None,
    );
    assert_eq!(code(&out), 0);
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["keys"][0]["bits"], 2048);
    assert_eq!(doc["keys"][0]["kind"], "public");
    let jwks: JwkSet =
        serde_json::from_str(&fs::read_to_string(dir.path().join("jwks.json")).unwrap()).unwrap();
    assert_eq!(
        doc["keys"][0]["thumbprint"],
        jwks.keys[0].kid.clone().unwrap()
    );
    // An RSA key with e = 3 is refused.
    let mut weak = jwks.keys[0].clone();
    weak.e = Some("Aw".into());
    fs::write(
        dir.path().join("weak.json"),
        serde_json::to_string(&weak).unwrap(),
    )
    .unwrap();
    let out = jwtkeep_in(dir.path(), &["key", "inspect", "--key", "weak.json"], None);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).starts_with("refused: weak_key"));
    // A PEM public key offered for HMAC is the RS/HS confusion: refused.
    let out = jwtkeep_in(
        dir.path(),
        &["key", "inspect", "--key", "public.pem", "--alg", "HS256"],
        None,
    );
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("wrong_key_type"));
}

// -------------------------------------------------------------- conventions

#[test]
fn every_command_has_help_with_examples_and_completions_exist() {
    for cmd in [
        &["gen", "secret"][..],
        &["gen", "key"],
        &["check"],
        &["completions"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let out = jwtkeep(&args, None);
        assert_eq!(code(&out), 0);
        assert!(stdout(&out).contains("Examples:"), "{cmd:?}");
    }
    for shell in ["bash", "zsh", "fish"] {
        let out = jwtkeep(&["completions", shell], None);
        assert_eq!(code(&out), 0);
        assert!(stdout(&out).contains("jwtkeep"));
    }
}

#[test]
fn gen_web_page_writes_the_page_once_and_refuses_to_overwrite() {
    let dir = tempfile::tempdir().unwrap();
    let out = jwtkeep_in(dir.path(), &["gen", "web-page", "page.html"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let written = fs::read_to_string(dir.path().join("page.html")).unwrap();
    let source =
        fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/index.html")).unwrap();
    assert_eq!(written, source);
    assert!(written.contains("connect-src 'none'"));
    let again = jwtkeep_in(dir.path(), &["gen", "web-page", "page.html"], None);
    assert_eq!(code(&again), 2);
    assert!(stderr(&again).contains("--force"), "{}", stderr(&again));
    let forced = jwtkeep_in(
        dir.path(),
        &["gen", "web-page", "page.html", "--force"],
        None,
    );
    assert_eq!(code(&forced), 0);
}

#[test]
fn key_thumbprint_computes_rfc7638_for_every_key_type_and_flags_a_wrong_kid() {
    let dir = tempfile::tempdir().unwrap();
    // RFC 7638 §3.1's example key and thumbprint.
    let rfc = r#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#;
    fs::write(dir.path().join("rfc.json"), rfc).unwrap();
    let out = jwtkeep_in(
        dir.path(),
        &["key", "thumbprint", "--key", "rfc.json"],
        None,
    );
    assert_eq!(code(&out), 1, "the kid is not the thumbprint: a finding");
    assert!(stdout(&out).starts_with("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"));
    assert!(stdout(&out).contains("kid 2011-04-29 is not the thumbprint"));

    // An oct secret written by gen secret: the kid is its thumbprint.
    let out = jwtkeep_in(dir.path(), &["gen", "secret", "--format", "jwk"], None);
    fs::write(dir.path().join("oct.json"), &out.stdout).unwrap();
    let jwk: Value = serde_json::from_slice(&out.stdout).unwrap();
    let out = jwtkeep_in(
        dir.path(),
        &["key", "thumbprint", "--key", "oct.json", "--json"],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(doc["keys"][0]["thumbprint"], jwk["kid"]);
    assert_eq!(doc["keys"][0]["kid_is_thumbprint"], true);

    fs::write(dir.path().join("bad.json"), "not json").unwrap();
    let out = jwtkeep_in(
        dir.path(),
        &["key", "thumbprint", "--key", "bad.json"],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("not JSON"), "{}", stderr(&out));
}

/// Sends one HTTP/1.1 GET and returns the whole response.
fn http_get(addr: &str, path: &str) -> String {
    http(addr, "GET", path, None)
}

/// Sends one HTTP/1.1 request (with a JSON body when given) and returns the whole response.
fn http(addr: &str, method: &str, path: &str, json: Option<&str>) -> String {
    let body = json.map(|b| ("application/json", b));
    http_with(addr, method, path, &[], body)
}

/// Sends one HTTP/1.1 request with `headers` and a body of the given
/// content type; the whole response.
fn http_with(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &str)>,
) -> String {
    use std::io::Read as _;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    let mut head: String = headers
        .iter()
        .map(|(n, v)| format!("{n}: {v}\r\n"))
        .collect();
    if let Some((content_type, _)) = body {
        head.push_str(&format!("Content-Type: {content_type}\r\n"));
    }
    let body = body.map_or("", |(_, b)| b);
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n{head}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    response
}

/// The JSON body of an HTTP response.
fn http_body(response: &str) -> Value {
    serde_json::from_str(response.split("\r\n\r\n").nth(1).unwrap()).unwrap()
}

/// Starts `jwtkeep serve` in `dir` on a free port; the child, its address
/// and the lines it wrote to stderr before saying it listens.
fn start_serve(dir: &Path) -> (Running, String, Vec<String>) {
    start_serve_with(dir, &[], &[])
}

/// [`start_serve`] with more arguments and environment variables.
fn start_serve_with(
    dir: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> (Running, String, Vec<String>) {
    let mut all = vec!["serve", "--listen", "127.0.0.1:0"];
    all.extend_from_slice(args);
    start_listening(dir, &all, envs)
}

/// Logs `username` in at the service at `addr`: the access token.
fn access_token(addr: &str, username: &str, password: &str) -> String {
    let body = format!(r#"{{"username":"{username}","password":"{password}"}}"#);
    let login = http(addr, "POST", "/v1/auth/login", Some(&body));
    http_body(&login)["access_token"]
        .as_str()
        .unwrap_or_else(|| panic!("no access token: {login}"))
        .to_owned()
}

/// Runs `jwtkeep ARGS` until it says it listens: the child, its address and
/// the lines it wrote before.
fn start_listening(
    dir: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
) -> (Running, String, Vec<String>) {
    use std::io::BufRead as _;
    let mut child = Command::new(env!("CARGO_BIN_EXE_jwtkeep"))
        .args(args)
        .current_dir(dir)
        .env_remove("JWTKEEP_MASTER_KEY")
        .env_remove("JWTKEEP_STORE")
        .envs(envs.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let addr = loop {
        let line = lines
            .next()
            .expect("jwtkeep exited before listening")
            .unwrap();
        let rest = line
            .strip_prefix("listening on http://")
            .or_else(|| line.strip_prefix("listening on https://"));
        if let Some(rest) = rest {
            break rest.split_whitespace().next().unwrap().to_owned();
        }
        seen.push(line);
    };
    // The rest (the event log) is drained so that the service never blocks on it.
    std::thread::spawn(move || for _ in lines {});
    (Running(Some(child)), addr, seen)
}

/// A process the test started (a service, a gate): stopped with SIGTERM by
/// [`stop`], which checks that it exits cleanly; killed when dropped
/// otherwise, so that a failing test leaves no process behind.
pub(crate) struct Running(Option<std::process::Child>);

impl std::ops::Deref for Running {
    type Target = std::process::Child;
    fn deref(&self) -> &std::process::Child {
        self.0.as_ref().expect("a running process")
    }
}

impl std::ops::DerefMut for Running {
    fn deref_mut(&mut self) -> &mut std::process::Child {
        self.0.as_mut().expect("a running process")
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(mut child) = self.0.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Stops `running` with SIGTERM; it must exit 0.
fn stop(mut running: Running) {
    let mut child = running.0.take().expect("a running process");
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    assert!(child.wait().unwrap().success());
}

#[test]
fn admin_commands_manage_the_state_the_service_runs_on() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&[u8]>| jwtkeep_in(dir.path(), args, stdin);
    let password = "correct horse battery staple";

    // Before any user exists, serve says how to make the first administrator.
    let (child, _, seen) = start_serve(dir.path());
    stop(child);
    assert!(
        seen.iter()
            .any(|l| l.contains("jwtkeep user add NAME --admin")),
        "{seen:?}"
    );

    let out = run(
        &["user", "add", "Root", "--admin"],
        Some(format!("{password}\n").as_bytes()),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("created root, administrator"),
        "{}",
        stdout(&out)
    );
    assert!(!stdout(&out).contains(password) && !stderr(&out).contains(password));
    let out = run(&["user", "add", "root"], Some(b"another long password\n"));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("exists"), "{}", stderr(&out));
    let out = run(&["user", "add", "bob"], Some(b"short\n"));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("12 to 1024"), "{}", stderr(&out));
    let out = run(&["user", "add", "bob"], Some(b""));
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("no password"), "{}", stderr(&out));
    let out = run(
        &["user", "add", "bob"],
        Some(format!("{password}\n").as_bytes()),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(&["user", "list", "--json"], None);
    let users: Value = serde_json::from_str(&stdout(&out)).unwrap();
    let listed: Vec<(&str, bool)> = users["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| {
            (
                u["username"].as_str().unwrap(),
                u["admin"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(listed, [("bob", false), ("root", true)]);
    assert_eq!(code(&run(&["user", "disable", "bob"], None)), 0);
    let out = run(&["user", "disable", "nobody"], None);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("jwtkeep user list"),
        "{}",
        stderr(&out)
    );
    assert_eq!(code(&run(&["user", "enable", "bob"], None)), 0);
    assert_eq!(code(&run(&["revoke", "user", "bob"], None)), 0);

    let out = run(&["revoke", "all"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));

    let out = run(&["client", "add", "Orders", "--json"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let client: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(client["name"], "orders");
    assert_eq!(client["secret"].as_str().unwrap().len(), 43);
    assert_eq!(code(&run(&["client", "add", "orders"], None)), 2);
    assert_eq!(stdout(&run(&["client", "list"], None)), "orders\n");
    assert_eq!(code(&run(&["client", "remove", "orders"], None)), 0);
    assert_eq!(code(&run(&["client", "remove", "orders"], None)), 2);

    let out = run(
        &[
            "user",
            "list",
            "--store",
            "redis://:hunter2@127.0.0.1:6379/0",
        ],
        None,
    );
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("JWTKEEP_STORE"), "{}", stderr(&out));
    assert!(!stderr(&out).contains("hunter2"));

    // The service logs the administrator in; a rotation made while it is
    // stopped is served when it starts again, the old key still published.
    let (child, addr, seen) = start_serve(dir.path());
    assert!(
        !seen.iter().any(|l| l.contains("no administrator")),
        "{seen:?}"
    );
    let login = http(
        &addr,
        "POST",
        "/v1/auth/login",
        Some(&format!(r#"{{"username":"root","password":"{password}"}}"#)),
    );
    assert!(login.starts_with("HTTP/1.1 200"), "{login}");
    stop(child);
    let out = run(&["keys", "rotate", "--purpose", "access", "--json"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let rotated: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(rotated["mode"], "staged");
    let new_kid = rotated["rotated"]["access"].as_str().unwrap().to_owned();
    let (child, addr, _) = start_serve(dir.path());
    let jwks = http_body(&http_get(&addr, "/.well-known/jwks.json"));
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2);
    assert_eq!(jwks["keys"][0]["kid"], new_kid.as_str());
    // Staged: published, but the old key signs for another five minutes.
    let login = http(
        &addr,
        "POST",
        "/v1/auth/login",
        Some(&format!(r#"{{"username":"root","password":"{password}"}}"#)),
    );
    let token = http_body(&login)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        jwks["keys"][1]["kid"].as_str(),
        Some(kid_of(&token).as_str())
    );
    stop(child);

    // The old keys retired at once: only the newest is published.
    let out = run(
        &["keys", "rotate", "--purpose", "access", "--revoke-old"],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("signs from now; older keys retired"),
        "{}",
        stdout(&out)
    );
    let out = run(&["keys", "rotate", "--purpose", "access"], None);
    assert!(
        stdout(&out).contains("published now, signs in 311 s"),
        "{}",
        stdout(&out)
    );
    let (child, addr, _) = start_serve(dir.path());
    let jwks = http_body(&http_get(&addr, "/.well-known/jwks.json"));
    assert_eq!(jwks["keys"].as_array().unwrap().len(), 2, "{jwks}");
    stop(child);
}

/// The `kid` in a token's header.
#[test]
fn user_passwd_sets_a_new_password_and_ends_the_users_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let old = "an old passphrase for alice 1";
    let new = "a new passphrase for alice 22";
    let out = jwtkeep_in(
        dir.path(),
        &["user", "add", "alice"],
        Some(format!("{old}\n").as_bytes()),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (service, addr, _) = start_serve(dir.path());
    let _ = access_token(&addr, "alice", old);

    // Refused without a change: too weak, no such user, two lines.
    let weak = jwtkeep_in(
        dir.path(),
        &["user", "passwd", "alice"],
        Some(b"password1234\n"),
    );
    assert_eq!(code(&weak), 2);
    assert_eq!(stderr(&weak).lines().count(), 1, "{}", stderr(&weak));
    let nobody = jwtkeep_in(
        dir.path(),
        &["user", "passwd", "nobody"],
        Some(format!("{new}\n").as_bytes()),
    );
    assert_usage_error(&nobody, "user list");
    let two = jwtkeep_in(
        dir.path(),
        &["user", "passwd", "alice"],
        Some(format!("{new}\n{new}\n").as_bytes()),
    );
    assert_usage_error(&two, "one line");
    let _ = access_token(&addr, "alice", old);

    // Beside the running service: the session ends, the new password logs in.
    let out = jwtkeep_in(
        dir.path(),
        &["user", "passwd", "alice", "--json"],
        Some(format!("{new}\n").as_bytes()),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let reply: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (reply["username"].as_str(), reply["sessions_ended"].as_u64()),
        (Some("alice"), Some(2))
    );
    assert!(!stdout(&out).contains(new));
    let body = format!(r#"{{"username":"alice","password":"{old}"}}"#);
    let refused = http(&addr, "POST", "/v1/auth/login", Some(&body));
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    let _ = access_token(&addr, "alice", new);
    stop(service);
}

/// Scopes from the command line reach the tokens; changing them ends the
/// user's sessions; a removed user's tokens stop and the name is free; a
/// client's machine tokens carry its scopes and stop when it is removed.
#[test]
fn scopes_user_removal_and_machine_tokens_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let password = "a passphrase for carol 31";
    let run = |args: &[&str], stdin: Option<&[u8]>| jwtkeep_in(dir.path(), args, stdin);
    let line = format!("{password}\n");
    let out = run(
        &[
            "user",
            "add",
            "carol",
            "--scope",
            "orders:write,orders:read",
            "--json",
        ],
        Some(line.as_bytes()),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let created: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        created["scopes"],
        serde_json::json!(["orders:read", "orders:write"])
    );
    let bad = run(
        &["user", "add", "dave", "--scope", "admin"],
        Some(line.as_bytes()),
    );
    assert_usage_error(&bad, "administrator");
    let bad = run(
        &["user", "add", "dave", "--scope", "a;b"],
        Some(line.as_bytes()),
    );
    assert_usage_error(&bad, "is not a scope");
    let listed = stdout(&run(&["user", "list"], None));
    assert!(
        listed.contains("carol  [orders:read orders:write]"),
        "{listed}"
    );

    let (service, addr, _) = start_serve(dir.path());
    let token = access_token(&addr, "carol", password);
    let me = |token: &str| {
        let auth = format!("Bearer {token}");
        http_with(
            &addr,
            "GET",
            "/v1/auth/me",
            &[("Authorization", &auth)],
            None,
        )
    };
    assert_eq!(
        http_body(&me(&token))["claims"]["scope"],
        "orders:read orders:write"
    );
    let out = run(
        &[
            "user",
            "scopes",
            "carol",
            "--scope",
            "orders:read",
            "--json",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let changed: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(
        (
            changed["scopes"].clone(),
            changed["sessions_ended"].as_u64()
        ),
        (serde_json::json!(["orders:read"]), Some(1))
    );
    // The running service refuses the old token once its view syncs with
    // the file (within a second): asked again until then, for 3 s at most.
    let refused_soon = |token: &str| {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
        while !me(token).starts_with("HTTP/1.1 401") {
            assert!(std::time::Instant::now() < deadline, "{}", me(token));
        }
    };
    refused_soon(&token);
    let fresh = access_token(&addr, "carol", password);
    assert_eq!(http_body(&me(&fresh))["claims"]["scope"], "orders:read");

    assert_usage_error(&run(&["user", "remove", "carol"], None), "--yes");
    let out = run(&["user", "remove", "carol", "--yes", "--json"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert_eq!(
        serde_json::from_str::<Value>(&stdout(&out)).unwrap()["deleted"],
        true
    );
    refused_soon(&fresh);
    assert_usage_error(
        &run(&["user", "remove", "carol", "--yes"], None),
        "user list",
    );
    let out = run(&["user", "add", "carol"], Some(line.as_bytes()));
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // A client with scopes: machine tokens through the real service.
    let out = run(
        &[
            "client",
            "add",
            "billing",
            "--scope",
            "invoices:write",
            "--json",
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let client: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(client["scopes"], serde_json::json!(["invoices:write"]));
    let listed = stdout(&run(&["client", "list"], None));
    assert_eq!(listed, "billing  [invoices:write]\n");
    let credentials = jwtkeep_core::encoding::TextEncoding::Base64
        .encode(format!("billing:{}", client["secret"].as_str().unwrap()).as_bytes());
    let basic = format!("Basic {}", credentials.as_str());
    let grant = http_with(
        &addr,
        "POST",
        "/oauth2/token",
        &[("Authorization", &basic)],
        Some((
            "application/x-www-form-urlencoded",
            "grant_type=client_credentials",
        )),
    );
    assert!(grant.starts_with("HTTP/1.1 200"), "{grant}");
    let machine = http_body(&grant)["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(http_body(&me(&machine))["claims"]["client_id"], "billing");
    assert_eq!(code(&run(&["client", "remove", "billing"], None)), 0);
    refused_soon(&machine);
    stop(service);
}

fn kid_of(token: &str) -> String {
    let decoded = jwtkeep_core::inspect::decode_unverified(token).unwrap();
    decoded.header["kid"].as_str().unwrap().to_owned()
}

#[test]
fn serve_creates_a_private_data_dir_answers_on_loopback_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let (child, addr, _) = start_serve(dir.path());
    let data = dir.path().join("jwtkeep-data");
    assert_eq!(mode(&data) & 0o777, 0o700);
    assert_eq!(mode(&data.join("master.key")) & 0o777, 0o600);
    assert_eq!(mode(&data.join("jwtkeep.db")) & 0o777, 0o600);

    let health = http_get(&addr, "/healthz");
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(
        health.contains("x-content-type-options: nosniff"),
        "{health}"
    );
    let jwks = http_get(&addr, "/.well-known/jwks.json");
    let body: Value = serde_json::from_str(jwks.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(body["keys"][0]["alg"], "ES256");
    let missing = http_get(&addr, "/no-such-thing");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(missing.contains(r#""error":"not_found""#), "{missing}");

    stop(child);

    // A master key that others can read is refused, with the fix.
    fs::set_permissions(data.join("master.key"), fs::Permissions::from_mode(0o644)).unwrap();
    let out = jwtkeep_in(dir.path(), &["serve", "--listen", "127.0.0.1:0"], None);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("chmod 600"), "{}", stderr(&out));
}

#[test]
fn serve_settings_come_from_the_file_then_the_environment_and_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| fs::write(dir.path().join(name), text).unwrap();
    let serve = |args: &[&str], envs: &[(&str, &str)]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_jwtkeep"));
        command
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("JWTKEEP_MASTER_KEY")
            .envs(envs.iter().copied())
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .unwrap()
    };
    for (text, needle) in [
        ("listn = \"127.0.0.1:1\"\n", "unknown field `listn`"),
        ("algorithm = \"HS256\"\n", "asymmetric"),
        (
            "access_ttl_secs = 999999\n",
            "access_ttl_secs = 999999 is out of range",
        ),
        (
            "allowed_origins = [\"https://app.example.com/\"]\n",
            "no path",
        ),
        ("cors_origins = [\"*\"]\n", "cors_origins: \"*\""),
        (
            "cors_origins = [\"https://*.example.com\"]\n",
            "no wildcard",
        ),
        ("access_ttl_secs = \"long\"\n", "refused"),
        (
            "access_ttl_secs = 60\nrefresh_grace_secs = 60\n",
            "must be shorter than access_ttl_secs",
        ),
        (
            "jwks_max_age_secs = 3600\n",
            "publish_ahead_secs = 3600 is out of range",
        ),
    ] {
        write("bad.toml", text);
        let out = serve(&["--config", "bad.toml"], &[]);
        assert_eq!(code(&out), 2, "{text}");
        assert!(stderr(&out).contains(needle), "{text}: {}", stderr(&out));
        assert_eq!(
            stderr(&out).lines().count(),
            1,
            "one line: {}",
            stderr(&out)
        );
    }
    let out = serve(&[], &[("JWTKEEP_ACCESS_TTL_SECS", "soon")]);
    assert_eq!(code(&out), 2);
    assert!(
        stderr(&out).contains("JWTKEEP_ACCESS_TTL_SECS"),
        "{}",
        stderr(&out)
    );
    // A master key `jwtkeep check` calls weak is refused, with why.
    let weak = "A".repeat(43);
    let out = serve(&[], &[("JWTKEEP_MASTER_KEY", weak.as_str())]);
    assert_eq!(code(&out), 2);
    assert!(stderr(&out).contains("weak master key"), "{}", stderr(&out));

    // The file sets 600 s, the environment overrides it with 1200 s.
    write(
        "good.toml",
        "access_ttl_secs = 600\naudience = \"orders\"\n",
    );
    let out = jwtkeep_in(
        dir.path(),
        &["user", "add", "ann", "--config", "good.toml"],
        Some(b"a long enough password\n"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let (child, addr, _) = start_serve_with(
        dir.path(),
        &["--config", "good.toml"],
        &[("JWTKEEP_ACCESS_TTL_SECS", "1200")],
    );
    let login = http(
        &addr,
        "POST",
        "/v1/auth/login",
        Some(r#"{"username":"ann","password":"a long enough password"}"#),
    );
    let body = http_body(&login);
    assert_eq!(body["expires_in"], 1200, "{login}");
    stop(child);
}

/// `user add` in a terminal: `script` gives it one, the prompt does not echo
/// the password, asks twice, and refuses two different answers.
#[test]
fn user_add_prompts_twice_without_echo_in_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let bin = env!("CARGO_BIN_EXE_jwtkeep");
    let run = |user: &str, first: &str, second: &str| {
        let mut child = Command::new("script")
            .args(["-qec", &format!("{bin} user add {user}"), "/dev/null"])
            .current_dir(dir.path())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("script (util-linux) runs the command in a terminal");
        let mut stdin = child.stdin.take().unwrap();
        for answer in [first, second] {
            // Each answer after its prompt: the terminal discards input typed
            // before the echo is turned off.
            #[allow(clippy::disallowed_methods)] // pacing a terminal, not timing a test
            std::thread::sleep(std::time::Duration::from_millis(300));
            writeln!(stdin, "{answer}").unwrap();
        }
        drop(stdin);
        child.wait_with_output().unwrap()
    };
    let password = "typed at the prompt, never shown";
    let out = run("tty-user", password, password);
    let shown = stdout(&out);
    assert_eq!(code(&out), 0, "{shown}");
    assert!(
        shown.contains("password:") && shown.contains("again:"),
        "{shown}"
    );
    assert!(shown.contains("created tty-user"), "{shown}");
    assert!(
        !shown.contains(password),
        "the password was echoed: {shown}"
    );
    let out = run("other-user", password, "something else entirely");
    assert_ne!(code(&out), 0);
    assert!(
        stdout(&out).contains("the two passwords differ"),
        "{}",
        stdout(&out)
    );
}

/// A process's resident memory, current and peak, in KiB, from `/proc/PID/status`.
fn memory_kib(pid: u32) -> (u64, u64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .unwrap()
            .parse()
            .unwrap()
    };
    (field("VmRSS:"), field("VmHWM:"))
}

#[test]
fn a_login_burst_is_bounded_by_the_password_workers_not_by_the_crowd() {
    let dir = tempfile::tempdir().unwrap();
    let out = jwtkeep_in(
        dir.path(),
        &["user", "add", "alice"],
        Some(b"correct horse battery staple\n"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    // Two workers and four places in the queue; the login limit out of the way.
    let (child, addr, _) = start_serve_with(
        dir.path(),
        &[],
        &[
            ("JWTKEEP_PASSWORD_HASH_WORKERS", "2"),
            ("JWTKEEP_PASSWORD_HASH_QUEUE", "4"),
            ("JWTKEEP_LOGIN_ATTEMPTS", "1000"),
            ("JWTKEEP_LOGIN_ATTEMPTS_PER_ADDRESS", "1000"),
            ("JWTKEEP_LOGIN_ATTEMPTS_PER_ACCOUNT", "1000"),
        ],
    );
    // One login first, so that the workers' buffers and the decoy exist.
    let wrong = r#"{"username": "alice", "password": "wrong password, twelve+"}"#;
    assert!(http(&addr, "POST", "/v1/auth/login", Some(wrong)).starts_with("HTTP/1.1 401"));
    let (idle, _) = memory_kib(child.id());
    // 60 wrong passwords at once: before, each was an argon2id computation
    // of its own (19 MiB apiece, all at once, and not given back).
    let answers: Vec<String> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..60)
            .map(|_| s.spawn(|| http(&addr, "POST", "/v1/auth/login", Some(wrong))))
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });
    let (after, peak) = memory_kib(child.id());
    let refused = answers
        .iter()
        .filter(|a| a.starts_with("HTTP/1.1 401"))
        .count();
    let busy: Vec<&String> = answers
        .iter()
        .filter(|a| a.starts_with("HTTP/1.1 503"))
        .collect();
    assert_eq!(refused + busy.len(), 60, "{answers:?}");
    assert!(
        refused >= 6,
        "at least the workers and the queue are served: {refused}"
    );
    assert!(!busy.is_empty(), "past the queue the answer is busy");
    for answer in &busy {
        assert!(answer.contains("\"error\":\"busy\""), "{answer}");
        assert!(
            answer.to_ascii_lowercase().contains("retry-after: 1"),
            "{answer}"
        );
    }
    assert!(
        peak.saturating_sub(idle) < 120 * 1024,
        "the burst took the process from {idle} KiB to a peak of {peak} KiB"
    );
    assert!(
        after.saturating_sub(idle) < 120 * 1024,
        "{idle} KiB before, {after} KiB after"
    );
    stop(child);
}

#[test]
fn a_password_piped_twice_is_refused_not_joined() {
    let dir = tempfile::tempdir().unwrap();
    let out = jwtkeep_in(
        dir.path(),
        &["user", "add", "alice"],
        Some(b"correct horse battery staple\ncorrect horse battery staple\n"),
    );
    assert_usage_error(&out, "more than one line");
    // One line, with or without CRLF, is the password.
    let out = jwtkeep_in(
        dir.path(),
        &["user", "add", "alice"],
        Some(b"correct horse battery staple\r\n"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn the_data_directory_is_tightened_and_ignored_by_git() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("jwtkeep-data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = jwtkeep_in(
        dir.path(),
        &["user", "add", "alice"],
        Some(b"correct horse battery staple\n"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(stderr(&out).contains("tightened"), "{}", stderr(&out));
    let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o700);
    let ignore = std::fs::read_to_string(data.join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*"), "{ignore}");
    // In a git work tree, nothing of it shows as untracked.
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    assert!(git(&["init", "-q"]).status.success());
    let status =
        String::from_utf8(git(&["status", "--porcelain", "--untracked-files=all"]).stdout).unwrap();
    assert!(!status.contains("jwtkeep-data"), "{status}");
}

#[test]
fn serving_beyond_loopback_needs_https_and_an_https_issuer() {
    let dir = tempfile::tempdir().unwrap();
    let serve = |args: &[&str]| {
        let mut all = vec!["serve", "--listen", "0.0.0.0:0"];
        all.extend_from_slice(args);
        jwtkeep_in(dir.path(), &all, None)
    };
    let out = serve(&[]);
    assert_usage_error(&out, "plain HTTP");
    assert!(stderr(&out).contains("--tls-cert"), "{}", stderr(&out));
    let out = serve(&["--trusted-proxy", "10.0.0.2"]);
    assert_usage_error(&out, "needs --issuer");
    assert!(stderr(&out).contains("0.0.0.0"), "{}", stderr(&out));
    let out = serve(&[
        "--trusted-proxy",
        "10.0.0.2",
        "--issuer",
        "http://auth.example.com",
    ]);
    assert_usage_error(&out, "https://");
    // Half a pair of TLS files is refused before anything starts.
    let out = serve(&["--tls-cert", "cert.pem"]);
    assert_eq!(code(&out), 2, "{}", stderr(&out));
    assert!(stderr(&out).contains("--tls-key"), "{}", stderr(&out));
}

#[test]
fn the_last_enabled_administrator_cannot_be_disabled() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&[u8]>| jwtkeep_in(dir.path(), args, stdin);
    let pw = Some(&b"correct horse battery staple\n"[..]);
    assert_eq!(code(&run(&["user", "add", "root", "--admin"], pw)), 0);
    let out = run(&["user", "disable", "root"], None);
    assert_usage_error(&out, "last enabled administrator");
    assert_eq!(code(&run(&["user", "add", "second", "--admin"], pw)), 0);
    let out = run(&["user", "disable", "root"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let out = run(&["user", "disable", "second"], None);
    assert_usage_error(&out, "last enabled administrator");
}

#[test]
fn token_verify_takes_a_larger_size_limit_when_asked() {
    let dir = key_dir("ES256");
    let big = format!("note={}", "x".repeat(9000));
    let out = jwtkeep_in(
        dir.path(),
        &[
            "token",
            "sign",
            "--key",
            "private.pem",
            "--alg",
            "ES256",
            "--sub",
            "u1",
            "--claim",
            &big,
        ],
        None,
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let token = stdout(&out).trim().to_owned();
    assert!(token.len() > 8192);
    let verify = |extra: &[&str]| {
        let mut args = vec![
            "token",
            "verify",
            token.as_str(),
            "--key",
            "jwks.json",
            "--json",
        ];
        args.extend_from_slice(extra);
        jwtkeep_in(dir.path(), &args, None)
    };
    let out = verify(&[]);
    assert_eq!(code(&out), 1);
    assert!(stdout(&out).contains("token_too_large"), "{}", stdout(&out));
    let out = verify(&["--max-token-bytes", "20000"]);
    assert_eq!(code(&out), 0, "{}", stdout(&out));
    let out = verify(&["--max-token-bytes", "0"]);
    assert_usage_error(&out, "--max-token-bytes");
}

/// Reads from `stream` until it closes, for at most `wait`: whether the
/// server closed it (end of stream or reset) in that time.
fn closed_within(stream: &mut std::net::TcpStream, wait: std::time::Duration) -> bool {
    use std::io::Read as _;
    stream.set_read_timeout(Some(wait)).unwrap();
    let mut buf = [0u8; 512];
    loop {
        match stream.read(&mut buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return true,
            Err(_) => return false,
        }
    }
}

#[test]
fn idle_and_half_sent_connections_are_closed() {
    use std::io::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let (child, addr, _) = start_serve_with(
        dir.path(),
        &[],
        &[("JWTKEEP_HEADER_READ_TIMEOUT_SECS", "1")],
    );
    let open = || std::net::TcpStream::connect(&addr).unwrap();
    // Silent from the start; half a request head; idle after one request.
    let mut silent: Vec<_> = (0..20).map(|_| open()).collect();
    let mut half = open();
    half.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    let mut kept = open();
    kept.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let wait = std::time::Duration::from_secs(10);
    assert!(closed_within(&mut half, wait), "half a head is held open");
    assert!(
        closed_within(&mut kept, wait),
        "an idle kept-alive connection is held open"
    );
    for socket in &mut silent {
        assert!(
            closed_within(socket, wait),
            "a silent connection is held open"
        );
    }
    assert!(http_get(&addr, "/healthz").starts_with("HTTP/1.1 200"));
    stop(child);
}

#[test]
fn connections_past_the_cap_are_refused_cleanly_and_the_rest_still_served() {
    let dir = tempfile::tempdir().unwrap();
    let (child, addr, _) = start_serve_with(
        dir.path(),
        &[],
        &[
            ("JWTKEEP_MAX_CONNECTIONS", "4"),
            ("JWTKEEP_HEADER_READ_TIMEOUT_SECS", "2"),
        ],
    );
    let held: Vec<_> = (0..4)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    // Let the server take all four before the fifth arrives.
    let mut probe = String::new();
    for _ in 0..50 {
        probe = http_get(&addr, "/healthz");
        if probe.starts_with("HTTP/1.1 503") {
            break;
        }
    }
    assert!(probe.starts_with("HTTP/1.1 503"), "{probe}");
    assert!(probe.contains("\"error\":\"busy\""), "{probe}");
    assert!(
        probe.to_ascii_lowercase().contains("retry-after: 1"),
        "{probe}"
    );
    // The held connections time out, and their slots are free again.
    let mut held = held;
    for socket in &mut held {
        assert!(closed_within(socket, std::time::Duration::from_secs(10)));
    }
    assert!(http_get(&addr, "/healthz").starts_with("HTTP/1.1 200"));
    stop(child);
}

#[test]
fn connection_settings_are_checked() {
    let dir = tempfile::tempdir().unwrap();
    for (key, value) in [
        ("JWTKEEP_HEADER_READ_TIMEOUT_SECS", "0"),
        ("JWTKEEP_MAX_CONNECTIONS", "0"),
        ("JWTKEEP_TRUSTED_PROXIES", "10.0.0.0/8,the-proxy"),
        ("JWTKEEP_LOGIN_ATTEMPTS_PER_ADDRESS", "0"),
        ("JWTKEEP_REFRESH_GRACE_SECS", "301"),
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_jwtkeep"))
            .args(["serve", "--listen", "127.0.0.1:0"])
            .env(key, value)
            .current_dir(dir.path())
            .env_remove("JWTKEEP_MASTER_KEY")
            .env_remove("JWTKEEP_STORE")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // It must refuse before it listens (a listening server fails the test
        // at once rather than leaving it waiting).
        let mut err = String::new();
        for line in std::io::BufRead::lines(std::io::BufReader::new(child.stderr.take().unwrap())) {
            let line = line.unwrap();
            if line.starts_with("listening on") {
                child.kill().unwrap();
                panic!("{key}={value} was accepted: {err}{line}");
            }
            err.push_str(&line);
            err.push('\n');
        }
        let status = child.wait().unwrap();
        assert_eq!(status.code(), Some(2), "{key}: {err}");
        let setting = key.trim_start_matches("JWTKEEP_").to_ascii_lowercase();
        let named = err.contains(&setting) || err.contains(value.rsplit(',').next().unwrap());
        assert!(named, "{err}");
        assert_eq!(err.lines().count(), 1, "{err}");
    }
}

#[test]
fn a_body_that_does_not_arrive_in_time_is_a_408() {
    use std::io::{Read as _, Write as _};
    let dir = tempfile::tempdir().unwrap();
    let (child, addr, _) =
        start_serve_with(dir.path(), &[], &[("JWTKEEP_REQUEST_TIMEOUT_SECS", "1")]);
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    stream
        .write_all(b"POST /v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"username\":")
        .unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .unwrap();
    let mut response = vec![0u8; 4096];
    let n = stream.read(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response[..n]).into_owned();
    assert!(response.starts_with("HTTP/1.1 408"), "{response}");
    assert!(
        response.contains("\"error\":\"request_timeout\""),
        "{response}"
    );
    stop(child);
}

#[test]
fn a_guessable_password_is_refused_with_why() {
    let dir = tempfile::tempdir().unwrap();
    for weak in [&b"aaaaaaaaaaaa\n"[..], b"passwordpassword\n"] {
        let out = jwtkeep_in(dir.path(), &["user", "add", "alice"], Some(weak));
        assert_usage_error(&out, "too weak");
    }
    let out = jwtkeep_in(
        dir.path(),
        &["user", "add", "alice"],
        Some(b"correct horse battery staple\n"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
}

#[test]
fn hints_name_the_program_as_it_was_invoked() {
    // The tests run the binary by its path, as `./target/release/jwtkeep` is
    // run where `jwtkeep` is not on PATH: the hint must be runnable as shown.
    let program = env!("CARGO_BIN_EXE_jwtkeep");
    let dir = tempfile::tempdir().unwrap();
    let out = jwtkeep_in(dir.path(), &["user", "list"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stderr(&out).contains(&format!("`{program} user add NAME --admin`")),
        "{}",
        stderr(&out)
    );
    let out = jwtkeep_in(dir.path(), &["user", "disable", "nobody"], None);
    assert!(
        stderr(&out).contains(&format!("`{program} user list`")),
        "{}",
        stderr(&out)
    );
}

/// A configuration file in `dir` naming the shared store at `url` under a
/// prefix of its own: its path and the prefix.
fn shared_store_config(dir: &Path, url: &str) -> (String, String) {
    let prefix = format!("jwtkeep-test:{}:", jwtkeep_core::random_id().unwrap());
    let config = dir.join("jwtkeep.toml");
    fs::write(
        &config,
        format!("store = \"{url}\"\nstore_prefix = \"{prefix}\"\n"),
    )
    .unwrap();
    (config.to_str().unwrap().to_owned(), prefix)
}

/// `jwtkeep ARGS --config CONFIG` in `dir`.
fn with_config(dir: &Path, config: &str, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut all = args.to_vec();
    all.extend(["--config", config]);
    jwtkeep_in(dir, &all, stdin)
}

/// With the shared store of `config`: alice added beside it, two services
/// (one issuer) started on it, a login through one accepted by the other
/// (whose /readyz names `backend`, when given), and a logout through the
/// first refused by the second within 2 s. Both are stopped.
fn two_services_share(dir: &Path, config: &str, password: &str, backend: Option<&str>) {
    let line = format!("{password}\n");
    let out = with_config(
        dir,
        config,
        &["user", "add", "alice"],
        Some(line.as_bytes()),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let master = TextEncoding::Base64Url.encode(jwtkeep_core::Secret::random(32).unwrap().expose());
    let envs = [("JWTKEEP_MASTER_KEY", master.as_str())];
    // Instances behind one name share its issuer.
    let args = ["--config", config, "--issuer", "http://jwtkeep.test"];
    let (a, a_addr, _) = start_serve_with(dir, &args, &envs);
    let (b, b_addr, _) = start_serve_with(dir, &args, &envs);
    let token = access_token(&a_addr, "alice", password);
    let auth = format!("Bearer {token}");
    let me = |addr: &str| {
        http_with(
            addr,
            "GET",
            "/v1/auth/me",
            &[("Authorization", &auth)],
            None,
        )
    };
    assert!(me(&b_addr).starts_with("HTTP/1.1 200"), "{}", me(&b_addr));
    if let Some(backend) = backend {
        let ready = http_get(&b_addr, "/readyz");
        assert!(
            ready.contains(&format!(r#""store":"{backend}""#)),
            "{ready}"
        );
    }
    let out = http_with(
        &a_addr,
        "POST",
        "/v1/auth/logout",
        &[("Authorization", &auth)],
        None,
    );
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(2);
    while !me(&b_addr).starts_with("HTTP/1.1 401") {
        assert!(std::time::Instant::now() < deadline, "{}", me(&b_addr));
    }
    stop(a);
    stop(b);
}

/// Two services on a real three-master Redis Cluster (started by the store
/// crate's `cluster.sh`): initialised once, a logout through one is refused
/// by the other.
#[test]
fn two_services_share_a_redis_cluster() {
    use std::io::BufRead as _;
    let dir = tempfile::tempdir().unwrap();
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../jwtkeep-store/tests/store/cluster.sh"
    );
    let mut cluster = Command::new("bash")
        .arg(script)
        .arg(std::process::id().to_string())
        .arg(dir.path().join("cluster"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    std::io::BufReader::new(cluster.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    let url = url.trim().to_owned();
    assert!(url.starts_with("redis-cluster://"), "{url:?}");
    let (config, _) = shared_store_config(dir.path(), &url);
    let config = config.as_str();
    let run = |args: &[&str], stdin: Option<&[u8]>| with_config(dir.path(), config, args, stdin);
    let out = run(&["store", "init"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("initialised the store: redis cluster"),
        "{}",
        stdout(&out)
    );
    two_services_share(dir.path(), config, "a clustered passphrase 77", None);
    // The cluster's script stops its nodes once this test process is gone.
    std::mem::forget(cluster);
}

/// `jwtkeep serve` on PostgreSQL, as an operator sets it up: the schema is
/// made (with its identity) on first use, so `store init` finds it done;
/// users added beside it log in through it; a logout through one service
/// is refused by another.
#[test]
fn services_share_a_postgresql_store() {
    let dir = tempfile::tempdir().unwrap();
    let (config, prefix) =
        shared_store_config(dir.path(), "postgres://postgres@127.0.0.1:5432/test");
    let schema: String = prefix
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect::<String>()
        .to_ascii_lowercase();
    let config = config.as_str();
    let run = |args: &[&str], stdin: Option<&[u8]>| with_config(dir.path(), config, args, stdin);
    let out = run(&["store", "init"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("is initialised already"),
        "{}",
        stdout(&out)
    );
    two_services_share(
        dir.path(),
        config,
        "a durable passphrase 515",
        Some("postgres"),
    );
    assert!(pg_schema::psql(&format!(
        "DROP SCHEMA IF EXISTS {schema} CASCADE"
    )));
}

#[test]
fn a_shared_store_is_initialised_once_by_its_operator() {
    let dir = tempfile::tempdir().unwrap();
    let (config, prefix) = shared_store_config(dir.path(), "redis://127.0.0.1:6379/0");
    let config = config.as_str();
    let run = |args: &[&str], stdin: Option<&[u8]>| with_config(dir.path(), config, args, stdin);
    // A Redis store nobody initialised: refused, with the command that does it.
    assert_usage_error(&run(&["user", "list"], None), "jwtkeep store init");
    let out = run(&["store", "init"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).starts_with("initialised the store: redis (identity "),
        "{}",
        stdout(&out)
    );
    let out = run(&["store", "init", "--json"], None);
    let again: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(again["created"], false);
    assert!(stdout(&run(&["store", "init"], None)).contains(again["identity"].as_str().unwrap()));
    let out = run(
        &["user", "add", "alice"],
        Some(b"correct horse battery staple\n"),
    );
    assert_eq!(code(&out), 0, "{}", stderr(&out));

    // Its identity lost, the store still holds data: only --force takes it on.
    let deleted = Command::new("redis-cli")
        .args(["-p", "6379", "DEL", &format!("{prefix}identity")])
        .output()
        .unwrap();
    assert!(deleted.status.success());
    assert_usage_error(&run(&["store", "init"], None), "--force");
    let out = run(&["store", "init", "--force", "--json"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    let forced: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(forced["created"], true);
    assert_ne!(forced["identity"], again["identity"]);
    assert_eq!(stdout(&run(&["user", "list"], None)).lines().count(), 1);

    // A SQLite file has its identity from the start.
    let out = jwtkeep_in(dir.path(), &["store", "init"], None);
    assert_eq!(code(&out), 0, "{}", stderr(&out));
    assert!(
        stdout(&out).contains("is initialised already"),
        "{}",
        stdout(&out)
    );
}
