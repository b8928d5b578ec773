//! The body of the `verify` fuzz target, shared with the corpus replay in
//! `cargo test` (crates/jwtkeep-core/tests/jose.rs) so both run the same checks.

use std::sync::OnceLock;

use jwtkeep_core::inspect::{decode_unverified, lint_token};
use jwtkeep_core::{
    sign_claims, Algorithm, HeaderFields, Key, KeyPair, KeyRing, Policy, Secret, Verifier,
};

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
    if let Ok(mut claims) = jwtkeep_core::json::parse_object(data, 16) {
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
