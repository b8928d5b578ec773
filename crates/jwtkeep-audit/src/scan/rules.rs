//! What `scan` looks for in source code: one entry per rule and language.
//!
//! Patterns are byte regexes without Unicode classes (`[ \t]`, not `\s`), so
//! that all of a language's patterns run as one automaton over each file.
//! Where a pattern cannot decide alone, a [`Check`] looks closer at the match:
//! the literal secret it captured, the arguments of the call it found, or a
//! lifetime it names.

use jwtkeep_core::strength::Severity;

/// The languages rules are written for, by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Lang {
    /// JavaScript and TypeScript (jsonwebtoken, jose, express-jwt, passport-jwt).
    Js,
    /// Python (PyJWT, python-jose, authlib).
    Python,
    /// Go (golang-jwt).
    Go,
    /// Java and Kotlin (jjwt, java-jwt).
    Java,
    /// Ruby (ruby-jwt).
    Ruby,
    /// Rust (jsonwebtoken, jwt-simple).
    Rust,
    /// Any other text: only the rules for committed tokens and keys.
    Text,
}

impl Lang {
    /// The language of a file, by its extension.
    pub fn of(path: &std::path::Path) -> Lang {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or_default();
        match ext {
            "js" | "jsx" | "mjs" | "cjs" | "ts" | "tsx" | "mts" | "cts" | "vue" | "svelte" => {
                Lang::Js
            }
            "py" | "pyw" => Lang::Python,
            "go" => Lang::Go,
            "java" | "kt" | "kts" | "scala" | "groovy" => Lang::Java,
            "rb" | "erb" => Lang::Ruby,
            "rs" => Lang::Rust,
            _ => Lang::Text,
        }
    }

    /// The file extensions of the language (empty for [`Lang::Text`]: any other file).
    pub fn extensions(self) -> &'static [&'static str] {
        match self {
            Lang::Js => &[
                "js", "jsx", "mjs", "cjs", "ts", "tsx", "mts", "cts", "vue", "svelte",
            ],
            Lang::Python => &["py", "pyw"],
            Lang::Go => &["go"],
            Lang::Java => &["java", "kt", "kts", "scala", "groovy"],
            Lang::Ruby => &["rb", "erb"],
            Lang::Rust => &["rs"],
            Lang::Text => &[],
        }
    }

    /// A lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Lang::Js => "javascript",
            Lang::Python => "python",
            Lang::Go => "go",
            Lang::Java => "java",
            Lang::Ruby => "ruby",
            Lang::Rust => "rust",
            Lang::Text => "text",
        }
    }

    /// Every language, in a fixed order.
    pub const ALL: [Lang; 7] = [
        Lang::Js,
        Lang::Python,
        Lang::Go,
        Lang::Java,
        Lang::Ruby,
        Lang::Rust,
        Lang::Text,
    ];
}

/// A rule: what it finds, why it matters and how to fix it.
#[derive(Debug, PartialEq, Eq)]
pub struct RuleInfo {
    /// Stable id, used in output, suppressions and baselines.
    pub id: &'static str,
    /// Severity of a finding (a weak literal secret raises it to critical).
    pub severity: Severity,
    /// One line: what was found.
    pub title: &'static str,
    /// Why it matters.
    pub reason: &'static str,
    /// What to do.
    pub fix: &'static str,
}

/// What a match needs before it is a finding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Check {
    /// The match is the finding.
    Always,
    /// A hard-coded secret captured as `sq`, `dq` or `bq`: always a finding;
    /// critical when `check`'s rules call it weak. Placeholders that point
    /// elsewhere (`${VAR}`) are not secrets.
    Secret,
    /// The call that starts at the match: a finding when its arguments do not
    /// mention the word.
    ArgsLack(&'static str),
    /// The call that starts at the match: a finding when its arguments, with
    /// string literals removed, name a token or secret.
    ArgsNameSecret,
    /// A lifetime captured as `dur` (`"30d"`, `2592000`, `24 * 60 * 60`, Go's
    /// `24 * time.Hour`, Python's `timedelta(days=30)`), in `unit` when bare:
    /// a finding when it is over a day.
    Lifetime(Unit),
    /// A number captured as `n`: a finding when over the given bound.
    Above(u64),
}

