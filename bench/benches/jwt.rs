//! Sign and verify, single thread, keys parsed once, the same ~230-byte
//! claims (iss, sub, aud, iat, exp, jti, scope): jwtkeep against jsonwebtoken
//! (aws-lc-rs backend) and jwt-simple, plus the floor: the raw aws-lc
//! primitive over the same signing input. Verification validates the
//! claims fully (signature, exp, iss, aud) in every library.

use std::hint::black_box;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use criterion::{criterion_group, criterion_main, Criterion};
use jwt_simple::prelude::{
    ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, EdDSAKeyPairLike, EdDSAPublicKeyLike, MACLike,
    RSAKeyPairLike, RSAPublicKeyLike,
};
use jwtkeep_core::{
    sign_claims, Algorithm, HeaderFields, Key, KeyPair, KeyRing, Policy, Secret, Verifier,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

const NOW: i64 = 1_800_000_000;
const ISS: &str = "https://auth.example.com";
const AUD: &str = "https://api.example.com";

#[derive(Serialize, Deserialize, Clone)]
struct StdClaims {
    iss: String,
    sub: String,
    aud: String,
    iat: i64,
    exp: i64,
    jti: String,
    scope: String,
}

#[derive(Serialize, Deserialize, Clone)]
struct Custom {
    scope: String,
}

fn claims() -> StdClaims {
    StdClaims {
        iss: ISS.into(),
        sub: "user-7f3a9c2e-41d8-4b8e-9a1f-2c6d8e0b5a47".into(),
        aud: AUD.into(),
        iat: NOW,
        exp: NOW + 900,
        jti: "4kTQ7d9cYw2Lm8Xv1Rb6Zs".into(),
        scope: "openid profile email orders:read orders:write".into(),
    }
}

fn claims_map() -> Map<String, Value> {
    match serde_json::to_value(claims()) {
        Ok(Value::Object(map)) => map,
        _ => unreachable!(),
    }
}

fn jwt_simple_claims() -> jwt_simple::prelude::JWTClaims<Custom> {
    let c = claims();
    jwt_simple::prelude::Claims::with_custom_claims(
        Custom { scope: c.scope },
        jwt_simple::prelude::Duration::from_secs(900),
    )
    .with_issuer(c.iss)
    .with_subject(c.sub)
    .with_audience(c.aud)
    .with_jwt_id(c.jti)
}

fn jwt_simple_options() -> jwt_simple::prelude::VerificationOptions {
    jwt_simple::prelude::VerificationOptions {
        allowed_issuers: Some([ISS.to_owned()].into()),
        allowed_audiences: Some([AUD.to_owned()].into()),
        ..Default::default()
    }
}

fn jwtkeep_verifier(key: Key) -> Verifier {
    Verifier::new(
        KeyRing::single(key),
        Policy::new().issuer(ISS).audience(AUD),
    )
}

fn jsonwebtoken_validation(alg: jsonwebtoken::Algorithm) -> jsonwebtoken::Validation {
    let mut v = jsonwebtoken::Validation::new(alg);
    v.set_issuer(&[ISS]);
    v.set_audience(&[AUD]);
    v.set_required_spec_claims(&["exp", "iss", "aud"]);
    // Same instant for everyone: jsonwebtoken reads the clock, so exp must be in its future.
    v.leeway = 0;
    v
}

/// jsonwebtoken reads the wall clock; give its tokens an expiry in the real future.
fn live_claims() -> StdClaims {
    let mut c = claims();
    c.exp = 4_000_000_000;
    c
}

fn signing_input(token: &str) -> (&[u8], Vec<u8>) {
    use base64::Engine as _;
    let at = token.rfind('.').unwrap_or(0);
    let sig = jwtkeep_core::encoding::BASE64URL
        .decode(&token[at + 1..])
        .unwrap_or_default();
    (token[..at].as_bytes(), sig)
}

fn hs256(c: &mut Criterion) {
    let secret_bytes = [0x5au8; 32];
    let secret = Secret::from_bytes(zeroize::Zeroizing::new(secret_bytes.to_vec()));
    let key = Key::from_secret(&secret, Algorithm::Hs256, None).unwrap();
    let verifier = jwtkeep_verifier(Key::from_secret(&secret, Algorithm::Hs256, None).unwrap());
    let map = claims_map();
    let jk_token = sign_claims(&key, &HeaderFields::default(), &map).unwrap();

    let jwt_enc = jsonwebtoken::EncodingKey::from_secret(&secret_bytes);
    let jwt_dec = jsonwebtoken::DecodingKey::from_secret(&secret_bytes);
    let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    let validation = jsonwebtoken_validation(jsonwebtoken::Algorithm::HS256);
    let jwt_token = jsonwebtoken::encode(&header, &live_claims(), &jwt_enc).unwrap();

    let js_key = jwt_simple::prelude::HS256Key::from_bytes(&secret_bytes);
    let js_token = js_key.authenticate(jwt_simple_claims()).unwrap();
    let js_options = jwt_simple_options();

    let hkey = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &secret_bytes);
    let (input, tag) = signing_input(&jk_token);
    let input = input.to_vec();

    let mut g = c.benchmark_group("HS256 sign");
    g.bench_function("jwtkeep", |b| {
        b.iter(|| sign_claims(&key, &HeaderFields::default(), black_box(&map)).unwrap())
    });
    g.bench_function("jsonwebtoken", |b| {
        b.iter(|| jsonwebtoken::encode(&header, black_box(&claims()), &jwt_enc).unwrap())
    });
    g.bench_function("jwt-simple", |b| {
        b.iter(|| js_key.authenticate(black_box(jwt_simple_claims())).unwrap())
    });
    g.bench_function("raw HMAC", |b| {
        b.iter(|| aws_lc_rs::hmac::sign(&hkey, black_box(&input)))
    });
    g.finish();

    let mut g = c.benchmark_group("HS256 verify");
    g.bench_function("jwtkeep", |b| {
        b.iter(|| verifier.verify_at(black_box(&jk_token), NOW).unwrap())
    });
    g.bench_function("jsonwebtoken", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<StdClaims>(black_box(&jwt_token), &jwt_dec, &validation).unwrap()
        })
    });
    g.bench_function("jwt-simple", |b| {
        b.iter(|| {
            js_key
                .verify_token::<Custom>(black_box(&js_token), Some(js_options.clone()))
                .unwrap()
        })
    });
    g.bench_function("raw HMAC", |b| {
        b.iter(|| aws_lc_rs::hmac::verify(&hkey, black_box(&input), &tag).unwrap())
    });
    g.finish();
}

