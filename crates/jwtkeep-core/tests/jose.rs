//! The strict JOSE core against the standard vectors (RFC 7515, 7520, 8037,
//! 7797) and against every attack class of ARCHITECTURE.md and RFC 8725, each a
//! named test built from small tamper helpers.

// Test code: a failed unwrap is a failed test.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use base64::Engine as _;
use jwtkeep_core::encoding::BASE64URL;
use jwtkeep_core::{
    sign_claims, Algorithm, HeaderFields, Jwk, Key, KeyPair, KeyRing, Policy, RingKey, Secret,
    Verifier, VerifyError,
};
use serde_json::{json, Map, Value};
use zeroize::Zeroizing;

const NOW: i64 = 1_800_000_000;

fn vectors() -> Vec<Value> {
    let text = include_str!("data/rfc-vectors.json");
    let doc: Value = serde_json::from_str(text).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

fn vector(id: &str) -> Value {
    vectors().into_iter().find(|v| v["id"] == id).unwrap()
}

fn jwk(value: &Value) -> Jwk {
    serde_json::from_value(value.clone()).unwrap()
}

fn key_for(v: &Value, member: &str) -> Key {
    let alg: Algorithm = Algorithm::from_jose_name(v["alg"].as_str().unwrap()).unwrap();
    Key::from_jwk(&jwk(&v[member]), Some(alg)).unwrap()
}

fn signing_input(token: &str) -> &str {
    &token[..token.rfind('.').unwrap()]
}

fn signature_b64(token: &str) -> &str {
    &token[token.rfind('.').unwrap() + 1..]
}

// ------------------------------------------------------------ standard vectors

/// Deterministic signatures (HMAC, RSASSA-PKCS1-v1_5, Ed25519) are recomputed
/// over the vector's exact signing input and compared byte for byte.
#[test]
fn deterministic_rfc_signatures_are_reproduced_byte_for_byte() {
    for (id, member) in [
        ("RFC7515-A.1", "verify_jwk"),
        ("RFC7515-A.2", "private_jwk"),
        ("RFC7520-4.1", "private_jwk"),
        ("RFC7520-4.4", "verify_jwk"),
        ("RFC8037-A.4", "private_jwk"),
        ("RFC7797-4.1-control", "verify_jwk"),
    ] {
        let v = vector(id);
        let token = v["token"].as_str().unwrap();
        let key = key_for(&v, member);
        let signature = key
            .signing_key()
            .unwrap()
            .sign(signing_input(token).as_bytes())
            .unwrap();
        assert_eq!(BASE64URL.encode(signature), signature_b64(token), "{id}");
    }
}

/// Every signed vector verifies through the public API; randomized ones
/// (ECDSA, PSS) are verified, not compared.
#[test]
fn every_signed_rfc_vector_verifies() {
    for v in vectors() {
        let id = v["id"].as_str().unwrap();
        if v["unsecured"] == true || v["detached"] == true || v["b64"] == false {
            continue;
        }
        let key = key_for(&v, "verify_jwk");
        let verifier = Verifier::new(KeyRing::single(key), Policy::new());
        let token = v["token"].as_str().unwrap();
        let verified = verifier
            .verify_signature_only_at(token, NOW)
            .unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(
            verified.payload().as_slice(),
            v["payload"].as_str().unwrap().as_bytes(),
            "{id}"
        );
    }
}

#[test]
fn rfc7515_a1_is_a_valid_jwt_until_its_expiry() {
    let v = vector("RFC7515-A.1");
    let verifier = Verifier::new(
        KeyRing::single(key_for(&v, "verify_jwk")),
        Policy::new().typ("JWT"),
    );
    let token = v["token"].as_str().unwrap();
    let verified = verifier.verify_at(token, 1_300_819_300).unwrap();
    assert_eq!(verified.payload().iss(), Some("joe"));
    assert_eq!(
        verified.payload().get("http://example.com/is_root"),
        Some(serde_json::Value::Bool(true))
    );
    assert_eq!(
        verifier.verify_at(token, 1_300_819_380 + 30).unwrap_err(),
        VerifyError::Expired
    );
}

#[test]
fn rfc7515_a5_unsecured_token_is_refused_as_alg_none() {
    let v = vector("RFC7515-A.5");
    let key = Key::from_secret(
        &Secret::generate(Algorithm::Hs256, None).unwrap(),
        Algorithm::Hs256,
        None,
    )
    .unwrap();
    let verifier = Verifier::new(KeyRing::single(key), Policy::new());
    assert_eq!(
        verifier
            .verify_at(v["token"].as_str().unwrap(), NOW)
            .unwrap_err(),
        VerifyError::AlgNone
    );
}

#[test]
fn detached_and_unencoded_payloads_are_refused() {
    let v = vector("RFC7520-4.5-detached");
    let verifier = Verifier::new(KeyRing::single(key_for(&v, "verify_jwk")), Policy::new());
    assert_eq!(
        verifier
            .verify_signature_only_at(v["token"].as_str().unwrap(), NOW)
            .unwrap_err(),
        VerifyError::BadSignature
    );
    let v = vector("RFC7797-4.2-b64false-detached");
    let verifier = Verifier::new(KeyRing::single(key_for(&v, "verify_jwk")), Policy::new());
    let err = verifier
        .verify_signature_only_at(v["token"].as_str().unwrap(), NOW)
        .unwrap_err();
    assert!(
        matches!(
            err,
            VerifyError::CritUnsupported | VerifyError::B64Unsupported
        ),
        "{err:?}"
    );
}

// ------------------------------------------------------------- tamper helpers

fn b64(bytes: &[u8]) -> String {
    BASE64URL.encode(bytes)
}

fn hmac_key(kid: Option<&str>) -> (Key, Secret) {
    let secret = Secret::from_bytes(Zeroizing::new(vec![0x42; 32]));
    let key = Key::from_secret(&secret, Algorithm::Hs256, kid.map(str::to_owned)).unwrap();
    (key, secret)
}

fn claims(extra: Value) -> Map<String, Value> {
    let mut map = json!({"iss": "https://issuer.example", "sub": "user-1", "aud": "api", "iat": NOW - 10, "exp": NOW + 900, "jti": "j1"})
        .as_object()
        .unwrap()
        .clone();
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            if v.is_null() {
                map.remove(&k);
            } else {
                map.insert(k, v);
            }
        }
    }
    map
}