/// The unit of a bare number in a lifetime.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unit {
    /// Seconds.
    Secs,
    /// Milliseconds.
    Millis,
}

/// One pattern of one rule in some languages.
#[derive(Debug)]
pub(crate) struct Pattern {
    pub(crate) rule: &'static str,
    pub(crate) langs: &'static [Lang],
    /// Only files containing this text are checked with this pattern.
    pub(crate) requires: Option<&'static str>,
    pub(crate) regex: &'static str,
    pub(crate) check: Check,
}

/// The rules, in the order they are listed in SARIF.
pub static RULES: &[RuleInfo] = &[
    RuleInfo {
        id: "jwt-none-alg",
        severity: Severity::Critical,
        title: "the `none` algorithm is allowed or used",
        reason: "a token with alg none carries no signature: anyone can write one that passes",
        fix: "remove `none`; pin the one algorithm your key is for",
    },
    RuleInfo {
        id: "jwt-hardcoded-secret",
        severity: Severity::High,
        title: "a JWT signing secret is written in the source",
        reason: "it is in every clone, backup and log of the repository, and cannot be rotated without a release",
        fix: "read it from the environment or a secret store; generate one with `jwtkeep gen secret` and rotate the leaked one",
    },
    RuleInfo {
        id: "jwt-secret-fallback",
        severity: Severity::High,
        title: "a JWT secret falls back to a literal when the environment lacks it",
        reason: "a missing variable silently signs with a value that is in the source",
        fix: "fail at start-up when the variable is missing instead of falling back",
    },
    RuleInfo {
        id: "jwt-predictable-secret",
        severity: Severity::High,
        title: "a JWT secret is built from predictable parts",
        reason: "an app name, a host or an environment name plus a constant is guessable by anyone who knows the app",
        fix: "use a random secret of its own (jwtkeep gen secret), read whole from the environment or a secret store",
    },
    RuleInfo {
        id: "jwt-decode-without-verify",
        severity: Severity::High,
        title: "a token is decoded without checking its signature",
        reason: "every claim read this way can be forged",
        fix: "verify the token (signature, algorithm, exp, iss, aud) before using any claim",
    },
    RuleInfo {
        id: "jwt-verify-without-algorithms",
        severity: Severity::Medium,
        title: "a token is verified without an algorithms allow-list",
        reason: "the token's header then chooses the algorithm: RS/HS confusion and `none` attacks",
        fix: "pass the one algorithm the key is for (algorithms: ['ES256'], WithValidMethods, ...)",
    },
    RuleInfo {
        id: "jwt-expiry-disabled",
        severity: Severity::High,
        title: "expiry checking is turned off",
        reason: "a stolen token then works forever",
        fix: "keep exp validation on; give tokens a short lifetime and refresh them",
    },
    RuleInfo {
        id: "jwt-no-expiry",
        severity: Severity::High,
        title: "a token is signed with no expiry",
        reason: "a token without exp is valid forever: one leak is permanent",
        fix: "give every token an exp (expiresIn: '15m', \"exp\": now + 15 minutes, ExpiresAt, setExpiration) and refresh it",
    },
    RuleInfo {
        id: "jwt-mixed-algorithms",
        severity: Severity::High,
        title: "an algorithms allow-list mixes HMAC and public-key algorithms",
        reason: "with one key for both, a public key can be used as an HMAC secret: anyone holding it forges tokens (RS/HS confusion)",
        fix: "allow only the one algorithm the key is for; use separate keys and verifiers per algorithm",
    },
    RuleInfo {
        id: "jwt-long-lifetime",
        severity: Severity::Medium,
        title: "tokens live longer than a day",
        reason: "a stolen token stays useful for as long as it lives, and JWTs cannot be recalled without a denylist",
        fix: "issue access tokens for minutes (15 is common) and use refresh tokens for long sessions",
    },
    RuleInfo {
        id: "jwt-exposed-data",
        severity: Severity::Medium,
        title: "sensitive data is put in a token's claims",
        reason: "JWT claims are only base64url-encoded: anyone holding the token reads them",
        fix: "keep passwords and personal data out of tokens; put an opaque id in and look the rest up",
    },
    RuleInfo {
        id: "jwt-token-in-local-storage",
        severity: Severity::Medium,
        title: "a token is kept in localStorage or sessionStorage",
        reason: "any script on the page (one XSS) can read and send it away",
        fix: "keep tokens in HttpOnly, Secure, SameSite cookies (jwtkeep serve --cookies)",
    },
    RuleInfo {
        id: "jwt-insecure-cookie",
        severity: Severity::Medium,
        title: "a token is put in a cookie without HttpOnly, Secure or SameSite",
        reason: "without HttpOnly any script (one XSS) reads it, without Secure it travels in clear text, without SameSite other sites send it (CSRF)",
        fix: "set httpOnly, secure and sameSite ('strict' or 'lax') on every token cookie; never set tokens through document.cookie",
    },
    RuleInfo {
        id: "jwt-unverified-claims",
        severity: Severity::Critical,
        title: "claims of a token decoded without verification decide access",
        reason: "anyone can write a token with any role or scope: without the signature check the claims are only what the caller says",
        fix: "verify the token (signature, algorithm, exp, iss, aud) and read the claims from the verified result",
    },
    RuleInfo {
        id: "jwt-express-not-revoked",
        severity: Severity::Low,
        title: "express-jwt is set up without isRevoked",
        reason: "a token that was logged out or stolen stays valid until it expires",
        fix: "pass isRevoked and check the token's jti against a denylist",
    },
    RuleInfo {
        id: "jwt-logged",
        severity: Severity::Medium,
        title: "a token or secret is passed to a logger",
        reason: "logs are read, shipped and kept by many more people and systems than secrets should be",
        fix: "log the token's jti or a hash of it, never the token or the secret",
    },
    RuleInfo {
        id: "jwt-committed-token",
        severity: Severity::High,
        title: "a JWT is committed to the repository",
        reason: "if it is still valid, anyone who reads the repository can use it; its claims are readable by all",
        fix: "remove it, revoke it, and use a token made at test time (jwtkeep token sign) instead",
    },
    RuleInfo {
        id: "private-key-committed",
        severity: Severity::Critical,
        title: "a private key is committed to the repository",
        reason: "anyone who reads the repository can sign tokens your services accept",
        fix: "remove it from the tree and the history, rotate the key (jwtkeep gen key), keep keys out of git",
    },
    RuleInfo {
        id: "secret-file-not-ignored",
        severity: Severity::High,
        title: "a secrets file is tracked by git or not git-ignored",
        reason: "one `git add .` away from being published, if it is not already",
        fix: "add it to .gitignore (and `git rm --cached` it when tracked); rotate what it holds if it was pushed",
    },
    RuleInfo {
        id: "weak-secret-in-config",
        severity: Severity::High,
        title: "a weak JWT secret is set in a configuration file",
        reason: "a guessable or published secret lets anyone forge tokens",
        fix: "generate one with `jwtkeep gen secret` and inject it at deploy time",
    },
];

