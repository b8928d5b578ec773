//! `jwtkeep scan` on real trees in real git repositories: what is found and
//! where, what git and .gitignore change, the formats, thresholds, baselines
//! and suppressions.

use super::*;

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

/// A small application with one of most kinds of problem, in a git repository.
fn project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    write(d, ".gitignore", "node_modules/\n.env.local\nsecrets/\n");
    write(
        d,
        "src/auth.js",
        "const jwt = require('jsonwebtoken');\n\
         const SECRET = process.env.JWT_SECRET || 'supersecretkey';\n\
         const t = jwt.sign({ sub: id }, SECRET, { expiresIn: '90d' });\n\
         const c = jwt.decode(t); // jwtkeep:ignore jwt-decode-without-verify reads the kid only\n",
    );
    write(d, "node_modules/lib/index.js", "jwt.sign(p, 'secret');\n");
    write(d, ".env", "PORT=8080\nJWT_SECRET=supersecretkey\n");
    write(d, ".env.local", "JWT_SECRET=secret\n");
    write(d, ".env.example", "JWT_SECRET=changeme\n");
    write(d, "secrets/.env.prod", "JWT_SECRET=x\n");
    git(d, &["add", "-A"]);
    git(d, &["add", "-f", "secrets/.env.prod"]);
    // Created after `git add`: untracked, and not ignored either.
    write(
        d,
        "config/.env.staging",
        "JWT_SECRET=Jq3v9Xw2Lk8Rt5Zp1Mn7Bc4Hf6Gd0Sy2Ae9Ux3Wi5Ko8\n",
    );
    dir
}

fn scan_json(dir: &Path, extra: &[&str]) -> (i32, Value) {
    let mut args = vec!["scan", ".", "--json"];
    args.extend_from_slice(extra);
    let out = jwtkeep_in(dir, &args, None);
    let doc =
        serde_json::from_str(&stdout(&out)).unwrap_or_else(|e| panic!("{e}: {}", stderr(&out)));
    (code(&out), doc)
}

fn rules_at(doc: &Value) -> Vec<String> {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["suppressed"].is_null())
        .map(|f| {
            format!(
                "{}:{} {}",
                f["path"].as_str().unwrap(),
                f["line"],
                f["rule"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn finds_code_and_config_problems_the_way_git_sees_the_tree() {
    let dir = project();
    let (code, doc) = scan_json(dir.path(), &[]);
    assert_eq!(code, 1);
    assert_eq!(doc["git"], true);
    assert_eq!(
        rules_at(&doc),
        [
            ".env:1 secret-file-not-ignored",
            ".env:2 weak-secret-in-config",
            "config/.env.staging:1 secret-file-not-ignored",
            "secrets/.env.prod:1 secret-file-not-ignored",
            "src/auth.js:2 jwt-secret-fallback",
            "src/auth.js:3 jwt-long-lifetime",
        ]
    );
    let findings = doc["findings"].as_array().unwrap();
    let tracked = findings
        .iter()
        .find(|f| f["path"] == "secrets/.env.prod")
        .unwrap();
    assert!(tracked["message"]
        .as_str()
        .unwrap()
        .contains("tracked by git although .gitignore lists it"));
    let message = |path: &str| {
        let f = findings.iter().find(|f| f["path"] == path).unwrap();
        f["message"].as_str().unwrap().to_owned()
    };
    assert!(message(".env").contains("is tracked by git"));
    assert!(message("config/.env.staging").contains("is not git-ignored"));
    let suppressed: Vec<&Value> = findings
        .iter()
        .filter(|f| !f["suppressed"].is_null())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressed"], "reads the kid only");
    // Nothing under node_modules (ignored), and no secret value in the output.
    let text = doc.to_string();
    assert!(!text.contains("node_modules"));
    assert!(!text.contains("supersecretkey"));
}

#[test]
fn text_output_names_file_line_rule_and_fix_and_says_when_git_is_absent() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.py", "import jwt\njwt.decode(token, key)\n");
    let out = jwtkeep_in(dir.path(), &["scan"], None);
    let text = stdout(&out);
    assert_eq!(code(&out), 1, "{text}");
    assert!(
        text.starts_with("app.py:2:1: medium jwt-verify-without-algorithms: "),
        "{text}"
    );
    assert!(text.contains("    fix: pass the one algorithm"), "{text}");
    assert!(
        text.contains("1 finding (0 critical, 0 high, 1 medium, 0 low) in 1 files"),
        "{text}"
    );
    assert!(text.contains("not a git work tree"), "{text}");
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
}

#[test]
fn fail_on_sets_the_threshold_for_exit_one() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "app.py", "import jwt\njwt.decode(token, key)\n");
    for (level, expected) in [
        ("low", 1),
        ("medium", 1),
        ("high", 0),
        ("critical", 0),
        ("never", 0),
    ] {
        let out = jwtkeep_in(dir.path(), &["scan", "--fail-on", level], None);
        assert_eq!(code(&out), expected, "--fail-on {level}");
    }
    let clean = tempfile::tempdir().unwrap();
    write(
        clean.path(),
        "ok.js",
        "const t = jwt.verify(x, k, { algorithms: ['ES256'] });\n",
    );
    assert_eq!(code(&jwtkeep_in(clean.path(), &["scan"], None)), 0);
}

#[test]
fn a_baseline_hides_known_findings_until_new_ones_appear() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.js", "const c = jwt.decode(t);\n");
    let out = jwtkeep_in(d, &["scan", "--format", "json"], None);
    fs::write(d.join("baseline.json"), &out.stdout).unwrap();
    let sarif = jwtkeep_in(d, &["scan", "--format", "sarif"], None);
    fs::write(d.join("baseline.sarif"), &sarif.stdout).unwrap();
    for baseline in ["baseline.json", "baseline.sarif"] {
        let (code, doc) = scan_json(d, &["--baseline", baseline]);
        assert_eq!(code, 0, "{baseline}: {doc}");
        assert_eq!(doc["baselined"], 1);
    }
    // The known finding moves down a line; a new one arrives.
    write(
        d,
        "a.js",
        "// moved\nconst c = jwt.decode(t);\nlocalStorage.setItem('jwt', t);\n",
    );
    let (code, doc) = scan_json(d, &["--baseline", "baseline.json"]);
    assert_eq!(code, 1);
    assert_eq!(rules_at(&doc), ["a.js:3 jwt-token-in-local-storage"]);
}

