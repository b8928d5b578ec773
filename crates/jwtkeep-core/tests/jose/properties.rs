//! Properties over generated input: nothing a caller can hand the parser,
//! the verifier, the inspector or the strength checker makes it panic, and
//! signing then verifying gives back exactly the claims signed.

use std::sync::OnceLock;

use jwtkeep_core::inspect::{decode_unverified, lint_token};
use jwtkeep_core::strength::{check, InputEncoding};
use jwtkeep_core::{
    sign_claims, Algorithm, HeaderFields, Key, KeyPair, KeyRing, Policy, Secret, Verifier,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

const NOW: i64 = 1_800_000_000;

fn keys() -> &'static [Key] {
    static KEYS: OnceLock<Vec<Key>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys = vec![Key::from_secret(&hmac_secret(), Algorithm::Hs256, None).unwrap()];
        for alg in [Algorithm::Es256, Algorithm::EdDsa] {
            let pair = KeyPair::generate(alg, 0, None).unwrap();
            keys.push(Key::from_pem(&pair.private_pem(), alg, None).unwrap());
        }
        keys
    })
}

fn verifier(index: usize) -> Verifier {
    let key = &keys()[index];
    // Verification uses only what a verifier would hold: the public JWK, or the shared secret.
    let public = match key.public_jwk() {
        Some(jwk) => Key::from_jwk(&jwk, None).unwrap(),
        None => Key::from_secret(&hmac_secret(), Algorithm::Hs256, None).unwrap(),
    };
    Verifier::new(KeyRing::single(public), Policy::new())
}

fn claim_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::from),
        proptest::collection::vec("[a-z]{0,5}", 0..4).prop_map(Value::from),
    ]
}

fn token_like() -> impl Strategy<Value = String> {
    let segment = "[A-Za-z0-9_=+/. -]{0,80}";
    prop_oneof![
        "\\PC{0,300}",
        (segment, segment, segment).prop_map(|(a, b, c)| format!("{a}.{b}.{c}")),
        ("\\PC{0,120}", "\\PC{0,120}").prop_map(|(h, p)| {
            use base64::Engine as _;
            let e = jwtkeep_core::encoding::BASE64URL;
            format!("{}.{}.AAAA", e.encode(h), e.encode(p))
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsing_and_verifying_never_panic(token in token_like()) {
        for index in 0..3 {
            let v = verifier(index);
            let _ = v.verify_at(&token, NOW);
            let _ = v.verify_signature_only_at(&token, NOW);
        }
        if let Ok(decoded) = decode_unverified(&token) {
            let _ = lint_token(&decoded, NOW);
        }
    }

    #[test]
    fn strength_check_never_panics(text in "\\PC{0,200}") {
        for encoding in [InputEncoding::Auto, InputEncoding::Raw, InputEncoding::Hex, InputEncoding::Base64] {
            let _ = check(&text, encoding, Algorithm::Hs256);
        }
    }

    #[test]
    fn sign_then_verify_returns_the_claims(
        extra in proptest::collection::btree_map("[a-z]{1,8}", claim_value(), 0..6),
        index in 0usize..3,
    ) {
        let mut claims: Map<String, Value> = extra.into_iter().collect();
        for reserved in ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"] {
            claims.remove(reserved);
        }
        claims.insert("exp".into(), Value::from(NOW + 60));
        let key = &keys()[index];
        let token = sign_claims(key, &HeaderFields::default(), &claims).unwrap();
        let verified = verifier(index).verify_at(&token, NOW).unwrap();
        prop_assert_eq!(&verified.payload().to_map(), &claims);
    }
}

/// The shared HMAC secret of the property tests.
fn hmac_secret() -> Secret {
    static SECRET: OnceLock<Secret> = OnceLock::new();
    SECRET
        .get_or_init(|| Secret::generate(Algorithm::Hs256, None).unwrap())
        .clone()
}