/// The source patterns of rule `id`: the languages each applies to and its
/// regex (byte-oriented, Unicode classes off). Configuration-file and
/// file-name rules have none.
pub fn patterns_of(id: &str) -> Vec<(&'static [Lang], &'static str)> {
    PATTERNS
        .iter()
        .filter(|p| p.rule == id)
        .map(|p| (p.langs, p.regex))
        .collect()
}

/// The rule with `id`.
pub fn rule(id: &str) -> Option<&'static RuleInfo> {
    RULES.iter().find(|r| r.id == id)
}

use Lang::{Go, Java, Js, Python, Ruby, Rust};

/// A single- or double-quoted (or JS template, without `${`) string literal,
/// captured as `sq`, `dq` or `bq`.
macro_rules! lit {
    () => {
        r#"(?:'(?P<sq>[^'\n]{0,256})'|"(?P<dq>[^"\n]{0,256})"|`(?P<bq>[^`$\n]{0,256})`)"#
    };
}

/// A first argument: a name or expression, or an object literal without nested braces.
macro_rules! first_arg {
    () => {
        r#"(?:[^,(){}'"\n]{1,200}|\{[^{}]{0,400}\})"#
    };
}

/// Names that hold secrets or tokens (case-insensitive).
const SECRETISH: &str = r"[A-Za-z0-9_.-]*(?i:secret|jwt|signing[_-]?key|hmac|token[_-]?key|private[_-]?key)[A-Za-z0-9_.-]*";

