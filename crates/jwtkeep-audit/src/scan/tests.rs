//! Each rule against the code that should and should not trigger it, per
//! language, on the real engine.

use super::*;

fn scanner() -> &'static Scanner {
    static S: std::sync::OnceLock<Scanner> = std::sync::OnceLock::new();
    S.get_or_init(|| Scanner::new().unwrap())
}

/// The active findings of `code` as `rule@line` strings, by line then rule.
fn found(path: &str, code: &str) -> Vec<String> {
    let mut f: Vec<(usize, &str)> = scanner()
        .scan_text(path, code.as_bytes())
        .into_iter()
        .filter(|f| f.suppressed.is_none())
        .map(|f| (f.line, f.rule.id))
        .collect();
    f.sort_unstable();
    f.into_iter()
        .map(|(line, id)| format!("{id}@{line}"))
        .collect()
}

fn severity_of(path: &str, code: &str, rule: &str) -> Severity {
    scanner()
        .scan_text(path, code.as_bytes())
        .into_iter()
        .find(|f| f.rule.id == rule)
        .unwrap_or_else(|| panic!("no {rule} in {code}"))
        .severity
}

#[test]
fn javascript_rules_find_what_they_should() {
    let code = r#"const jwt = require('jsonwebtoken');
const token = jwt.sign({ sub: user.id }, 'supersecretkey', { expiresIn: '30d' });
jwt.verify(token, key, { algorithms: ['HS256', 'none'] });
const claims = jwt.decode(token);
const secret = process.env.JWT_SECRET || 'dev-secret';
jwt.verify(token, key);
jwt.verify(token, key, { ignoreExpiration: true, algorithms: ['HS256'] });
localStorage.setItem('access_token', token);
console.log('issued', token);
jwt.sign({ sub: 1, password: req.body.password }, key, { expiresIn: 900 });
"#;
    assert_eq!(
        found("src/auth.js", code),
        [
            "jwt-hardcoded-secret@2",
            "jwt-long-lifetime@2",
            "jwt-none-alg@3",
            "jwt-decode-without-verify@4",
            "jwt-secret-fallback@5",
            "jwt-verify-without-algorithms@6",
            "jwt-expiry-disabled@7",
            "jwt-token-in-local-storage@8",
            "jwt-logged@9",
            "jwt-exposed-data@10",
        ]
    );
    assert_eq!(
        severity_of("a.js", code, "jwt-hardcoded-secret"),
        Severity::Critical
    );
}

#[test]
fn javascript_safe_code_is_quiet() {
    let code = r#"import { jwtVerify } from 'jose';
const secret = process.env.JWT_SECRET;
if (!secret) throw new Error('JWT_SECRET is required');
const claims = jwt.verify(token, secret, { algorithms: ['HS256'], issuer: ISS });
const t = jwt.sign({ sub: user.id }, secret, { expiresIn: '15m', algorithm: 'HS256' });
console.log('token refreshed for', user.id);
localStorage.setItem('theme', 'dark');
"#;
    assert_eq!(found("src/ok.ts", code), Vec::<String>::new());
}

#[test]
fn loggers_are_flagged_for_tokens_not_for_words_about_them() {
    let code = "console.log(`issued ${accessToken}`);\nconsole.log('token refreshed', user.id, tokenCount);\nlog.Printf(\"bad %s\", tokenString)\n";
    assert_eq!(found("a.js", code), ["jwt-logged@1"]);
    assert_eq!(
        found("b.go", "log.Printf(\"bad %s\", tokenString)\n"),
        ["jwt-logged@1"]
    );
    let rust = "macro_rules! d { ($($token:tt)*) => (debug!($($token)*);) }\nprintln!(\"event {:?}\", event.token());\n";
    assert!(found("m.rs", rust).is_empty());
}