/// One asymmetric algorithm: jwtkeep, jsonwebtoken, and the raw primitive.
fn asymmetric(
    c: &mut Criterion,
    alg: Algorithm,
    jwt_alg: jsonwebtoken::Algorithm,
    raw_sign: &dyn Fn(&[u8]) -> Vec<u8>,
    raw_verify: &dyn Fn(&[u8], &[u8]) -> bool,
    pair: &KeyPair,
    jwt_simple_pair: Option<(&dyn Fn() -> String, &dyn Fn(&str) -> bool)>,
) {
    let key = Key::from_pem(&pair.private_pem(), alg, None).unwrap();
    let verifier = jwtkeep_verifier(Key::from_jwk(&pair.public_jwk(), None).unwrap());
    let map = claims_map();
    let jk_token = sign_claims(&key, &HeaderFields::default(), &map).unwrap();

    let jwt_enc = match alg {
        Algorithm::Es256 => jsonwebtoken::EncodingKey::from_ec_der(pair.pkcs8_der()),
        Algorithm::EdDsa => jsonwebtoken::EncodingKey::from_ed_der(pair.pkcs8_der()),
        _ => jsonwebtoken::EncodingKey::from_rsa_pem(pair.private_pem().as_bytes()).unwrap(),
    };
    let jwt_dec = jsonwebtoken::DecodingKey::from_jwk(
        &serde_json::from_value(serde_json::to_value(pair.public_jwk()).unwrap()).unwrap(),
    )
    .unwrap();
    let header = jsonwebtoken::Header::new(jwt_alg);
    let validation = jsonwebtoken_validation(jwt_alg);
    let jwt_token = jsonwebtoken::encode(&header, &live_claims(), &jwt_enc).unwrap();

    let (input, signature) = signing_input(&jk_token);
    let input = input.to_vec();

    let mut g = c.benchmark_group(format!("{alg} sign"));
    g.bench_function("jwtkeep", |b| {
        b.iter(|| sign_claims(&key, &HeaderFields::default(), black_box(&map)).unwrap())
    });
    g.bench_function("jsonwebtoken", |b| {
        b.iter(|| jsonwebtoken::encode(&header, black_box(&claims()), &jwt_enc).unwrap())
    });
    if let Some((js_sign, _)) = &jwt_simple_pair {
        g.bench_function("jwt-simple", |b| b.iter(js_sign));
    }
    g.bench_function("raw primitive", |b| b.iter(|| raw_sign(black_box(&input))));
    g.finish();

    let mut g = c.benchmark_group(format!("{alg} verify"));
    g.bench_function("jwtkeep", |b| {
        b.iter(|| verifier.verify_at(black_box(&jk_token), NOW).unwrap())
    });
    g.bench_function("jsonwebtoken", |b| {
        b.iter(|| {
            jsonwebtoken::decode::<StdClaims>(black_box(&jwt_token), &jwt_dec, &validation).unwrap()
        })
    });
    if let Some((js_sign, js_verify)) = &jwt_simple_pair {
        let token = js_sign();
        g.bench_function("jwt-simple", |b| {
            b.iter(|| assert!(js_verify(black_box(&token))))
        });
    }
    g.bench_function("raw primitive", |b| {
        b.iter(|| assert!(raw_verify(black_box(&input), &signature)))
    });
    g.finish();
}

