//! `jwtkeep token sign | verify | inspect`.

use std::io::{IsTerminal as _, Read as _};

use anyhow::{bail, Context as _, Result};
use jwtkeep_core::inspect::{decode_unverified, lint_token, Lint};
use jwtkeep_core::random_id;
use jwtkeep_core::strength::Severity;
use jwtkeep_core::MAX_LEEWAY_SECS;
use jwtkeep_core::{sign_claims, HeaderFields, Policy, Verifier};
use serde_json::{json, Map, Value};

use crate::cli::{TokenInspectArgs, TokenSignArgs, TokenVerifyArgs};
use crate::clock::{format_utc, now_unix, parse_duration};
use crate::keysource::load_keys;
use crate::output::{self, Outcome};

/// The largest token or claims document read from stdin or a file.
const MAX_INPUT_BYTES: u64 = 1024 * 1024;
/// The same, as a token length.
const MAX_INPUT_BYTES_USIZE: usize = 1024 * 1024;

fn read_stdin(what: &str) -> Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        bail!("no {what} given: pass it as an argument or pipe it in");
    }
    let mut text = String::new();
    stdin
        .lock()
        .take(MAX_INPUT_BYTES)
        .read_to_string(&mut text)
        .with_context(|| format!("cannot read the {what} from standard input"))?;
    Ok(text)
}

pub(crate) fn token_text(arg: Option<&str>) -> Result<String> {
    let text = match arg {
        None | Some("-") => read_stdin("token")?,
        Some(token) => token.to_owned(),
    };
    let token = text.trim().to_owned();
    if token.is_empty() {
        bail!("the token is empty: pass it as an argument or pipe it in");
    }
    Ok(token)
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default()
}

/// Runs `token sign`.
pub(crate) fn sign(args: &TokenSignArgs) -> Result<Outcome> {
    let ring = load_keys(&args.source)?.map_err(|e| anyhow::anyhow!("the key was refused: {e}"))?;
    let [ring_key] = ring.keys() else {
        bail!(
            "the key set holds {} keys: signing needs exactly one private key file",
            ring.keys().len()
        );
    };
    let key = ring_key.key();
    if key.signing_key().is_none() {
        bail!("the key is public: signing needs the private key (private.pem or private.jwk.json)");
    }
    let now = args.now.unwrap_or_else(now_unix);
    let lifetime = parse_duration(&args.exp).map_err(|e| anyhow::anyhow!("--exp {e}"))?;
    let mut claims = Map::new();
    if let Some(path) = &args.claims_json {
        let text = if path.as_os_str() == "-" {
            read_stdin("claims")?
        } else {
            std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?
        };
        claims = jwtkeep_core::internals::parse_object(text.as_bytes(), 16)
            .map_err(|e| anyhow::anyhow!("--claims-json: {e}: expected one JSON object"))?;
    }
    for claim in &args.claim {
        let Some((name, value)) = claim.split_once('=') else {
            bail!("--claim {claim:?} is not NAME=VALUE");
        };
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::from(value));
        claims.insert(name.to_owned(), value);
    }
    for reserved in ["iat", "exp", "jti"] {
        if claims.contains_key(reserved) {
            bail!("the claims set {reserved}, which jwtkeep sets itself: remove it (use --exp for the lifetime)");
        }
    }
    if let Some(sub) = &args.sub {
        claims.insert("sub".to_owned(), Value::from(sub.as_str()));
    }
    if let Some(iss) = &args.iss {
        claims.insert("iss".to_owned(), Value::from(iss.as_str()));
    }
    match args.aud.as_slice() {
        [] => {}
        [one] => {
            claims.insert("aud".to_owned(), Value::from(one.as_str()));
        }
        many => {
            claims.insert("aud".to_owned(), Value::from(many.to_vec()));
        }
    }
    claims.insert("iat".to_owned(), Value::from(now));
    claims.insert("exp".to_owned(), Value::from(now.saturating_add(lifetime)));
    claims.insert("jti".to_owned(), Value::from(random_id()?));
    let fields = HeaderFields {
        typ: args.typ.clone(),
        kid: None,
    };
    let token =
        sign_claims(key, &fields, &claims).map_err(|e| anyhow::anyhow!("cannot sign: {e}"))?;
    if args.json {
        let header = decode_unverified(&token)
            .map(|t| Value::Object(t.header))
            .unwrap_or(Value::Null);
        output::json(&json!({"token": token, "header": header, "claims": claims}))?;
    } else {
        output::stdout(&format!("{token}\n"))?;
    }
    Ok(Outcome::Clean)
}

fn rejected(json_out: bool, code: &str, message: &str) -> Result<Outcome> {
    if json_out {
        output::json(&json!({"valid": false, "error": code, "message": message}))?;
    } else {
        output::stdout(&format!("invalid: {code}: {message}\n"))?;
    }
    Ok(Outcome::Finding)
}