#[test]
fn express_jwt_and_passport_rules_need_their_library() {
    let express = "const { expressjwt: jwt } = require('express-jwt');\napp.use(jwt({ secret: process.env.S, algorithms: ['HS256'] }));\n";
    assert_eq!(found("app.js", express), ["jwt-express-not-revoked@2"]);
    let revoked = "require('express-jwt');\napp.use(expressjwt({ secret: s, algorithms: ['HS256'], isRevoked: check }));\n";
    assert_eq!(found("app.js", revoked), Vec::<String>::new());
    let passport = "const { Strategy } = require('passport-jwt');\npassport.use(new Strategy({ secretOrKey: 'keyboard cat', jwtFromRequest: x }, verify));\n";
    assert_eq!(
        found("p.js", passport),
        ["jwt-hardcoded-secret@2", "jwt-verify-without-algorithms@2"]
    );
}

#[test]
fn a_strong_literal_secret_is_still_hard_coded_but_not_critical() {
    let code =
        "jwt.sign(p, 'Jq3v9Xw2Lk8Rt5Zp1Mn7Bc4Hf6Gd0Sy2Ae9Ux3Wi5Ko8', { expiresIn: '15m' });\n";
    assert_eq!(found("a.js", code), ["jwt-hardcoded-secret@1"]);
    assert_eq!(
        severity_of("a.js", code, "jwt-hardcoded-secret"),
        Severity::High
    );
    // A reference to the environment is not a secret.
    assert!(found("a.js", "jwt.sign(p, `${SECRET}`, { expiresIn: 60 });\n").is_empty());
}

#[test]
fn python_rules() {
    let code = r#"import jwt, os
from datetime import timedelta
SECRET_KEY = "changeme"
token = jwt.encode({"sub": "1", "exp": now + timedelta(days=30)}, SECRET_KEY, algorithm="HS256")
claims = jwt.decode(token, key, algorithms=["HS256", "none"])
data = jwt.decode(token, options={"verify_signature": False})
key = os.environ.get("JWT_SECRET", "secret")
jwt.decode(token, key)
jwt.decode(token, key, algorithms=["HS256"], options={"verify_exp": False})
print("token:", token)
"#;
    assert_eq!(
        found("api/auth.py", code),
        [
            "jwt-hardcoded-secret@3",
            "jwt-long-lifetime@4",
            "jwt-none-alg@5",
            // With the signature off, the missing algorithms list is moot.
            "jwt-decode-without-verify@6",
            "jwt-secret-fallback@7",
            "jwt-verify-without-algorithms@8",
            "jwt-expiry-disabled@9",
            "jwt-logged@10",
        ]
    );
}

#[test]
fn an_expiry_set_through_a_spread_object_counts() {
    let code = r#"const jwt = require('jsonwebtoken');
const key = process.env.KEY;
const base = { expiresIn: '1h' };
const plain = { audience: 'api' };
jwt.sign({ a: 1 }, key, { ...base, audience: 'x' });
jwt.sign({ a: 1 }, key, { ...plain, issuer: 'y' });
"#;
    assert_eq!(found("src/t.js", code), ["jwt-no-expiry@6"]);
}

#[test]
fn a_pydantic_settings_default_is_a_fallback_not_a_constant() {
    let code = r#"import jwt
from pydantic_settings import BaseSettings
class Settings(BaseSettings):
    jwt_secret: str = "dev-secret"
class Plain:
    jwt_secret = "plain-secret"
def a(t):
    return jwt.decode(t, Settings().jwt_secret, algorithms=["HS256"])
def b(t):
    return jwt.decode(t, Plain.jwt_secret, algorithms=["HS256"])
"#;
    let f = found("app/settings.py", code);
    assert!(f.contains(&"jwt-secret-fallback@4".to_owned()), "{f:?}");
    assert!(f.contains(&"jwt-hardcoded-secret@6".to_owned()), "{f:?}");
}

#[test]
fn authlib_takes_the_key_third() {
    let code = "from authlib.jose import jwt\ns = jwt.encode({'alg': 'HS256'}, payload, 'secret')\nt = jwt.encode(header, {'sub': '1'}, key)\n";
    // The third call's payload has no exp.
    assert_eq!(
        found("a.py", code),
        ["jwt-hardcoded-secret@2", "jwt-no-expiry@3"]
    );
}

