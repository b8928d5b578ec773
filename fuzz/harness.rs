//! The body of the `verify` fuzz target, shared with the corpus replay and
//! the property tests in `cargo test` (crates/jwtkeep-core/tests/jose.rs) so
//! both run the same checks.

use std::sync::OnceLock;

use jwtkeep_core::inspect::{decode_unverified, lint_token};
use jwtkeep_core::internals::{parse_header, MAX_HEADER_DEPTH, MAX_PAYLOAD_DEPTH};
use jwtkeep_core::{internals::parse_object, JsonError};
use jwtkeep_core::{
    sign_claims, Algorithm, Claims, HeaderFields, Key, KeyPair, KeyRing, Policy, Secret, Verifier,
};
use jwtkeep_core::{ClaimsError, MAX_NUMERIC_DATE};
use serde_json::{Map, Value};

const NOW: i64 = 1_800_000_000;

struct Fixture {
    hmac: Key,
    hmac_verifier: Verifier,
    es256_verifier: Verifier,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let secret = Secret::generate(Algorithm::Hs256, None).expect("CSPRNG");
        let hmac = Key::from_secret(&secret, Algorithm::Hs256, None).expect("32-byte key");
        let hmac_verifier = Verifier::new(
            KeyRing::single(
                Key::from_secret(&secret, Algorithm::Hs256, None).expect("32-byte key"),
            ),
            Policy::new(),
        );
        let pair = KeyPair::generate(Algorithm::Es256, 0, None).expect("P-256 key");
        let public = Key::from_jwk(&pair.public_jwk(), None).expect("own public key");
        let es256_verifier = Verifier::new(KeyRing::single(public), Policy::new());
        Fixture {
            hmac,
            hmac_verifier,
            es256_verifier,
        }
    })
}

/// Feeds `data` to every parser and verifier, and checks the round trip:
/// any JSON object signed by jwtkeep verifies back to itself.
pub(crate) fn check(data: &[u8]) {
    claims_reader_agrees_with_serde(data);
    header_reader_agrees_with_serde(data);
    let f = fixture();
    if let Ok(text) = std::str::from_utf8(data) {
        // Untrusted input: any result is fine, a panic is not.
        let _ = f.hmac_verifier.verify_at(text, NOW);
        let _ = f.hmac_verifier.verify_signature_only_at(text, NOW);
        let _ = f.es256_verifier.verify_at(text, NOW);
        if let Ok(decoded) = decode_unverified(text) {
            let _ = lint_token(&decoded, NOW);
        }
        let _ = jwtkeep_core::strength::check(
            text,
            jwtkeep_core::strength::InputEncoding::Auto,
            Algorithm::Hs256,
        );
    }
    if let Ok(mut claims) = jwtkeep_core::internals::parse_object(data, 16) {
        claims.insert("exp".to_owned(), serde_json::Value::from(NOW + 60));
        for reserved in ["nbf", "iat", "iss", "aud", "sub", "jti"] {
            claims.remove(reserved);
        }
        let token = sign_claims(&f.hmac, &HeaderFields::default(), &claims).expect("sign");
        let verified = f
            .hmac_verifier
            .verify_at(&token, NOW)
            .expect("own token verifies");
        assert_eq!(
            verified.payload().to_map(),
            claims,
            "round trip changed the claims"
        );
    }
}

/// What the claims reader must make of `map` (serde_json's strict parse):
/// every registered claim of its registered type, as `(name, value)` pairs.
/// A NumericDate as the claims reader must read it: integers as they are;
/// non-integers (RFC 7519 §2 allows them) rounded up for `exp` and `nbf`
/// and down for `iat`. `Err(())` when serde's `f64` cannot tell: an integral
/// `f64` read from text with a fraction or exponent may have been rounded
/// onto that integer (`1e-400` is 0.0), where the reader, exact, is not.
fn expected_date(name: &str, value: &Value) -> Result<Option<i64>, ()> {
    if let Some(v) = value.as_i64() {
        return Ok((0..=MAX_NUMERIC_DATE).contains(&v).then_some(v));
    }
    if value.is_u64() {
        return Ok(None);
    }
    let Some(v) = value.as_f64() else {
        return Ok(None);
    };
    if v.fract() == 0.0 && v.abs() < 1e18 {
        return Err(());
    }
    // Non-integral: the exact value lies between the same two integers.
    #[allow(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
    let fits = v > 0.0 && v < MAX_NUMERIC_DATE as f64;
    #[allow(clippy::cast_possible_truncation)]
    Ok(fits.then(|| {
        if name == "iat" {
            v.floor() as i64
        } else {
            v.ceil() as i64
        }
    }))
}

