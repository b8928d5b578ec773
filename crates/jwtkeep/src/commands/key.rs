//! `jwtkeep key inspect`: what a key is, and whether jwtkeep accepts it.

use anyhow::Result;
use jwtkeep_core::{Key, KeyKind};
use serde_json::{json, Value};

use crate::cli::KeyInspectArgs;
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