#[test]
fn go_rules() {
    let code = r#"package auth
var jwtKey = []byte("my_secret_key")
func sign() (string, error) {
	claims := jwt.RegisteredClaims{ExpiresAt: jwt.NewNumericDate(time.Now().Add(24 * time.Hour * 30))}
	t := jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	return t.SignedString([]byte("secret"))
}
func parse(s string) {
	tok, _ := jwt.Parse(s, func(t *jwt.Token) (interface{}, error) { return jwtKey, nil })
	u, _, _ := new(jwt.Parser).ParseUnverified(s, &claims)
	log.Printf("bad token %s", tokenString)
}
"#;
    assert_eq!(
        found("auth.go", code),
        [
            "jwt-hardcoded-secret@2",
            "jwt-long-lifetime@4",
            "jwt-none-alg@5",
            "jwt-hardcoded-secret@6",
            "jwt-verify-without-algorithms@9",
            "jwt-decode-without-verify@10",
            "jwt-logged@11",
        ]
    );
    let checked = "jwt.Parse(s, keyFunc, jwt.WithValidMethods([]string{\"HS256\"}))\n";
    assert!(found("ok.go", checked).is_empty());
}

#[test]
fn java_rules() {
    let code = r#"Algorithm algorithm = Algorithm.HMAC256("secret");
String t = JWT.create().withExpiresAt(new Date(System.currentTimeMillis() + 1000L * 60 * 60 * 48)).sign(algorithm);
DecodedJWT jwt = JWT.decode(token);
Jwts.parser().setSigningKey("s3cr3t").setAllowedClockSkewSeconds(86400).parseClaimsJws(t);
JWTVerifier v = JWT.require(Algorithm.none()).build();
Object o = Jwts.parser().unsecured().build().parse(t);
"#;
    assert_eq!(
        found("Auth.java", code),
        [
            "jwt-hardcoded-secret@1",
            "jwt-long-lifetime@2",
            "jwt-decode-without-verify@3",
            "jwt-expiry-disabled@4",
            "jwt-hardcoded-secret@4",
            "jwt-none-alg@5",
            "jwt-none-alg@6",
        ]
    );
}

#[test]
fn ruby_rules() {
    let code = r#"token = JWT.encode(payload, 'my$ecretK3y', 'HS256')
decoded = JWT.decode(token, nil, false)
JWT.encode(payload, nil, 'none')
JWT.decode(token, key, true, { verify_expiration: false, algorithm: 'HS256' })
hmac = ENV.fetch('JWT_SECRET', 'fallback')
JWT.decode(token, hmac)
"#;
    assert_eq!(
        found("app/auth.rb", code),
        [
            "jwt-hardcoded-secret@1",
            "jwt-decode-without-verify@2",
            "jwt-none-alg@3",
            "jwt-expiry-disabled@4",
            "jwt-secret-fallback@5",
            "jwt-verify-without-algorithms@6",
        ]
    );
}

#[test]
fn rust_rules() {
    let code = r#"let key = EncodingKey::from_secret(b"secret");
let mut v = Validation::new(Algorithm::HS256);
v.validate_exp = false;
let data = dangerous_insecure_decode::<Claims>(&token);
let exp = now + Duration::days(90);
let secret = std::env::var("JWT_SECRET").unwrap_or_else(|_| "dev".into());
println!("token = {}", token);
let k = HS256Key::from_bytes(b"0123456789abcdef0123456789abcdef");
v.algorithms = vec![Algorithm::HS256, Algorithm::RS256];
"#;
    assert_eq!(
        found("src/auth.rs", code),
        [
            "jwt-hardcoded-secret@1",
            "jwt-expiry-disabled@3",
            "jwt-decode-without-verify@4",
            "jwt-long-lifetime@5",
            "jwt-secret-fallback@6",
            "jwt-logged@7",
            "jwt-hardcoded-secret@8",
            "jwt-mixed-algorithms@9",
        ]
    );
}