#[test]
fn sarif_output_is_one_run_with_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "main.go",
        "t := jwt.NewWithClaims(jwt.SigningMethodNone, c)\n",
    );
    let out = jwtkeep_in(dir.path(), &["scan", "--format", "sarif"], None);
    assert_eq!(code(&out), 1);
    let log: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    assert_eq!(run["results"][0]["ruleId"], "jwt-none-alg");
    assert_eq!(run["results"][0]["level"], "error");
    assert_eq!(
        run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "main.go"
    );
    assert!(run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .unwrap()
        .starts_with("file:///"));
}

#[test]
fn bad_input_is_a_one_line_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    assert_usage_error(
        &jwtkeep_in(dir.path(), &["scan", "no/such/dir"], None),
        "does not exist",
    );
    write(dir.path(), "b.json", "not json");
    assert_usage_error(
        &jwtkeep_in(dir.path(), &["scan", "--baseline", "b.json"], None),
        "is not JSON",
    );
    write(dir.path(), "c.json", "{\"other\": 1}");
    assert_usage_error(
        &jwtkeep_in(dir.path(), &["scan", "--baseline", "c.json"], None),
        "neither",
    );
    assert_usage_error(
        &jwtkeep_in(dir.path(), &["scan", "--baseline", "missing.json"], None),
        "cannot read the baseline",
    );
}

fn token_finding(doc: &Value) -> &Value {
    doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "jwt-committed-token")
        .unwrap()
}

#[test]
fn a_committed_token_signed_with_a_secret_in_the_tree_is_forgeable() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    git(d, &["init", "-q"]);
    let secret = "Vx9qLr2T8mWz4KpYb7NcQ3sHd6Fj1Ga5";
    write(d, "deploy/jwt.secret", secret);
    let mut perms = fs::metadata(d.join("deploy/jwt.secret"))
        .unwrap()
        .permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perms, 0o600);
    fs::set_permissions(d.join("deploy/jwt.secret"), perms).unwrap();
    let signed = jwtkeep_in(
        d,
        &[
            "token",
            "sign",
            "--secret-file",
            "deploy/jwt.secret",
            "--secret-encoding",
            "raw",
            "--alg",
            "HS256",
            "--sub",
            "u1",
            "--iss",
            "https://api.example.com",
            "--exp",
            "1h",
        ],
        None,
    );
    assert_eq!(code(&signed), 0, "{}", stderr(&signed));
    let token = stdout(&signed).trim().to_owned();
    fs::remove_file(d.join("deploy/jwt.secret")).unwrap();
    // The secret is set in the repository's .env (committed: an ignored file
    // is not in the repository and tells its readers nothing); the token is in the docs.
    write(d, ".env", &format!("JWT_SECRET={secret}\n"));
    write(
        d,
        "docs/api.md",
        &format!("curl -H 'Authorization: Bearer {token}'\n"),
    );
    git(d, &["add", "-A"]);
    let (exit, doc) = scan_json(d, &[]);
    assert_eq!(exit, 1);
    let finding = token_finding(&doc);
    assert_eq!(finding["severity"], "critical");
    let message = finding["message"].as_str().unwrap();
    assert!(message.contains("forgeable"), "{message}");
    assert!(message.contains("(.env:1)"), "{message}");
    assert!(
        message.contains("issuer \"https://api.example.com\""),
        "{message}"
    );
    assert!(!message.contains(secret) && !message.contains(token.rsplit('.').next().unwrap()));

    // Judged at a time after its expiry: still critical, the secret is known.
    let (_, later) = scan_json(d, &["--now", "4102444800"]);
    let message = token_finding(&later)["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        message.contains("expired") && message.contains("sign new tokens"),
        "{message}"
    );

    // Without the secret in the tree, a live token is high and says it was searched.
    fs::remove_file(d.join(".env")).unwrap();
    git(d, &["rm", "-q", "--cached", ".env"]);
    let (_, doc) = scan_json(d, &[]);
    assert_eq!(token_finding(&doc)["severity"], "high");
    // A wordlist holding it makes it forgeable again.
    write(d, "words.txt", &format!("alpha\n{secret}\n"));
    let (_, doc) = scan_json(d, &["--wordlist", "words.txt"]);
    let f = token_finding(&doc);
    assert!(f["message"].as_str().unwrap().contains("in your wordlist"));
    assert_usage_error(
        &jwtkeep_in(d, &["scan", "--wordlist", "missing.txt"], None),
        "cannot read the wordlist",
    );
}