fn public_key(
    pair: &KeyPair,
    alg: &'static dyn sig::VerificationAlgorithm,
) -> sig::ParsedPublicKey {
    sig::ParsedPublicKey::new(alg, pair.spki_der()).unwrap()
}

fn rs256_and_ps256(c: &mut Criterion) {
    let pair = KeyPair::generate(Algorithm::Rs256, 2048, None).unwrap();
    let rsa = sig::RsaKeyPair::from_pkcs8(pair.pkcs8_der()).unwrap();
    let pk = public_key(&pair, &sig::RSA_PKCS1_2048_8192_SHA256);
    let js = jwt_simple::prelude::RS256KeyPair::from_der(pair.pkcs8_der()).unwrap();
    let js_pk = js.public_key();
    let js_sign = || js.sign(jwt_simple_claims()).unwrap();
    let js_verify = |t: &str| {
        js_pk
            .verify_token::<Custom>(t, Some(jwt_simple_options()))
            .is_ok()
    };
    asymmetric(
        c,
        Algorithm::Rs256,
        jsonwebtoken::Algorithm::RS256,
        &|m| {
            let mut out = vec![0; rsa.public_modulus_len()];
            rsa.sign(&sig::RSA_PKCS1_SHA256, &SystemRandom::new(), m, &mut out)
                .unwrap();
            out
        },
        &|m, s| pk.verify_sig(m, s).is_ok(),
        &pair,
        Some((&js_sign, &js_verify)),
    );
    let pair = KeyPair::generate(Algorithm::Ps256, 2048, None).unwrap();
    let rsa = sig::RsaKeyPair::from_pkcs8(pair.pkcs8_der()).unwrap();
    let pk = public_key(&pair, &sig::RSA_PSS_2048_8192_SHA256);
    let js = jwt_simple::prelude::PS256KeyPair::from_der(pair.pkcs8_der()).unwrap();
    let js_pk = js.public_key();
    let js_sign = || js.sign(jwt_simple_claims()).unwrap();
    let js_verify = |t: &str| {
        js_pk
            .verify_token::<Custom>(t, Some(jwt_simple_options()))
            .is_ok()
    };
    asymmetric(
        c,
        Algorithm::Ps256,
        jsonwebtoken::Algorithm::PS256,
        &|m| {
            let mut out = vec![0; rsa.public_modulus_len()];
            rsa.sign(&sig::RSA_PSS_SHA256, &SystemRandom::new(), m, &mut out)
                .unwrap();
            out
        },
        &|m, s| pk.verify_sig(m, s).is_ok(),
        &pair,
        Some((&js_sign, &js_verify)),
    );
}

fn es256(c: &mut Criterion) {
    let pair = KeyPair::generate(Algorithm::Es256, 0, None).unwrap();
    let ec = sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, pair.pkcs8_der())
        .unwrap();
    let pk = public_key(&pair, &sig::ECDSA_P256_SHA256_FIXED);
    let js = jwt_simple::prelude::ES256KeyPair::from_der(pair.pkcs8_der()).unwrap();
    let js_pk = js.public_key();
    let js_sign = || js.sign(jwt_simple_claims()).unwrap();
    let js_verify = |t: &str| {
        js_pk
            .verify_token::<Custom>(t, Some(jwt_simple_options()))
            .is_ok()
    };
    asymmetric(
        c,
        Algorithm::Es256,
        jsonwebtoken::Algorithm::ES256,
        &|m| ec.sign(&SystemRandom::new(), m).unwrap().as_ref().to_vec(),
        &|m, s| pk.verify_sig(m, s).is_ok(),
        &pair,
        Some((&js_sign, &js_verify)),
    );
}

fn eddsa(c: &mut Criterion) {
    let pair = KeyPair::generate(Algorithm::EdDsa, 0, None).unwrap();
    let ed = sig::Ed25519KeyPair::from_pkcs8(pair.pkcs8_der()).unwrap();
    let pk = sig::ParsedPublicKey::new(&sig::ED25519, ed.public_key().as_ref()).unwrap();
    let js = jwt_simple::prelude::Ed25519KeyPair::from_der(pair.pkcs8_der()).unwrap();
    let js_pk = js.public_key();
    let js_sign = || js.sign(jwt_simple_claims()).unwrap();
    let js_verify = |t: &str| {
        js_pk
            .verify_token::<Custom>(t, Some(jwt_simple_options()))
            .is_ok()
    };
    asymmetric(
        c,
        Algorithm::EdDsa,
        jsonwebtoken::Algorithm::EdDSA,
        &|m| ed.sign(m).as_ref().to_vec(),
        &|m, s| pk.verify_sig(m, s).is_ok(),
        &pair,
        Some((&js_sign, &js_verify)),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));
    targets = hs256, rs256_and_ps256, es256, eddsa
}
criterion_main!(benches);