#[test]
fn committed_tokens_and_private_keys_are_found_in_any_text_file() {
    let text = "curl -H 'Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U'\n\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAuVYh3mnS1v7Bq8mJ0xZQm4Kd6q3oX2wLq9c7pO4u1kRb5tYs\n";
    assert!(found(
        "src/pem.rs",
        "let label = \"-----BEGIN PRIVATE KEY-----\\n\";\n"
    )
    .is_empty());
    assert_eq!(
        found("docs/README.md", text),
        ["jwt-committed-token@1", "private-key-committed@3"]
    );
}

#[test]
fn inline_suppression_needs_the_rule_id_and_keeps_the_reason() {
    let code = "// jwtkeep:ignore jwt-decode-without-verify only reads the kid before verify\nconst h = jwt.decode(token);\nconst x = jwt.decode(t); // jwtkeep:ignore jwt-none-alg wrong rule\n";
    let findings = scanner().scan_text("a.js", code.as_bytes());
    assert_eq!(findings.len(), 2);
    assert_eq!(
        findings[0].suppressed.as_deref(),
        Some("only reads the kid before verify")
    );
    assert_eq!(
        findings[1].suppressed, None,
        "another rule's id does not suppress"
    );
    let same_line = "const h = jwt.decode(token); /* jwtkeep:ignore jwt-decode-without-verify,jwt-logged header only */\n";
    let f = scanner().scan_text("a.js", same_line.as_bytes());
    assert_eq!(f[0].suppressed.as_deref(), Some("header only"));
}

#[test]
fn fingerprints_survive_moved_lines_but_not_changed_ones() {
    let a = scanner().scan_text("a.js", b"const c = jwt.decode(t);\n");
    let b = scanner().scan_text("a.js", b"\n\n  const c = jwt.decode(t);\n");
    let c = scanner().scan_text("a.js", b"const d = jwt.decode(t);\n");
    let other_file = scanner().scan_text("b.js", b"const c = jwt.decode(t);\n");
    assert_eq!(a[0].fingerprint, b[0].fingerprint);
    assert_ne!(a[0].fingerprint, c[0].fingerprint);
    assert_ne!(a[0].fingerprint, other_file[0].fingerprint);
}

#[test]
fn configuration_files_report_the_setting_not_the_value() {
    let f = scanner().scan_text("deploy/.env", b"JWT_SECRET=supersecretkey\n");
    assert_eq!(f.len(), 1);
    assert_eq!(f[0].rule.id, "weak-secret-in-config");
    assert_eq!(f[0].severity, Severity::Critical);
    assert!(f[0].message.starts_with("JWT_SECRET is weak"));
    assert!(!f[0].message.contains("supersecretkey"));
}

#[test]
fn messages_never_quote_a_secret() {
    let code = "jwt.sign(p, 'myapp-secret-2024');\nconst s = process.env.JWT_SECRET || 'myapp-secret-2024';\n";
    for f in scanner().scan_text("a.js", code.as_bytes()) {
        assert!(!f.message.contains("myapp-secret-2024"), "{}", f.message);
    }
}

#[test]
fn sarif_lists_every_rule_and_marks_suppressions() {
    let report = Report {
        findings: scanner().scan_text(
            "a.js",
            b"jwt.decode(t); // jwtkeep:ignore jwt-decode-without-verify reading kid\njwt.sign(p, 'secret', { expiresIn: 60 });\n",
        ),
        ..Report::default()
    };
    let log = sarif(&report, Some("file:///repo/"));
    let run = &log["runs"][0];
    assert_eq!(log["version"], "2.1.0");
    assert_eq!(
        run["tool"]["driver"]["rules"].as_array().unwrap().len(),
        RULES.len()
    );
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(
        results[0]["suppressions"][0]["justification"],
        "reading kid"
    );
    assert_eq!(results[1]["level"], "error");
    assert_eq!(
        results[1]["locations"][0]["physicalLocation"]["region"]["startLine"],
        2
    );
    assert_eq!(run["originalUriBaseIds"]["SRCROOT"]["uri"], "file:///repo/");
}

