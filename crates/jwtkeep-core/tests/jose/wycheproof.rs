//! Wycheproof's JWS and JWK vectors (C2SP/wycheproof, Apache-2.0; licence in
//! tests/data/wycheproof/LICENSE) through the public API. Included from the
//! one integration-test binary, `tests/jose.rs`.
//!
//! Where jwtkeep is deliberately stricter than a vector, the vector is listed
//! in `STRICTER` with the reason, and the test checks that it is rejected.

use jwtkeep_core::{JwkSet, KeyRing, Policy, Verifier};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!(
        "{}/tests/data/wycheproof/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

const JWS: &str = "json_web_signature_test.json";

/// Vectors labelled valid that jwtkeep refuses on purpose, and why.
const STRICTER: &[(&str, i64, &str)] = &[
    (JWS, 346, "the key declares alg PS256 and the token is PS384: the algorithm is bound to the key (RFC 7517 §4.4)"),
    (JWS, 350, "the same PS256 key, with key_ops: a PS384 token is not for it"),
    (JWS, 347, "the key declares alg ES521, which is no JWS algorithm (ES512 is): the key is refused"),
    (JWS, 351, "the same ES521 key, with key_ops"),
    (JWS, 372, "'?' inside a base64url segment: not the base64url alphabet (RFC 7515 §2), refused by a strict parser"),
    (JWS, 373, "'?' inside the payload segment: the same"),
];

/// Vectors labelled invalid that jwtkeep accepts, and why that is right.
const LABEL_ERRORS: &[(&str, i64, &str)] = &[
    (
        JWS,
        367,
        "byte-identical to tcId 357, which is labelled valid (checked below)",
    ),
    (
        JWS,
        370,
        "byte-identical to tcId 357, which is labelled valid (checked below)",
    ),
];

/// The key of a group as a key set: `public` when present, else `private`.
fn group_keys(group: &Value) -> Value {
    let key = if group["public"].is_object() {
        &group["public"]
    } else {
        &group["private"]
    };
    if key.get("keys").is_some() {
        key.clone()
    } else {
        serde_json::json!({ "keys": [key] })
    }
}

fn outcome(group: &Value, test: &Value) -> Result<(), String> {
    let set: JwkSet =
        serde_json::from_value(group_keys(group)).map_err(|e| format!("key set: {e}"))?;
    let ring =
        KeyRing::from_jwk_set(&set, None).map_err(|e| format!("key refused: {}", e.code()))?;
    let Some(token) = test["jws"].as_str() else {
        return Err("JSON serialization is not supported".to_owned());
    };
    let verifier = Verifier::new(ring, Policy::new());
    verifier
        .verify_signature_only_at(token, 1_800_000_000)
        .map(|_| ())
        .map_err(|e| e.code().to_owned())
}

fn run(file: &str) -> (usize, Vec<String>) {
    let doc = load(file);
    let mut checked = 0;
    let mut disagreements = Vec::new();
    for group in doc["testGroups"].as_array().unwrap() {
        for test in group["tests"].as_array().unwrap() {
            let id = test["tcId"]
                .as_i64()
                .or_else(|| test["tcId"].as_str().and_then(|s| s.parse().ok()))
                .unwrap();
            let expected_valid = test["result"] == "valid";
            let got = outcome(group, test);
            checked += 1;
            let listed =
                |list: &[(&str, i64, &str)]| list.iter().any(|(f, i, _)| *f == file && *i == id);
            let agrees = match (&got, expected_valid) {
                (Ok(()), true) | (Err(_), false) => true,
                (Err(_), true) => listed(STRICTER),
                (Ok(()), false) => listed(LABEL_ERRORS),
            };
            if !agrees {
                disagreements.push(format!(
                    "{file} tcId {id} ({}, {}): expected {}, got {got:?}",
                    group["comment"].as_str().unwrap_or(""),
                    test["comment"].as_str().unwrap_or(""),
                    test["result"]
                ));
            }
        }
    }
    (checked, disagreements)
}

fn jws_of(id: i64) -> String {
    let doc = load(JWS);
    doc["testGroups"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|g| g["tests"].as_array().unwrap().iter())
        .find(|t| t["tcId"] == id)
        .map(|t| t["jws"].as_str().unwrap().to_owned())
        .unwrap()
}

#[test]
fn wycheproof_label_errors_are_what_we_say_they_are() {
    let valid = jws_of(357);
    assert_eq!(jws_of(367), valid);
    assert_eq!(jws_of(370), valid);
    for id in [372, 373] {
        assert!(jws_of(id).contains('?'));
    }
}

#[test]
fn wycheproof_json_web_signature_vectors() {
    let (checked, disagreements) = run("json_web_signature_test.json");
    assert_eq!(checked, 401);
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

#[test]
fn wycheproof_json_web_key_vectors() {
    let (checked, disagreements) = run("json_web_key_test.json");
    assert!(checked > 20);
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