/// Runs `token verify`.
pub(crate) fn verify(args: &TokenVerifyArgs) -> Result<Outcome> {
    if args.leeway > MAX_LEEWAY_SECS {
        bail!(
            "--leeway {} is more than the {MAX_LEEWAY_SECS} s allowed: fix the clocks instead",
            args.leeway
        );
    }
    if !(1..=MAX_INPUT_BYTES_USIZE).contains(&args.max_token_bytes) {
        bail!(
            "--max-token-bytes {} is out of range: 1 to {MAX_INPUT_BYTES_USIZE}",
            args.max_token_bytes
        );
    }
    let token = token_text(args.token.as_deref())?;
    let ring = match load_keys(&args.source)? {
        Ok(ring) => ring,
        Err(e) => return rejected(args.json, e.code(), &format!("the key was refused: {e}")),
    };
    let mut policy = Policy::new()
        .leeway_secs(args.leeway)
        .max_token_bytes(args.max_token_bytes);
    if let Some(iss) = &args.iss {
        policy = policy.issuer(iss.as_str());
    }
    for aud in &args.aud {
        policy = policy.audience(aud.as_str());
    }
    if let Some(typ) = &args.typ {
        policy = policy.typ(typ.as_str());
    }
    if let Some(max) = &args.max_age {
        let secs = parse_duration(max).map_err(|e| anyhow::anyhow!("--max-age {e}"))?;
        policy = policy.max_lifetime_secs(u64::try_from(secs).unwrap_or(0));
    }
    for claim in &args.require {
        policy = policy.require_claim(claim.as_str());
    }
    let verifier = Verifier::new(ring, policy);
    let now = args.now.unwrap_or_else(now_unix);
    let (header, body, kid, alg) = if args.signature_only {
        match verifier.verify_signature_only_at(&token, now) {
            Ok(v) => {
                let payload = match std::str::from_utf8(v.payload()) {
                    Ok(text) => Value::from(text),
                    Err(_) => Value::Null,
                };
                (
                    v.header(),
                    ("payload", payload),
                    v.kid().to_owned(),
                    v.algorithm(),
                )
            }
            Err(e) => return rejected(args.json, e.code(), &e.to_string()),
        }
    } else {
        match verifier.verify_at(&token, now) {
            Ok(v) => (
                v.header(),
                ("claims", Value::Object(v.payload().to_map())),
                v.kid().to_owned(),
                v.algorithm(),
            ),
            Err(e) => return rejected(args.json, e.code(), &e.to_string()),
        }
    };
    if args.json {
        let mut doc = json!({"valid": true, "header": header});
        if let Some(map) = doc.as_object_mut() {
            map.insert(body.0.to_owned(), body.1);
        }
        output::json(&doc)?;
    } else {
        let by = if kid.is_empty() {
            String::new()
        } else {
            format!(", key {kid}")
        };
        output::stdout(&format!(
            "valid: {alg}{by}\nheader: {}\n{}: {}\n",
            pretty(&Value::Object(header)),
            body.0,
            pretty(&body.1)
        ))?;
    }
    Ok(Outcome::Clean)
}

pub(crate) fn relative(secs: i64, now: i64) -> String {
    let delta = secs - now;
    if delta == 0 {
        return "now".to_owned();
    }
    let abs = delta.unsigned_abs();
    let amount = if abs < 120 {
        format!("{abs} s")
    } else if abs < 7200 {
        format!("{} min", abs / 60)
    } else if abs < 2 * 86_400 {
        format!("{} h", abs / 3600)
    } else {
        format!("{} days", abs / 86_400)
    };
    if delta >= 0 {
        format!("in {amount}")
    } else {
        format!("{amount} ago")
    }
}

/// Lint findings as JSON objects.
pub(crate) fn lint_json(lints: &[Lint]) -> Vec<Value> {
    lints
        .iter()
        .map(|l| json!({"code": l.code, "severity": l.severity.name(), "message": l.message}))
        .collect()
}

/// Lint findings as the lines `token inspect` and `audit` print.
pub(crate) fn lint_text(lints: &[Lint]) -> String {
    if lints.is_empty() {
        return "findings: none\n".to_owned();
    }
    let mut out = String::from("findings:\n");
    for l in lints {
        out.push_str(&format!(
            "  {:<8} {}: {}\n",
            l.severity.name(),
            l.code,
            l.message
        ));
    }
    out
}

/// Runs `token inspect`.
pub(crate) fn inspect(args: &TokenInspectArgs) -> Result<Outcome> {
    let token = token_text(args.token.as_deref())?;
    let decoded =
        decode_unverified(&token).map_err(|e| anyhow::anyhow!("cannot decode the token: {e}"))?;
    let now = args.now.unwrap_or_else(now_unix);
    let lints = lint_token(&decoded, now);
    let mut times = Map::new();
    if let Some(claims) = &decoded.claims {
        for name in ["iat", "nbf", "exp"] {
            if let Some(secs) = claims.get(name).and_then(Value::as_i64) {
                times.insert(
                    name.to_owned(),
                    Value::from(format!("{} ({})", format_utc(secs), relative(secs, now))),
                );
            }
        }
    }
    let serious = lints.iter().any(|l| l.severity >= Severity::Medium);
    if args.json {
        output::json(&json!({
            "verified": false,
            "header": decoded.header,
            "claims": decoded.claims,
            "times": times,
            "signature_bytes": decoded.signature.len(),
            "findings": lint_json(&lints),
        }))?;
    } else {
        let mut out = output::as_invoked("UNVERIFIED: nothing below has been checked; use `jwtkeep token verify` to trust a token\n").into_owned();
        out.push_str(&format!(
            "header: {}\n",
            pretty(&Value::Object(decoded.header.clone()))
        ));
        match &decoded.claims {
            Some(claims) => out.push_str(&format!(
                "claims: {}\n",
                pretty(&Value::Object(claims.clone()))
            )),
            None => out.push_str(&format!(
                "payload: {} bytes, not a JSON object\n",
                decoded.payload_len
            )),
        }
        for (name, when) in &times {
            out.push_str(&format!("{name}: {}\n", when.as_str().unwrap_or_default()));
        }
        out.push_str(&lint_text(&lints));
        output::stdout(&out)?;
    }
    Ok(if serious {
        Outcome::Finding
    } else {
        Outcome::Clean
    })
}