/// An HS256 token signed with `secret`, its claims as given.
fn hs256(secret: &[u8], claims: &str) -> String {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
    let input = format!(
        "{}.{}",
        b64(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64(claims.as_bytes())
    );
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

/// The findings of a tree of `files` (paths may hold directories).
fn tree_scan(name: &str, files: &[(&str, String)], wordlist: &str) -> Vec<Finding> {
    let dir = std::env::temp_dir().join(format!("jwtkeep-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let scanner = Scanner::new().unwrap().with_triage(Triage {
        now: Some(1_800_000_000),
        wordlists: vec![zeroize::Zeroizing::new(wordlist.as_bytes().to_vec())],
    });
    let report = scanner
        .scan_tree(&dir, None, 2, &ScanProgress::default())
        .unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    report.findings
}

fn triaged(files: &[(&str, String)], wordlist: &str) -> Vec<Finding> {
    tree_scan("triage", files, wordlist)
        .into_iter()
        .filter(|f| f.rule.id == "jwt-committed-token")
        .collect()
}

#[test]
fn secrets_are_followed_across_imports_and_reported_where_written() {
    let files = [
        // A chain: app.ts <- config/index.ts <- lib/secrets.js.
        (
            "web/src/lib/secrets.js",
            "export const base = 'chained-secret-value';\n".to_owned(),
        ),
        (
            "web/src/config/index.ts",
            "import { base } from '../lib/secrets.js';\nexport const jwtSecret = base;\n".to_owned(),
        ),
        // TypeScript imports written with `.js` name the `.ts` file.
        ("web/src/keys.ts", "export const k = 'ts-secret';\n".to_owned()),
        (
            "web/src/app.ts",
            "import jwt from 'jsonwebtoken';\nimport { jwtSecret } from './config';\nimport { k } from './keys.js';\njwt.sign({ a: 1 }, jwtSecret, { expiresIn: 60 });\njwt.sign({ a: 1 }, k, { expiresIn: 60 });\n".to_owned(),
        ),
        // The same literal reached from a second file: one finding.
        (
            "web/src/app2.ts",
            "import jwt from 'jsonwebtoken';\nimport { k } from './keys';\njwt.sign({ a: 1 }, k, { expiresIn: 60 });\n".to_owned(),
        ),
        // A cycle ends.
        ("web/src/a.js", "const { x } = require('./b');\nexports.y = x;\n".to_owned()),
        ("web/src/b.js", "const { y } = require('./a');\nexports.x = y;\n".to_owned()),
        (
            "web/src/cycle.js",
            "const jwt = require('jsonwebtoken');\nconst { y } = require('./a');\njwt.sign({}, y, { expiresIn: 1 });\n".to_owned(),
        ),
        // A function's local of the imported name is not what was imported.
        (
            "web/src/local.js",
            "function f() { const token = 'not-exported'; return token; }\nmodule.exports = { f };\n".to_owned(),
        ),
        (
            "web/src/uses_local.js",
            "const jwt = require('jsonwebtoken');\nconst { token } = require('./local');\njwt.sign({}, token, { expiresIn: 1 });\n".to_owned(),
        ),
        // Only test code signs with it: not reported.
        ("web/src/only_tests.js", "exports.secret = 'used-by-tests-only';\n".to_owned()),
        (
            "web/test/auth.test.js",
            "const jwt = require('jsonwebtoken');\nconst { secret } = require('../src/only_tests');\njwt.sign({}, secret, { expiresIn: 1 });\n".to_owned(),
        ),
        // Python: a submodule imported from its package.
        ("svc/app/__init__.py", String::new()),
        ("svc/app/config.py", "SECRET = 'py-chain-secret'\n".to_owned()),
        (
            "svc/main.py",
            "import jwt\nfrom app import config\njwt.encode({'exp': 1}, config.SECRET, algorithm='HS256')\n".to_owned(),
        ),
        // Kotlin: an imported object of another package of the tree.
        (
            "kt/src/main/kotlin/shop/config/Secrets.kt",
            "package shop.config\n\nobject Secrets {\n    const val JWT = \"kotlin-imported\"\n}\n".to_owned(),
        ),
        (
            "kt/src/main/kotlin/shop/auth/Tokens.kt",
            "package shop.auth\n\nimport com.auth0.jwt.JWT\nimport com.auth0.jwt.algorithms.Algorithm\nimport shop.config.Secrets as S\n\nfun issue(u: String): String = JWT.create().withSubject(u).withExpiresAt(java.util.Date()).sign(Algorithm.HMAC256(S.JWT))\n".to_owned(),
        ),
        // Ruby: a constant of a required file, and of a Rails initializer.
        ("rb/lib/keys.rb", "module Keys\n  HMAC = 'ruby-required'\nend\n".to_owned()),
        (
            "rb/lib/token.rb",
            "require 'jwt'\nrequire_relative 'keys'\n\ndef issue(p)\n  p[:exp] = 1\n  JWT.encode(p, Keys::HMAC, 'HS256')\nend\n".to_owned(),
        ),
        ("rb/config/initializers/jwt.rb", "JWT_KEY = 'ruby-initializer'\n".to_owned()),
        (
            "rb/app/lib/auth.rb",
            "require 'jwt'\n\ndef issue(p)\n  p[:exp] = 1\n  JWT.encode(p, JWT_KEY, 'HS256')\nend\n".to_owned(),
        ),
        // Go: a local of another file of the package is not package-level.
        (
            "gosvc/auth/key.go",
            "package auth\n\nfunc f() {\n\tsigningKey := []byte(\"local\")\n\t_ = signingKey\n}\n".to_owned(),
        ),
        (
            "gosvc/auth/sign.go",
            "package auth\n\nimport \"github.com/golang-jwt/jwt/v5\"\n\nfunc Sign(c jwt.MapClaims) (string, error) {\n\treturn jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(signingKey)\n}\n".to_owned(),
        ),
    ];
    let found = tree_scan("imports", &files, "");
    let secrets: Vec<(String, usize, &str)> = found
        .iter()
        .filter(|f| f.rule.id.contains("secret"))
        .map(|f| (f.path.clone(), f.line, f.rule.id))
        .collect();
    assert_eq!(
        secrets,
        [
            (
                "kt/src/main/kotlin/shop/config/Secrets.kt".to_owned(),
                4,
                "jwt-hardcoded-secret"
            ),
            (
                "rb/config/initializers/jwt.rb".to_owned(),
                1,
                "jwt-hardcoded-secret"
            ),
            ("rb/lib/keys.rb".to_owned(), 2, "jwt-hardcoded-secret"),
            ("svc/app/config.py".to_owned(), 1, "jwt-hardcoded-secret"),
            ("web/src/keys.ts".to_owned(), 1, "jwt-hardcoded-secret"),
            (
                "web/src/lib/secrets.js".to_owned(),
                1,
                "jwt-hardcoded-secret"
            ),
        ],
        "{found:#?}"
    );
    let chained = found
        .iter()
        .find(|f| f.path == "web/src/lib/secrets.js")
        .unwrap();
    assert!(
        chained
            .message
            .contains("reaches jwt.sign (web/src/app.ts:4)"),
        "{}",
        chained.message
    );
    // Whichever thread finished first, the first importer by name is named.
    let keys = found.iter().find(|f| f.path == "web/src/keys.ts").unwrap();
    assert!(
        keys.message.contains("(web/src/app.ts:5)"),
        "{}",
        keys.message
    );
    let py = found
        .iter()
        .find(|f| f.path == "svc/app/config.py")
        .unwrap();
    assert!(
        py.message.contains("jwt.encode (svc/main.py:3)"),
        "{}",
        py.message
    );
}

#[test]
fn committed_tokens_are_forgeable_when_their_secret_is_known() {
    let live = r#"{"sub":"1","iss":"https://api.example.com","exp":2000000000}"#;
    let expired = r#"{"sub":"1","exp":1600000000}"#;
    let bundled = hs256(b"secret", live);
    let in_tree = hs256(b"Vx9qLr2T8mWz4KpYb7NcQ3sHd6Fj1Ga5", r#"{"sub":"2"}"#);
    let in_wordlist = hs256(b"acme-2024-signing", live);
    let unknown = hs256(b"zq-unknown-8w7e6r5t4y3u2i1o", live);
    let old_unknown = hs256(b"zq-unknown-8w7e6r5t4y3u2i1o", expired);
    let old_bundled = hs256(b"secret", expired);
    let found = triaged(
        &[
            ("a.md", format!("Bearer {bundled}\n")),
            (
                ".env",
                "JWT_SECRET=Vx9qLr2T8mWz4KpYb7NcQ3sHd6Fj1Ga5\n".to_owned(),
            ),
            ("b.http", format!("Authorization: Bearer {in_tree}\n")),
            (
                "c.txt",
                format!("{in_wordlist}\n{unknown}\n{old_unknown}\n{old_bundled}\n"),
            ),
        ],
        "alpha\nacme-2024-signing\n",
    );
    let by = |path: &str, line: usize| {
        found
            .iter()
            .find(|f| f.path == path && f.line == line)
            .unwrap_or_else(|| panic!("no finding at {path}:{line}"))
    };
    let a = by("a.md", 1);
    assert_eq!(a.severity, Severity::Critical);
    assert!(a.message.contains("forgeable"), "{}", a.message);
    assert!(a.message.contains("bundled list"));
    assert!(a.message.contains(r#"issuer "https://api.example.com""#));
    assert!(a.message.contains("live until 2033-05-18T03:33:20Z"));
    let b = by("b.http", 1);
    assert_eq!(b.severity, Severity::Critical);
    assert!(
        b.message.contains("written in this tree (.env:1)"),
        "{}",
        b.message
    );
    assert!(b.message.contains("no expiry"));
    let c = by("c.txt", 1);
    assert!(c.message.contains("in your wordlist"), "{}", c.message);
    assert_eq!(by("c.txt", 2).severity, Severity::High);
    assert!(by("c.txt", 2).message.contains("not on the bundled list"));
    let old = by("c.txt", 3);
    assert_eq!(old.severity, Severity::Medium);
    assert!(old.message.contains("expired 2020-09-13T12:26:40Z"));
    // Expired, but the secret is known: new tokens can be signed.
    let old_known = by("c.txt", 4);
    assert_eq!(old_known.severity, Severity::Critical);
    assert!(old_known.message.contains("sign new tokens"));
    // Never a token, nor a secret, in a message.
    for f in &found {
        for t in [&bundled, &in_tree, &in_wordlist, &unknown] {
            let signature = t.rsplit('.').next().unwrap();
            assert!(!f.message.contains(signature), "{}", f.message);
        }
        assert!(!f.message.contains("Vx9qLr2T8mWz4KpYb7NcQ3sHd6Fj1Ga5"));
        assert!(!f.message.contains("acme-2024-signing"));
    }
}

#[test]
fn deeply_nested_code_in_a_parsed_file_is_no_crash() {
    let depth = 100_000;
    let code = format!(
        "const jwt = require('jsonwebtoken');\nconst x = {}1{};\njwt.sign(p, 'secret', {{ expiresIn: 60 }});\n",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert!(found("deep.js", &code).contains(&"jwt-hardcoded-secret@3".to_owned()));
    // Bindings and functions nested as deep: each is placed (inside a
    // function or not) without walking back up the tree.
    let depth = 20_000;
    let code = format!(
        "const jwt = require('jsonwebtoken');\n{}1{};\n{}{}\njwt.sign(p, 'secret', {{ expiresIn: 60 }});\n",
        "x = (".repeat(depth),
        ")".repeat(depth),
        "(() => { k = 'v'; ".repeat(depth),
        "})()".repeat(depth),
    );
    assert!(found("deep2.js", &code).contains(&"jwt-hardcoded-secret@4".to_owned()));
    // What the reduction keeps of a nested file is bounded by the file, not
    // by the file times its nesting: a function called in place is no name
    // (its text, copied at every level, took gigabytes).
    let module = syntax::parse(syntax::Grammar::JavaScript, code.as_bytes()).unwrap();
    let kept: usize = module.calls.iter().map(|c| c.name.len()).sum();
    assert!(
        kept < code.len(),
        "{kept} bytes of names from {} bytes",
        code.len()
    );
}