/// The registered claims as the claims reader must read them, `None` when
/// one has the wrong type or range; `Err(())` when serde_json's reading
/// cannot decide (see [`expected_date`]).
fn registered_claims(map: &Map<String, Value>) -> Result<Option<Vec<(&'static str, Value)>>, ()> {
    let mut out = Vec::new();
    for name in ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"] {
        let Some(value) = map.get(name) else { continue };
        let read = match name {
            "exp" | "nbf" | "iat" => expected_date(name, value)?.map(Value::from),
            "aud" => (value.is_string()
                || value
                    .as_array()
                    .is_some_and(|a| a.iter().all(Value::is_string)))
            .then(|| value.clone()),
            _ => value.is_string().then(|| value.clone()),
        };
        let Some(read) = read else {
            return Ok(None);
        };
        out.push((name, read));
    }
    Ok(Some(out))
}

/// The hand-written claims reader accepts exactly what serde_json's strict
/// parse accepts with well-typed registered claims, reads the same values,
/// and refuses malformed JSON for the same kind of reason.
pub(crate) fn claims_reader_agrees_with_serde(data: &[u8]) {
    for depth in [2, MAX_PAYLOAD_DEPTH] {
        let ours = Claims::parse(data, depth);
        let theirs = parse_object(data, depth);
        let expected = match theirs.as_ref().ok().map(registered_claims) {
            Some(Err(())) => continue,
            Some(Ok(expected)) => expected,
            None => None,
        };
        match (&ours, &expected) {
            (Ok(claims), Some(registered)) => {
                for (name, value) in registered {
                    let read = match *name {
                        "iss" => claims.iss().map(Value::from),
                        "sub" => claims.sub().map(Value::from),
                        "jti" => claims.jti().map(Value::from),
                        "exp" => claims.exp().map(Value::from),
                        "nbf" => claims.nbf().map(Value::from),
                        "iat" => claims.iat().map(Value::from),
                        _ => Some(Value::from(claims.aud().collect::<Vec<_>>())),
                    };
                    let wanted = match (name, value) {
                        (&"aud", Value::String(one)) => Value::from(vec![one.as_str()]),
                        _ => value.clone(),
                    };
                    assert_eq!(read, Some(wanted), "claim {name} read differently");
                }
            }
            (Err(_), None) => {}
            _ => panic!("claims reader and serde_json disagree: {ours:?} / {theirs:?}"),
        }
        // (serde_json reads any value before it asks for an object; the
        // reader refuses anything else at its first byte.)
        let object = data.trim_ascii_start().first() == Some(&b'{');
        if let (Err(ClaimsError::Json(ours)), Err(theirs), true) = (&ours, &theirs, object) {
            let kind = |e: &JsonError| std::mem::discriminant(e);
            assert_eq!(kind(ours), kind(theirs), "{ours:?} / {theirs:?}");
        }
    }
}

/// The header reader accepts exactly the strict JSON objects whose `alg`
/// names a supported algorithm and that carry no `crit` and no `b64` other
/// than `true`, and reads the same `alg`, `kid` and `typ`.
pub(crate) fn header_reader_agrees_with_serde(data: &[u8]) {
    let ours = parse_header(data);
    let theirs = parse_object(data, MAX_HEADER_DEPTH);
    let text = |map: &Map<String, Value>, name: &str| -> Option<Option<String>> {
        match map.get(name) {
            None => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(_) => None,
        }
    };
    let expected = theirs.as_ref().ok().and_then(|map| {
        let alg = map
            .get("alg")
            .and_then(Value::as_str)
            .and_then(Algorithm::from_jose_name)?;
        let acceptable =
            !map.contains_key("crit") && map.get("b64").is_none_or(|b| *b == Value::Bool(true));
        acceptable.then_some((alg, text(map, "kid")?, text(map, "typ")?))
    });
    match (&ours, expected) {
        (Ok(header), Some((alg, kid, typ))) => {
            assert_eq!((header.alg, &header.kid, &header.typ), (alg, &kid, &typ));
        }
        (Err(_), None) => {}
        _ => panic!("header reader and serde_json disagree: {ours:?} / {theirs:?}"),
    }
}
