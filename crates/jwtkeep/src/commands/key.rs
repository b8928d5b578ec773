//! `jwtkeep key inspect`: what a key is, and whether jwtkeep accepts it.

use anyhow::Result;
use jwtkeep_core::{Jwk, JwkSet, Key, KeyKind};
use serde_json::{json, Value};

use crate::cli::{KeyInspectArgs, KeyThumbprintArgs};
use crate::keysource::load_keys;
use crate::output::{self, Outcome};

fn describe(key: &Key) -> Value {
    let kind = match key.kind() {
        KeyKind::Secret => "secret",
        KeyKind::Private => "private",
        KeyKind::Public => "public",
    };
    let mut doc = json!({
        "usable": true,
        "alg": key.algorithm().name(),
        "kind": kind,
        "bits": key.bits(),
        "kid": key.kid(),
    });
    if !key.thumbprint().is_empty() {
        if let Some(map) = doc.as_object_mut() {
            map.insert("thumbprint".to_owned(), Value::from(key.thumbprint()));
        }
    }
    doc
}

/// Runs `key inspect`.
pub(crate) fn inspect(args: &KeyInspectArgs) -> Result<Outcome> {
    let ring = match load_keys(&args.source)? {
        Ok(ring) => ring,
        Err(e) => {
            if args.json {
                output::json(
                    &json!({"usable": false, "error": e.code(), "message": e.to_string()}),
                )?;
            } else {
                output::stdout(&format!("refused: {}: {e}\n", e.code()))?;
            }
            return Ok(Outcome::Finding);
        }
    };
    let keys: Vec<&Key> = ring.keys().iter().map(|k| k.key()).collect();
    let described: Vec<Value> = keys.iter().map(|k| describe(k)).collect();
    if args.json {
        output::json(&json!({"usable": true, "keys": described}))?;
    } else {
        let mut out = String::new();
        for (key, doc) in keys.iter().copied().zip(&described) {
            out.push_str(&format!(
                "usable for {}: {} key, {} bits",
                key.algorithm(),
                doc["kind"].as_str().unwrap_or_default(),
                key.bits()
            ));
            if let Some(kid) = key.kid() {
                out.push_str(&format!(", kid {kid}"));
            }
            if !key.thumbprint().is_empty() {
                out.push_str(&format!(", thumbprint {}", key.thumbprint()));
            }
            out.push('\n');
        }
        output::stdout(&out)?;
    }
    Ok(Outcome::Clean)
}

/// Runs `key thumbprint`: RFC 7638 thumbprints computed from each key's members.
pub(crate) fn thumbprint(args: &KeyThumbprintArgs) -> Result<Outcome> {
    let path = &args.key;
    let text = std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
    let value: Value = serde_json::from_str(&text).map_err(|_| {
        anyhow::anyhow!(
            "{} is not JSON: key thumbprint reads JWK and JWKS files (for PEM, use key inspect --alg)",
            path.display()
        )
    })?;
    let keys: Vec<Jwk> = if value.get("keys").is_some() {
        serde_json::from_value::<JwkSet>(value)
            .map_err(|_| anyhow::anyhow!("{} is not a valid JWKS", path.display()))?
            .keys
    } else {
        vec![serde_json::from_value(value)
            .map_err(|_| anyhow::anyhow!("{} is not a valid JWK", path.display()))?]
    };
    let mut rows = Vec::new();
    let mut mismatch = false;
    for jwk in &keys {
        let print = jwk.thumbprint().map_err(|e| {
            anyhow::anyhow!(
                "{}: a key lacks what its thumbprint needs: {e}",
                path.display()
            )
        })?;
        let matches = jwk.kid.as_deref().map(|kid| kid == print);
        mismatch |= matches == Some(false);
        rows.push(json!({"kid": jwk.kid, "thumbprint": print, "kid_is_thumbprint": matches}));
    }
    if args.json {
        output::json(&json!({ "keys": rows }))?;
    } else {
        let mut out = String::new();
        for row in &rows {
            out.push_str(row["thumbprint"].as_str().unwrap_or_default());
            if row["kid_is_thumbprint"] == Value::Bool(false) {
                out.push_str(&format!(
                    "  (kid {} is not the thumbprint)",
                    row["kid"].as_str().unwrap_or_default()
                ));
            }
            out.push('\n');
        }
        output::stdout(&out)?;
    }
    Ok(if mismatch {
        Outcome::Finding
    } else {
        Outcome::Clean
    })
}