/// A token with exactly this header and payload text, HMAC-SHA256-signed with
/// `secret` directly through aws-lc (attacks need secrets the library refuses).
fn forge_hmac(header: &str, payload: &str, secret: &[u8]) -> String {
    forge_raw_hmac(header, payload, secret)
}

fn forge_raw_hmac(header: &str, payload: &str, secret: &[u8]) -> String {
    let input = format!("{}.{}", b64(header.as_bytes()), b64(payload.as_bytes()));
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret);
    let sig = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64(sig.as_ref()))
}

fn good_payload() -> String {
    Value::Object(claims(json!({}))).to_string()
}

fn hmac_verifier(policy: Policy) -> Verifier {
    Verifier::new(KeyRing::single(hmac_key(None).0), policy)
}

fn reject(verifier: &Verifier, token: &str) -> VerifyError {
    reject_at(verifier, token, NOW)
}

fn reject_at(verifier: &Verifier, token: &str, now: i64) -> VerifyError {
    verifier.verify_at(token, now).unwrap_err()
}

// -------------------------------------------------------------------- attacks

#[test]
fn round_trip_with_every_algorithm() {
    for alg in Algorithm::ALL {
        let key = if alg.is_hmac() {
            Key::from_secret(&Secret::generate(alg, None).unwrap(), alg, None).unwrap()
        } else {
            let pair = KeyPair::generate(alg, 2048, None).unwrap();
            Key::from_pem(&pair.private_pem(), alg, None).unwrap()
        };
        let token = sign_claims(&key, &HeaderFields::default(), &claims(json!({}))).unwrap();
        let signature = BASE64URL.decode(signature_b64(&token)).unwrap();
        let signer = key.signing_key().unwrap();
        assert_eq!(signature.len(), signer.signature_len(), "{alg}");
        let verifier = Verifier::new(
            KeyRing::single(key),
            Policy::new()
                .issuer("https://issuer.example")
                .audience("api"),
        );
        let verified = verifier.verify_at(&token, NOW).unwrap();
        assert_eq!(verified.payload().sub(), Some("user-1"), "{alg}");
        assert_eq!(verified.algorithm(), alg);
    }
}