pub(crate) static PATTERNS: &[Pattern] = &[
    // ---- none
    Pattern {
        rule: "jwt-none-alg",
        langs: &[Js, Python, Ruby],
        requires: None,
        regex: r#"\balgorithms?['"]?[ \t]*[:=][ \t]*[\[(]?[^\]\n;]{0,80}['"`](?i:none)['"`]"#,
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-none-alg",
        langs: &[Ruby],
        requires: None,
        regex: r#"\bJWT\.encode[ \t]*\([^\n]{0,200},[ \t]*['"](?i:none)['"]"#,
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-none-alg",
        langs: &[Go],
        requires: None,
        regex: r"\bjwt\.(?:SigningMethodNone|UnsafeAllowNoneSignatureType)\b",
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-none-alg",
        langs: &[Java],
        requires: None,
        regex: r"\bAlgorithm\.none\(\)|\bSignatureAlgorithm\.NONE\b|\bJwts\.unsecured\(\)|\bJwts\.parser(?:Builder)?\(\)[\s.]*unsecured\(\)",
        check: Check::Always,
    },
    // ---- hard-coded secrets
    Pattern {
        rule: "jwt-hardcoded-secret",
        langs: &[Js],
        requires: None,
        regex: concat!(
            r"\b(?:jwt|jsonwebtoken|JWT)\.(?:sign|verify)[ \t]*\([ \t\r\n]*",
            first_arg!(),
            r",[ \t\r\n]*",
            lit!()
        ),
        check: Check::Secret,
    },
    Pattern {
        rule: "jwt-hardcoded-secret",
        langs: &[Js],
        requires: None,
        regex: concat!(r"\bnew[ \t]+TextEncoder\(\)\.encode\([ \t]*", lit!()),
        check: Check::Secret,
    },
    Pattern {
        rule: "jwt-hardcoded-secret",
        langs: &[Js, Python, Ruby, Java, Go, Rust],
        requires: None,
        regex: concat!(
            r#"\b(?:[A-Za-z0-9_]*(?i:jwt_?secret|jwt_?key|secret_?or_?(?:private_?|public_?)?key|token_?secret|signing_?secret|hmac_?secret)[A-Za-z0-9_]*|SECRET_KEY)['"]?\]?[ \t]*(?::=|=|:)[ \t]*(?:b|\[\]byte\()?"#,
            lit!()
        ),
        check: Check::Secret,
    },
    Pattern {
        rule: "jwt-hardcoded-secret",
        langs: &[Js],
        requires: Some("jwt"),
        regex: concat!(r"\bsecret[ \t]*:[ \t]*", lit!()),
        check: Check::Secret,
    },
    Pattern {
        rule: "jwt-hardcoded-secret",
        langs: &[Python],
        requires: None,
        regex: concat!(
            r"\bjwt\.(?:encode|decode)[ \t]*\([ \t\r\n]*",
            first_arg!(),
            r",[ \t\r\n]*(?:key[ \t]*=[ \t]*)?",
            lit!()
        ),
        check: Check::Secret,
    },
    // authlib: jwt.encode(header, payload, key).
    Pattern {
        rule: "jwt-hardcoded-secret",
        langs: &[Python],
        requires: None,
        regex: concat!(
            r"\bjwt\.encode[ \t]*\([ \t\r\n]*",
            first_arg!(),
            r",[ \t\r\n]*",
            first_arg!(),
            r",[ \t\r\n]*",
            lit!()
        ),
        check: Check::Secret,
    },
    Pattern {
        rule: "jwt-hardcoded-secret",
        langs: &[Ruby],
        requires: None,
        regex: concat!(
            r"\bJWT\.(?:encode|decode)[ \t]*\(?[ \t]*",
            first_arg!(),
            r",[ \t]*",
            lit!()
        ),
        check: Check::Secret,
    },
    Pattern {
        rule: "jwt-hardcoded-secret",
        langs: &[Go],
        requires: None,
        // Signed with a literal, or a key function that returns one.
        regex: concat!(
            r"(?:\.SignedString[ \t]*\([ \t]*|\*jwt\.Token\)[^{\n]*\{[^}]{0,200}return[ \t]+)\[\]byte[ \t]*\([ \t]*",
            lit!()
        ),
        check: Check::Secret,
    },
    Pattern {
        rule: "jwt-hardcoded-secret",
        langs: &[Java],
        requires: None,
        regex: concat!(
            r"(?:\bAlgorithm\.HMAC(?:256|384|512)|\bKeys\.hmacShaKeyFor|\.setSigningKey|\.signWith[ \t]*\([ \t]*SignatureAlgorithm\.HS(?:256|384|512)[ \t]*,)[ \t]*\(?[ \t]*",
            lit!()
        ),
        check: Check::Secret,
    },
    Pattern {
        rule: "jwt-hardcoded-secret",
        langs: &[Rust],
        requires: None,
        regex: concat!(
            r"\b(?:EncodingKey::from_secret|DecodingKey::from_secret|HS(?:256|384|512)Key::from_bytes)[ \t]*\([ \t]*&?b?",
            lit!()
        ),
        check: Check::Secret,
    },
    // ---- env fallbacks
    Pattern {
        rule: "jwt-secret-fallback",
        langs: &[Js],
        requires: None,
        regex: concat!(
            r"\bprocess\.env\.",
            r"[A-Za-z0-9_]*(?i:secret|jwt|key)[A-Za-z0-9_]*",
            r"[ \t]*(?:\|\||\?\?)[ \t]*",
            lit!()
        ),
        check: Check::Secret,
    },
    Pattern {
        rule: "jwt-secret-fallback",
        langs: &[Python],
        requires: None,
        regex: concat!(
            r#"\bos\.(?:environ\.get|getenv)[ \t]*\([ \t]*['"][A-Za-z0-9_]*(?i:secret|jwt|key)[A-Za-z0-9_]*['"][ \t]*,[ \t]*"#,
            lit!()
        ),
        check: Check::Secret,
    },
    Pattern {
        rule: "jwt-secret-fallback",
        langs: &[Ruby],
        requires: None,
        regex: concat!(
            r#"\bENV\.fetch[ \t]*\([ \t]*['"][A-Za-z0-9_]*(?i:secret|jwt|key)[A-Za-z0-9_]*['"][ \t]*,[ \t]*"#,
            lit!()
        ),
        check: Check::Secret,
    },
    Pattern {
        rule: "jwt-secret-fallback",
        langs: &[Rust],
        requires: None,
        regex: concat!(
            r#"env::var\([ \t]*"[A-Za-z0-9_]*(?i:secret|jwt|key)[A-Za-z0-9_]*"[ \t]*\)[ \t\r\n.]*unwrap_or(?:_else)?\((?:[ \t]*\|[^|\n]*\|)?[ \t]*"#,
            lit!()
        ),
        check: Check::Secret,
    },
    // ---- decode without verify
    Pattern {
        rule: "jwt-decode-without-verify",
        langs: &[Js],
        requires: None,
        regex: r"\b(?:jwt|jsonwebtoken)\.decode[ \t]*\(|\bjose\.decodeJwt[ \t]*\(",
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-decode-without-verify",
        langs: &[Python],
        requires: None,
        regex: r#"['"]verify_signature['"][ \t]*:[ \t]*False|\bverify[ \t]*=[ \t]*False|\bjwt\.get_unverified_claims[ \t]*\("#,
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-decode-without-verify",
        langs: &[Go],
        requires: None,
        regex: r"\.ParseUnverified[ \t]*\(",
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-decode-without-verify",
        langs: &[Java],
        requires: None,
        regex: r"\bJWT\.decode[ \t]*\(|\.parseClaimsJwt[ \t]*\(|\.parseUnsecuredClaims[ \t]*\(",
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-decode-without-verify",
        langs: &[Ruby],
        requires: None,
        regex: r"\bJWT\.decode[ \t]*\(?[^,\n]+,[^,\n]+,[ \t]*false\b",
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-decode-without-verify",
        langs: &[Rust],
        requires: None,
        regex: r"\b(?:dangerous_insecure_decode\w*|insecure_decode|dangerous_unsafe_decode|insecure_disable_signature_validation)[ \t]*(?:::<[^>]*>)?\(",
        check: Check::Always,
    },
    // ---- no algorithms allow-list
    Pattern {
        rule: "jwt-verify-without-algorithms",
        langs: &[Js],
        requires: None,
        regex: r"\b(?:jwt|jsonwebtoken)\.verify[ \t]*\(",
        check: Check::ArgsLack("algorithms"),
    },
    Pattern {
        rule: "jwt-verify-without-algorithms",
        langs: &[Js],
        requires: Some("passport-jwt"),
        regex: r"\bnew[ \t]+(?:Jwt)?Strategy[ \t]*\(",
        check: Check::ArgsLack("algorithms"),
    },
    Pattern {
        rule: "jwt-verify-without-algorithms",
        langs: &[Python],
        requires: None,
        regex: r"\bjwt\.decode[ \t]*\(",
        check: Check::ArgsLack("algorithms"),
    },
    Pattern {
        rule: "jwt-verify-without-algorithms",
        langs: &[Go],
        requires: None,
        regex: r"\bjwt\.Parse(?:WithClaims)?[ \t]*\(",
        check: Check::ArgsLack("Method"),
    },
    Pattern {
        rule: "jwt-verify-without-algorithms",
        langs: &[Ruby],
        requires: None,
        regex: r"\bJWT\.decode[ \t]*\(",
        check: Check::ArgsLack("algorithm"),
    },
    // ---- expiry off
    Pattern {
        rule: "jwt-expiry-disabled",
        langs: &[Js],
        requires: None,
        regex: r"\bignoreExpiration[ \t]*:[ \t]*true\b",
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-expiry-disabled",
        langs: &[Python],
        requires: None,
        regex: r#"['"]verify_exp['"][ \t]*:[ \t]*False|JWT_ACCESS_TOKEN_EXPIRES['"]?\]?[ \t]*=[ \t]*False"#,
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-expiry-disabled",
        langs: &[Go],
        requires: None,
        regex: r"\bjwt\.WithoutClaimsValidation\(\)",
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-expiry-disabled",
        langs: &[Ruby],
        requires: None,
        regex: r"\bverify_expiration[ \t]*(?::|=>)[ \t]*false\b",
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-expiry-disabled",
        langs: &[Rust],
        requires: None,
        regex: r"\bvalidate_exp[ \t]*=[ \t]*false\b",
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-expiry-disabled",
        langs: &[Java],
        requires: None,
        regex: r"\b(?:setAllowedClockSkewSeconds|clockSkewSeconds|acceptExpiresAt|acceptLeeway)[ \t]*\([ \t]*(?P<n>[0-9_]+)L?[ \t]*\)",
        check: Check::Above(3600),
    },
    // ---- long lifetimes
    Pattern {
        rule: "jwt-long-lifetime",
        langs: &[Js],
        requires: None,
        regex: r#"\bexpiresIn['"]?[ \t]*:[ \t]*(?:['"`](?P<dur>[0-9.]+[ \t]*[A-Za-z]*)['"`]|(?P<num>[0-9_]+(?:[ \t]*\*[ \t]*[0-9_]+)*))"#,
        check: Check::Lifetime(Unit::Secs),
    },
    Pattern {
        rule: "jwt-long-lifetime",
        langs: &[Js],
        requires: None,
        regex: r#"\.setExpirationTime[ \t]*\([ \t]*['"`](?P<dur>[0-9.]+[ \t]*[A-Za-z]*)['"`]"#,
        check: Check::Lifetime(Unit::Secs),
    },
    Pattern {
        rule: "jwt-long-lifetime",
        langs: &[Python],
        requires: None,
        regex: r#"(?:['"]exp['"][ \t]*:|EXPIRES['"]?\]?[ \t]*=|expires_delta[ \t]*=|expires_in[ \t]*=)[^\n]{0,80}?timedelta[ \t]*\((?P<td>[^)\n]*)\)"#,
        check: Check::Lifetime(Unit::Secs),
    },
    Pattern {
        rule: "jwt-long-lifetime",
        langs: &[Go],
        requires: None,
        regex: r#"(?:ExpiresAt|"exp")[^\n]{0,60}?time\.Now\(\)\.Add\((?P<go>[^\n)]*)\)"#,
        check: Check::Lifetime(Unit::Secs),
    },
    Pattern {
        rule: "jwt-long-lifetime",
        langs: &[Java],
        requires: None,
        regex: r"(?:withExpiresAt|setExpiration|expiration)[ \t]*\([^\n]{0,60}?currentTimeMillis\(\)[ \t]*\+[ \t]*(?P<num>[0-9_L]+(?:[ \t]*\*[ \t]*[0-9_L]+)*)",
        check: Check::Lifetime(Unit::Millis),
    },
    Pattern {
        rule: "jwt-long-lifetime",
        langs: &[Rust],
        requires: None,
        regex: r"(?i:exp|expir)[^\n]{0,60}?Duration::(?:from_)?(?P<unit>days|hours|weeks)\([ \t]*(?P<n>[0-9_]+)",
        check: Check::Lifetime(Unit::Secs),
    },
    // ---- sensitive claims
    Pattern {
        rule: "jwt-exposed-data",
        langs: &[Js],
        requires: None,
        regex: r"\b(?:jwt|jsonwebtoken)\.sign[ \t]*\([ \t]*\{[^}]{0,300}\b(?i:password|passwd|pwd|ssn|credit_?card|card_?number|cvv)\b",
        check: Check::Always,
    },
    Pattern {
        rule: "jwt-exposed-data",
        langs: &[Python, Ruby],
        requires: None,
        regex: r#"\b(?:jwt|JWT)\.encode[ \t]*\(?[ \t]*\{[^}]{0,300}['":](?i:password|passwd|pwd|ssn|credit_?card|card_?number|cvv)['"]?[ \t]*(?::|=>)"#,
        check: Check::Always,
    },
    // ---- browser storage
    Pattern {
        rule: "jwt-token-in-local-storage",
        langs: &[Js],
        requires: None,
        regex: r#"\b(?:localStorage|sessionStorage)\.setItem[ \t]*\([ \t]*['"`][^'"`\n]*(?i:token|jwt)[^'"`\n]*['"`]|\b(?:localStorage|sessionStorage)(?:\.[A-Za-z_]*(?i:token|jwt)[A-Za-z_]*|\[['"`][^'"`\n]*(?i:token|jwt)[^'"`\n]*['"`]\])[ \t]*=[^=]"#,
        check: Check::Always,
    },
    // ---- express-jwt without isRevoked
    Pattern {
        rule: "jwt-express-not-revoked",
        langs: &[Js],
        requires: Some("express-jwt"),
        regex: r"\b(?:expressjwt|expressJwt|jwt)[ \t]*\([ \t]*\{",
        check: Check::ArgsLack("isRevoked"),
    },
    // ---- loggers
    Pattern {
        rule: "jwt-logged",
        langs: &[Js],
        requires: None,
        regex: r"\b(?:console\.(?:log|info|debug|warn|error|trace)|logger\.[a-z]+|log\.[a-z]+)[ \t]*\(",
        check: Check::ArgsNameSecret,
    },
    Pattern {
        rule: "jwt-logged",
        langs: &[Python],
        requires: None,
        regex: r"\b(?:print|logging\.[a-z]+|logger\.[a-z]+|log\.[a-z]+)[ \t]*\(",
        check: Check::ArgsNameSecret,
    },
    Pattern {
        rule: "jwt-logged",
        langs: &[Go],
        requires: None,
        regex: r"\b(?:log\.[A-Za-z]+|fmt\.Print[a-z]*|logger\.[A-Za-z]+|slog\.[A-Za-z]+)[ \t]*\(",
        check: Check::ArgsNameSecret,
    },
    Pattern {
        rule: "jwt-logged",
        langs: &[Java],
        requires: None,
        regex: r"\b(?:log(?:ger)?\.(?:info|debug|warn|error|trace)|System\.(?:out|err)\.print(?:ln|f)?)[ \t]*\(",
        check: Check::ArgsNameSecret,
    },
    Pattern {
        rule: "jwt-logged",
        langs: &[Ruby],
        requires: None,
        regex: r"\b(?:puts|p|logger\.[a-z]+|Rails\.logger\.[a-z]+)[ \t]*\(",
        check: Check::ArgsNameSecret,
    },
    Pattern {
        rule: "jwt-logged",
        langs: &[Rust],
        requires: None,
        regex: r"\b(?:println|eprintln|print|eprint|info|debug|warn|error|trace)![ \t]*\(",
        check: Check::ArgsNameSecret,
    },
    // ---- committed tokens and keys, in any text file
    Pattern {
        rule: "jwt-committed-token",
        langs: &[Js, Python, Go, Java, Ruby, Rust, Lang::Text],
        requires: None,
        regex: r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]*",
        check: Check::Always,
    },
    Pattern {
        rule: "private-key-committed",
        langs: &[Js, Python, Go, Java, Ruby, Rust, Lang::Text],
        requires: None,
        // The header and the start of a body: a PEM label alone (in code that parses PEM) is not a key.
        regex: r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |ENCRYPTED )?PRIVATE KEY-----(?:\r?\n|\\r?\\n)[A-Za-z0-9+/=]{40,}",
        check: Check::Always,
    },
];

/// Rules found only by the dataflow over parsed files (no pattern of their own).
#[cfg(test)]
pub(crate) const FLOW_RULES: &[&str] = &[
    "jwt-predictable-secret",
    "jwt-no-expiry",
    "jwt-mixed-algorithms",
    "jwt-insecure-cookie",
    "jwt-unverified-claims",
];

/// The `SECRETISH` name pattern, for configuration files.
pub(crate) fn secretish() -> &'static str {
    SECRETISH
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_pattern_names_a_listed_rule_and_every_rule_has_a_pattern_or_file_check() {
        for p in PATTERNS {
            assert!(rule(p.rule).is_some(), "{} is not in RULES", p.rule);
        }
        for r in RULES {
            let has_pattern = PATTERNS.iter().any(|p| p.rule == r.id);
            let file_rule = matches!(r.id, "secret-file-not-ignored" | "weak-secret-in-config")
                || FLOW_RULES.contains(&r.id);
            assert!(has_pattern || file_rule, "{} has no pattern", r.id);
        }
    }

    #[test]
    fn rule_ids_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for r in RULES {
            assert!(seen.insert(r.id), "{} twice", r.id);
            assert!(r.id.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'));
        }
    }
}