#[test]
fn rejects_alg_none_in_every_spelling_even_with_an_hmac_key() {
    let verifier = hmac_verifier(Policy::new());
    for alg in ["none", "None", "NONE", "nOnE", " none"] {
        let header = json!({"alg": alg}).to_string();
        for signature in ["", "AAAA"] {
            let token = format!(
                "{}.{}.{signature}",
                b64(header.as_bytes()),
                b64(good_payload().as_bytes())
            );
            assert_eq!(
                reject(&verifier, &token),
                VerifyError::AlgNone,
                "{alg} {signature:?}"
            );
        }
    }
}

#[test]
fn rejects_rs_hs_key_confusion_with_the_public_key_as_pem_and_jwk() {
    let pair = KeyPair::generate(Algorithm::Rs256, 2048, None).unwrap();
    let public = Key::from_pem(&pair.public_pem(), Algorithm::Rs256, None).unwrap();
    let verifier = Verifier::new(KeyRing::single(public), Policy::new());
    let pem = pair.public_pem();
    let jwk_text = serde_json::to_string(&pair.public_jwk()).unwrap();
    for secret in [
        pem.as_bytes(),
        pem.trim_end().as_bytes(),
        jwk_text.as_bytes(),
    ] {
        let token = forge_raw_hmac(r#"{"alg":"HS256"}"#, &good_payload(), secret);
        assert_eq!(reject(&verifier, &token), VerifyError::AlgMismatch);
    }
    // And the library never builds an HMAC key from a PEM key.
    assert!(Key::from_pem(&pem, Algorithm::Hs256, None).is_err());
}

#[test]
fn rejects_psychic_ecdsa_signature_r_s_zero() {
    let pair = KeyPair::generate(Algorithm::Es256, 0, None).unwrap();
    let verifier = Verifier::new(
        KeyRing::single(Key::from_jwk(&pair.public_jwk(), None).unwrap()),
        Policy::new(),
    );
    let input = format!(
        "{}.{}",
        b64(br#"{"alg":"ES256"}"#),
        b64(good_payload().as_bytes())
    );
    for sig in [vec![0u8; 64], vec![0u8; 0], vec![0u8; 72]] {
        let token = format!("{input}.{}", b64(&sig));
        let err = reject(&verifier, &token);
        assert!(
            matches!(err, VerifyError::BadSignature | VerifyError::Malformed),
            "{err:?}"
        );
    }
}

#[test]
fn embedded_jwk_jku_and_x5u_are_never_used_to_choose_the_key() {
    let verifier = hmac_verifier(Policy::new());
    let attacker = KeyPair::generate(Algorithm::Es256, 0, None).unwrap();
    let attacker_key = Key::from_pem(&attacker.private_pem(), Algorithm::Es256, None).unwrap();
    for extra in [
        json!({"jwk": attacker.public_jwk()}),
        json!({"jku": "https://attacker.example/jwks.json"}),
        json!({"x5u": "https://attacker.example/cert.pem"}),
    ] {
        let mut header = json!({"alg": "ES256"});
        header
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let input = format!(
            "{}.{}",
            b64(header.to_string().as_bytes()),
            b64(good_payload().as_bytes())
        );
        let sig = attacker_key
            .signing_key()
            .unwrap()
            .sign(input.as_bytes())
            .unwrap();
        let token = format!("{input}.{}", b64(&sig));
        assert_eq!(reject(&verifier, &token), VerifyError::AlgMismatch);
    }
}

#[test]
fn kid_traversal_and_injection_name_no_key() {
    let mut ring = KeyRing::new();
    ring.insert(RingKey::new(hmac_key(Some("k1")).0, 0))
        .unwrap();
    let verifier = Verifier::new(ring, Policy::new());
    for kid in ["../../../../dev/null", "' OR '1'='1", "k1\u{0}", "K1", ""] {
        let header = json!({"alg": "HS256", "kid": kid}).to_string();
        let token = forge_hmac(&header, &good_payload(), &[0x42; 32]);
        assert_eq!(
            reject(&verifier, &token),
            VerifyError::UnknownKid,
            "{kid:?}"
        );
    }
    let token = forge_hmac(r#"{"alg":"HS256"}"#, &good_payload(), &[0x42; 32]);
    assert_eq!(reject(&verifier, &token), VerifyError::KidRequired);
    let token = forge_hmac(r#"{"alg":"HS256","kid":7}"#, &good_payload(), &[0x42; 32]);
    assert_eq!(reject(&verifier, &token).code(), "invalid_header");
}

#[test]
fn unknown_crit_and_b64_false_are_rejected() {
    let verifier = hmac_verifier(Policy::new());
    let token = forge_hmac(
        r#"{"alg":"HS256","crit":["exp"],"exp":1}"#,
        &good_payload(),
        &[0x42; 32],
    );
    assert_eq!(reject(&verifier, &token), VerifyError::CritUnsupported);
    let token = forge_hmac(
        r#"{"alg":"HS256","b64":false}"#,
        &good_payload(),
        &[0x42; 32],
    );
    assert_eq!(reject(&verifier, &token), VerifyError::B64Unsupported);
}

#[test]
fn duplicate_json_members_are_rejected_in_header_and_payload() {
    let verifier = hmac_verifier(Policy::new());
    let token = forge_hmac(
        r#"{"alg":"HS256","alg":"HS256"}"#,
        &good_payload(),
        &[0x42; 32],
    );
    assert_eq!(reject(&verifier, &token).code(), "duplicate_member");
    let payload = good_payload().replacen('{', r#"{"sub":"admin","#, 1);
    let token = forge_hmac(r#"{"alg":"HS256"}"#, &payload, &[0x42; 32]);
    assert_eq!(reject(&verifier, &token).code(), "invalid_payload");
}

#[test]
fn non_canonical_base64url_is_rejected() {
    let verifier = hmac_verifier(Policy::new());
    let token = forge_hmac(r#"{"alg":"HS256"}"#, &good_payload(), &[0x42; 32]);
    assert!(verifier.verify_at(&token, NOW).is_ok());
    let (head, sig) = token.rsplit_once('.').unwrap();
    let mut variants = vec![
        format!("{head}.{sig}="),
        format!("{head}.{}", sig.replace('-', "+").replace('_', "/")),
        format!("{head}. {sig}"),
        format!("{head}.{sig}\n"),
        token.replacen('.', "=.", 1),
    ];
    // 32 bytes → 43 characters; the last one carries 2 unused bits that must be zero.
    let last = sig.chars().last().unwrap();
    let alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let index = alphabet.find(last).unwrap();
    let flipped = alphabet.as_bytes()[index ^ 1] as char;
    variants.push(format!("{head}.{}{flipped}", &sig[..sig.len() - 1]));
    for bad in variants {
        let err = reject(&verifier, &bad);
        assert!(
            matches!(err, VerifyError::InvalidEncoding { .. }),
            "{bad:?}: {err:?}"
        );
    }
}

#[test]
fn json_serialization_and_wrong_segment_counts_are_rejected() {
    let verifier = hmac_verifier(Policy::new());
    let token = forge_hmac(r#"{"alg":"HS256"}"#, &good_payload(), &[0x42; 32]);
    let (header, rest) = token.split_once('.').unwrap();
    let json_form = json!({"protected": header, "payload": rest, "signature": "x"}).to_string();
    for bad in [
        json_form,
        header.to_owned(),
        format!("{header}.{rest}.x"),
        format!("{token}."),
        format!(".{token}"),
        String::new(),
    ] {
        let err = reject(&verifier, &bad);
        assert!(
            matches!(
                err,
                VerifyError::Malformed | VerifyError::InvalidEncoding { .. }
            ),
            "{bad:?}: {err:?}"
        );
    }
}

#[test]
fn oversized_and_deeply_nested_input_is_rejected() {
    let verifier = hmac_verifier(Policy::new().max_token_bytes(1024));
    let big = Value::Object(claims(json!({"pad": "x".repeat(2000)}))).to_string();
    let token = forge_hmac(r#"{"alg":"HS256"}"#, &big, &[0x42; 32]);
    assert_eq!(
        reject(&verifier, &token),
        VerifyError::TooLarge { max: 1024 }
    );
    let verifier = hmac_verifier(Policy::new());
    let deep = format!("{}{}", "[".repeat(64), "]".repeat(64));
    let payload =
        Value::Object(claims(json!({})))
            .to_string()
            .replacen('{', &format!("{{\"d\":{deep},"), 1);
    let token = forge_hmac(r#"{"alg":"HS256"}"#, &payload, &[0x42; 32]);
    assert_eq!(reject(&verifier, &token).code(), "invalid_payload");
}

#[test]
fn dates_as_strings_negative_or_out_of_range_are_rejected() {
    let verifier = hmac_verifier(Policy::new());
    for exp in [
        json!("1800000900"),
        json!(-5),
        json!(-0.5),
        json!(1e300),
        json!(u64::MAX),
    ] {
        let payload = Value::Object(claims(json!({ "exp": exp }))).to_string();
        let token = forge_hmac(r#"{"alg":"HS256"}"#, &payload, &[0x42; 32]);
        assert_eq!(reject(&verifier, &token).code(), "invalid_claim", "{exp}");
    }
}

/// RFC 7519 §2 allows non-integer NumericDates (PyJWT, jose and jsonwebtoken
/// accept them): they are compared exactly with whole-second times.
#[test]
fn fractional_dates_are_accepted_and_compared_exactly() {
    let verifier = hmac_verifier(Policy::new().leeway_secs(0));
    let payload = Value::Object(claims(json!({
        "exp": (NOW + 900) as f64 + 0.5,
        "nbf": (NOW - 20) as f64 + 0.25,
        "iat": (NOW - 30) as f64 + 0.75,
    })))
    .to_string();
    let token = forge_hmac(r#"{"alg":"HS256"}"#, &payload, &[0x42; 32]);
    // Valid from nbf (rounded up: NOW - 19) until exp (NOW + 900.5: the last
    // whole second it is valid at is NOW + 900).
    assert!(verifier.verify_at(&token, NOW - 19).is_ok());
    assert_eq!(
        reject_at(&verifier, &token, NOW - 20).code(),
        "token_not_yet_valid"
    );
    assert!(verifier.verify_at(&token, NOW + 900).is_ok());
    assert_eq!(
        reject_at(&verifier, &token, NOW + 901).code(),
        "token_expired"
    );
    let verified = verifier.verify_at(&token, NOW).unwrap();
    assert_eq!(verified.payload().exp(), Some(NOW + 901));
    assert_eq!(verified.payload().iat(), Some(NOW - 30));
    // In exponent form too.
    let payload = Value::Object(claims(json!({ "exp": 1.8000009e9 }))).to_string();
    let token = forge_hmac(r#"{"alg":"HS256"}"#, &payload, &[0x42; 32]);
    assert_eq!(
        verifier.verify_at(&token, NOW).unwrap().payload().exp(),
        Some(NOW + 900)
    );
}

#[test]
fn aud_and_iss_type_confusion_is_rejected() {
    let verifier = hmac_verifier(
        Policy::new()
            .issuer("https://issuer.example")
            .audience("api"),
    );
    for extra in [
        json!({"aud": {"api": true}}),
        json!({"aud": ["api", 1]}),
        json!({"iss": ["https://issuer.example"]}),
        json!({"sub": 42}),
    ] {
        let payload = Value::Object(claims(extra.clone())).to_string();
        let token = forge_hmac(r#"{"alg":"HS256"}"#, &payload, &[0x42; 32]);
        assert_eq!(reject(&verifier, &token).code(), "invalid_claim", "{extra}");
    }
    let payload = Value::Object(claims(json!({"aud": ["other", "api"]}))).to_string();
    let token = forge_hmac(r#"{"alg":"HS256"}"#, &payload, &[0x42; 32]);
    assert!(verifier.verify_at(&token, NOW).is_ok());
    let payload = Value::Object(claims(json!({"aud": "apix"}))).to_string();
    let token = forge_hmac(r#"{"alg":"HS256"}"#, &payload, &[0x42; 32]);
    assert_eq!(reject(&verifier, &token), VerifyError::AudienceMismatch);
}

#[test]
fn typ_confusion_between_access_refresh_and_id_tokens_is_rejected() {
    let access = hmac_verifier(Policy::new().typ("at+jwt"));
    for typ in ["refresh+jwt", "JWT", "id_token+jwt", "confirm+jwt"] {
        let header = json!({"alg": "HS256", "typ": typ}).to_string();
        let token = forge_hmac(&header, &good_payload(), &[0x42; 32]);
        assert_eq!(reject(&access, &token), VerifyError::TypeMismatch, "{typ}");
    }
    let token = forge_hmac(r#"{"alg":"HS256"}"#, &good_payload(), &[0x42; 32]);
    assert_eq!(reject(&access, &token), VerifyError::TypeMismatch);
    for typ in ["at+jwt", "AT+JWT", "application/at+jwt"] {
        let header = json!({"alg": "HS256", "typ": typ}).to_string();
        let token = forge_hmac(&header, &good_payload(), &[0x42; 32]);
        assert!(access.verify_at(&token, NOW).is_ok(), "{typ}");
    }
}

/// The verifier remembers the headers its own keys write; a token with one of
/// them must get exactly the answers of the full parsing path.
#[test]
fn remembered_and_freshly_parsed_headers_verify_alike() {
    let (key, _) = hmac_key(Some("k1"));
    let verifier = Verifier::new(KeyRing::single(key), Policy::new().typ("at+jwt"));
    let remembered = r#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#;
    let reordered = r#"{"typ":"at+jwt","kid":"k1","alg":"HS256"}"#;
    let mut answers = Vec::new();
    for header in [remembered, reordered] {
        let token = forge_hmac(header, &good_payload(), &[0x42; 32]);
        let verified = verifier.verify_at(&token, NOW).unwrap();
        answers.push((
            verified.kid().to_owned(),
            verified.algorithm(),
            verified.header().get("typ").cloned(),
            verified.payload().sub().map(str::to_owned),
        ));
    }
    assert_eq!(answers[0], answers[1]);
    // Headers of the remembered shape still meet every check.
    for (header, error) in [
        (
            r#"{"alg":"HS256","kid":"k2","typ":"at+jwt"}"#,
            VerifyError::UnknownKid,
        ),
        (
            r#"{"alg":"HS256","kid":"k1","typ":"JWT"}"#,
            VerifyError::TypeMismatch,
        ),
        (r#"{"alg":"HS256","kid":"k1"}"#, VerifyError::TypeMismatch),
    ] {
        let token = forge_hmac(header, &good_payload(), &[0x42; 32]);
        assert_eq!(reject(&verifier, &token), error, "{header}");
    }
    let token = forge_hmac(remembered, &good_payload(), &[0x43; 32]);
    assert_eq!(reject(&verifier, &token), VerifyError::BadSignature);
}

#[test]
fn keys_of_the_wrong_type_are_rejected_as_alg_mismatch() {
    let es384 = KeyPair::generate(Algorithm::Es384, 0, None).unwrap();
    let ours = Key::from_jwk(&es384.public_jwk(), None).unwrap();
    let our_kid = ours.thumbprint().to_owned();
    let verifier = Verifier::new(KeyRing::single(ours), Policy::new());
    let es256 = Key::from_pem(
        &KeyPair::generate(Algorithm::Es256, 0, None)
            .unwrap()
            .private_pem(),
        Algorithm::Es256,
        None,
    )
    .unwrap();
    // The attacker names our key but signs with a key of another type.
    let fields = HeaderFields {
        kid: Some(our_kid),
        ..HeaderFields::default()
    };
    let token = sign_claims(&es256, &fields, &claims(json!({}))).unwrap();
    assert_eq!(reject(&verifier, &token), VerifyError::AlgMismatch);
    // Naming no known key at all is refused before any signature check.
    let token = sign_claims(&es256, &HeaderFields::default(), &claims(json!({}))).unwrap();
    assert_eq!(reject(&verifier, &token), VerifyError::UnknownKid);
}

#[test]
fn short_and_empty_hmac_secrets_never_verify() {
    for len in [0usize, 1, 16, 31] {
        let secret = Secret::from_bytes(Zeroizing::new(vec![7; len]));
        assert_eq!(
            Key::from_secret(&secret, Algorithm::Hs256, None)
                .unwrap_err()
                .code(),
            "secret_too_short"
        );
    }
}

#[test]
fn flipping_any_byte_of_a_token_rejects_it() {
    let verifier = hmac_verifier(Policy::new());
    let token = forge_hmac(
        r#"{"alg":"HS256","typ":"JWT"}"#,
        &good_payload(),
        &[0x42; 32],
    );
    for i in 0..token.len() {
        let mut bytes = token.clone().into_bytes();
        bytes[i] ^= 0x01;
        if let Ok(tampered) = String::from_utf8(bytes) {
            assert!(verifier.verify_at(&tampered, NOW).is_err(), "byte {i}");
        }
    }
}

// ------------------------------------------------------------------ time rules

#[test]
fn exp_is_required_and_time_claims_are_enforced_with_bounded_leeway() {
    let verifier = hmac_verifier(Policy::new().leeway_secs(10_000).max_lifetime_secs(3600));
    let t = |extra: Value| {
        forge_hmac(
            r#"{"alg":"HS256"}"#,
            &Value::Object(claims(extra)).to_string(),
            &[0x42; 32],
        )
    };
    assert_eq!(
        reject(&verifier, &t(json!({"exp": null}))),
        VerifyError::MissingClaim {
            claim: "exp".into()
        }
    );
    // Leeway is capped at 300 s whatever was asked.
    assert_eq!(
        reject(&verifier, &t(json!({"exp": NOW - 301, "iat": NOW - 400}))),
        VerifyError::Expired
    );
    assert!(verifier
        .verify_at(&t(json!({"exp": NOW - 299, "iat": NOW - 400})), NOW)
        .is_ok());
    assert_eq!(
        reject(&verifier, &t(json!({"nbf": NOW + 301}))),
        VerifyError::NotYetValid
    );
    assert_eq!(
        reject(&verifier, &t(json!({"iat": NOW + 301, "exp": NOW + 900}))),
        VerifyError::IssuedInFuture
    );
    assert_eq!(
        reject(&verifier, &t(json!({"iat": NOW, "exp": NOW + 7200}))),
        VerifyError::LifetimeTooLong { max_secs: 3600 }
    );
}

#[test]
fn issuer_must_match_exactly() {
    let verifier = hmac_verifier(Policy::new().issuer("https://issuer.example"));
    for iss in [
        "https://issuer.example/",
        "https://ISSUER.example",
        "https://issuer.example.evil",
    ] {
        let token = forge_hmac(
            r#"{"alg":"HS256"}"#,
            &Value::Object(claims(json!({ "iss": iss }))).to_string(),
            &[0x42; 32],
        );
        assert_eq!(
            reject(&verifier, &token),
            VerifyError::IssuerMismatch,
            "{iss}"
        );
    }
}

// --------------------------------------------------------------------- rotation

#[test]
fn rotation_keeps_old_tokens_valid_until_they_expire_then_retires_the_key() {
    let first = Key::from_secret(
        &Secret::generate(Algorithm::Hs256, None).unwrap(),
        Algorithm::Hs256,
        Some("k1".into()),
    )
    .unwrap();
    let mut ring = KeyRing::new();
    ring.insert(RingKey::new(first, NOW - 1000)).unwrap();
    let old_token = {
        let signer = ring.signing_key_at(NOW).unwrap().key();
        sign_claims(signer, &HeaderFields::default(), &claims(json!({}))).unwrap()
    };
    let second = Key::from_secret(
        &Secret::generate(Algorithm::Hs256, None).unwrap(),
        Algorithm::Hs256,
        Some("k2".into()),
    )
    .unwrap();
    ring.rotate_at(NOW + 10, second, 900).unwrap();
    assert_eq!(ring.signing_key_at(NOW + 10).unwrap().kid(), "k2");
    let verifier = Verifier::new(ring, Policy::new().leeway_secs(0));
    // Before its own expiry, the old token still verifies with the verify-only key.
    assert!(verifier.verify_at(&old_token, NOW + 800).is_ok());
    // After the verify window, the key is retired and refused before the signature.
    assert_eq!(
        verifier.verify_at(&old_token, NOW + 10 + 900).unwrap_err(),
        VerifyError::KeyRetired
    );
}

#[test]
fn jwks_lists_public_keys_only_newest_first_including_the_next_published_key() {
    let older = Key::from_pem(
        &KeyPair::generate(Algorithm::Es256, 0, None)
            .unwrap()
            .private_pem(),
        Algorithm::Es256,
        None,
    )
    .unwrap();
    let next = Key::from_pem(
        &KeyPair::generate(Algorithm::Es256, 0, None)
            .unwrap()
            .private_pem(),
        Algorithm::Es256,
        None,
    )
    .unwrap();
    let next_kid = next.thumbprint().to_owned();
    let mut ring = KeyRing::new();
    ring.insert(RingKey::new(older, NOW - 100)).unwrap();
    ring.insert(RingKey::new(next, NOW + 3600).published_ahead(7200))
        .unwrap();
    let jwks = ring.jwks_at(NOW);
    assert_eq!(jwks.keys.len(), 2);
    assert_eq!(jwks.keys[0].kid.as_deref(), Some(next_kid.as_str()));
    assert!(jwks
        .keys
        .iter()
        .all(|k| !k.is_private() && k.use_.as_deref() == Some("sig")));
    assert_ne!(
        ring.signing_key_at(NOW).unwrap().kid(),
        next_kid,
        "published keys do not sign yet"
    );
    assert_eq!(ring.signing_key_at(NOW + 3600).unwrap().kid(), next_kid);
}

#[path = "../../../fuzz/harness.rs"]
mod harness;
#[path = "jose/primitives.rs"]
mod primitives;
#[path = "jose/properties.rs"]
mod properties;
#[path = "jose/wycheproof.rs"]
mod wycheproof;

/// The fuzz target's corpus, replayed through the same harness the fuzzer runs.
#[test]
fn fuzz_corpus_replays_cleanly() {
    let dir = format!("{}/../../fuzz/corpus/verify", env!("CARGO_MANIFEST_DIR"));
    let mut replayed = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.file_name().unwrap().to_string_lossy().starts_with('.') {
            continue;
        }
        harness::check(&std::fs::read(&path).unwrap());
        replayed += 1;
    }
    assert!(replayed >= 19, "{replayed}");
}
