//! The contenders of the sign/verify benchmarks, built once and shared by
//! both harnesses: criterion (`benches/jwt.rs`) and the interleaved runner
//! (`benches/interleaved.rs`). Single thread, keys parsed once, the same
//! ~230-byte claims (iss, sub, aud, iat, exp, jti, scope) everywhere;
//! verification checks the signature, exp, iss and aud in every library.
//! The floor is the raw aws-lc primitive over the same signing input.

use std::hint::black_box;
use std::rc::Rc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _};
use jwt_simple::prelude::{
    ECDSAP256KeyPairLike, ECDSAP256PublicKeyLike, EdDSAKeyPairLike, EdDSAPublicKeyLike, MACLike,
    RSAKeyPairLike, RSAPublicKeyLike,
};
use jwtkeep_core::{
    sign_claims, Algorithm, HeaderFields, Key, KeyPair, KeyRing, Policy, Secret, Verifier,
};
use serde::{Deserialize, Serialize};

/// One operation as each library does it.
pub struct Group {
    /// "HS256 verify", ...
    pub name: String,
    /// (contender, one operation); the floor is named "raw HMAC" or "raw primitive".
    pub members: Vec<(&'static str, Op)>,
}

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
    v.leeway = 0;
    v
}

/// jsonwebtoken reads the wall clock; give its tokens an expiry in the real future.
fn live_claims() -> StdClaims {
    let mut c = claims();
    c.exp = 4_000_000_000;
    c
}

fn signing_input(token: &str) -> (Vec<u8>, Vec<u8>) {
    use base64::Engine as _;
    let at = token.rfind('.').unwrap_or(0);
    let sig = jwtkeep_core::encoding::BASE64URL
        .decode(&token[at + 1..])
        .unwrap_or_default();
    (token.as_bytes()[..at].to_vec(), sig)
}

/// One operation of one contender.
pub type Op = Box<dyn FnMut()>;

/// Each library signs claims built once, outside the timed loop, in the form
/// its API takes: a struct for jwtkeep and jsonwebtoken (both accept any
/// `Serialize`), a `JWTClaims` value for jwt-simple (which consumes it, so each
/// iteration signs a clone).
fn jwtkeep_sign(key: Rc<Key>) -> Op {
    let claims = claims();
    Box::new(move || {
        black_box(sign_claims(&key, &HeaderFields::default(), black_box(&claims)).unwrap());
    })
}

fn jwtkeep_verify(verifier: Verifier, token: String) -> Op {
    Box::new(move || {
        black_box(verifier.verify_at(black_box(&token), NOW).unwrap());
    })
}

fn jsonwebtoken_sign(header: Rc<jsonwebtoken::Header>, key: Rc<jsonwebtoken::EncodingKey>) -> Op {
    let claims = claims();
    Box::new(move || {
        black_box(jsonwebtoken::encode(&header, black_box(&claims), &key).unwrap());
    })
}

fn jsonwebtoken_verify(
    token: String,
    key: jsonwebtoken::DecodingKey,
    validation: jsonwebtoken::Validation,
) -> Op {
    Box::new(move || {
        black_box(jsonwebtoken::decode::<StdClaims>(black_box(&token), &key, &validation).unwrap());
    })
}

fn hs256(groups: &mut Vec<Group>) {
    let secret_bytes = [0x5au8; 32];
    let secret = Secret::from_bytes(zeroize::Zeroizing::new(secret_bytes.to_vec()));
    let key = Rc::new(Key::from_secret(&secret, Algorithm::Hs256, None).unwrap());
    let verifier = jwtkeep_verifier(Key::from_secret(&secret, Algorithm::Hs256, None).unwrap());
    let jk_token = sign_claims(&key, &HeaderFields::default(), &claims()).unwrap();

    let jwt_enc = Rc::new(jsonwebtoken::EncodingKey::from_secret(&secret_bytes));
    let jwt_dec = jsonwebtoken::DecodingKey::from_secret(&secret_bytes);
    let header = Rc::new(jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256));
    let validation = jsonwebtoken_validation(jsonwebtoken::Algorithm::HS256);
    let jwt_token = jsonwebtoken::encode(&header, &live_claims(), &jwt_enc).unwrap();

    let js_key = Rc::new(jwt_simple::prelude::HS256Key::from_bytes(&secret_bytes));
    let js_token = js_key.authenticate(jwt_simple_claims()).unwrap();
    let js_options = jwt_simple_options();

    let hkey = Rc::new(aws_lc_rs::hmac::Key::new(
        aws_lc_rs::hmac::HMAC_SHA256,
        &secret_bytes,
    ));
    let (input, tag) = signing_input(&jk_token);
    let input = Rc::new(input);

    groups.push(Group {
        name: "HS256 sign".into(),
        members: vec![
            ("jwtkeep", jwtkeep_sign(key.clone())),
            ("jsonwebtoken", jsonwebtoken_sign(header, jwt_enc)),
            ("jwt-simple", {
                let js_key = js_key.clone();
                let js_claims = jwt_simple_claims();
                Box::new(move || {
                    black_box(js_key.authenticate(black_box(js_claims.clone())).unwrap());
                })
            }),
            ("raw HMAC", {
                let (hkey, input) = (hkey.clone(), input.clone());
                Box::new(move || {
                    black_box(aws_lc_rs::hmac::sign(&hkey, black_box(&input)));
                })
            }),
        ],
    });
    groups.push(Group {
        name: "HS256 verify".into(),
        members: vec![
            ("jwtkeep", jwtkeep_verify(verifier, jk_token)),
            (
                "jsonwebtoken",
                jsonwebtoken_verify(jwt_token, jwt_dec, validation),
            ),
            (
                "jwt-simple",
                Box::new(move || {
                    black_box(
                        js_key
                            .verify_token::<Custom>(black_box(&js_token), Some(js_options.clone()))
                            .unwrap(),
                    );
                }),
            ),
            (
                "raw HMAC",
                Box::new(move || {
                    aws_lc_rs::hmac::verify(&hkey, black_box(&input), &tag).unwrap();
                }),
            ),
        ],
    });
}

/// jwt-simple's sign and verify for one key pair type.
type JwtSimple = (Op, Op);

fn jwt_simple_pair<K, P>(
    pair: K,
    public: impl Fn(&K) -> P,
    sign: fn(&K, jwt_simple::prelude::JWTClaims<Custom>) -> String,
    verify: fn(&P, &str) -> bool,
) -> JwtSimple
where
    K: 'static,
    P: 'static,
{
    let pk = public(&pair);
    let token = sign(&pair, jwt_simple_claims());
    let js_claims = jwt_simple_claims();
    (
        Box::new(move || {
            black_box(sign(&pair, black_box(js_claims.clone())));
        }),
        Box::new(move || assert!(verify(&pk, black_box(&token)))),
    )
}

/// One asymmetric algorithm: jwtkeep, jsonwebtoken, jwt-simple and the raw primitive.
fn asymmetric(
    groups: &mut Vec<Group>,
    alg: Algorithm,
    jwt_alg: jsonwebtoken::Algorithm,
    raw_sign: Box<dyn Fn(&[u8]) -> Vec<u8>>,
    raw_verify: Box<dyn Fn(&[u8], &[u8]) -> bool>,
    pair: &KeyPair,
    jwt_simple: JwtSimple,
) {
    let key = Key::from_pem(&pair.private_pem(), alg, None).unwrap();
    let verifier = jwtkeep_verifier(Key::from_jwk(&pair.public_jwk(), None).unwrap());
    let jk_token = sign_claims(&key, &HeaderFields::default(), &claims()).unwrap();

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
    let input = Rc::new(input);
    let (js_sign, js_verify) = jwt_simple;

    groups.push(Group {
        name: format!("{alg} sign"),
        members: vec![
            ("jwtkeep", jwtkeep_sign(Rc::new(key))),
            (
                "jsonwebtoken",
                jsonwebtoken_sign(Rc::new(header), Rc::new(jwt_enc)),
            ),
            ("jwt-simple", js_sign),
            ("raw primitive", {
                let input = input.clone();
                Box::new(move || {
                    black_box(raw_sign(black_box(&input)));
                })
            }),
        ],
    });
    groups.push(Group {
        name: format!("{alg} verify"),
        members: vec![
            ("jwtkeep", jwtkeep_verify(verifier, jk_token)),
            (
                "jsonwebtoken",
                jsonwebtoken_verify(jwt_token, jwt_dec, validation),
            ),
            ("jwt-simple", js_verify),
            (
                "raw primitive",
                Box::new(move || assert!(raw_verify(black_box(&input), &signature))),
            ),
        ],
    });
}

fn public_key(
    pair: &KeyPair,
    alg: &'static dyn sig::VerificationAlgorithm,
) -> sig::ParsedPublicKey {
    sig::ParsedPublicKey::new(alg, pair.spki_der()).unwrap()
}

fn rsa(groups: &mut Vec<Group>, alg: Algorithm) {
    let pair = KeyPair::generate(alg, 2048, None).unwrap();
    let rsa = sig::RsaKeyPair::from_pkcs8(pair.pkcs8_der()).unwrap();
    let (jwt_alg, padding, verification, js): (_, &'static dyn sig::RsaEncoding, _, JwtSimple) =
        if alg == Algorithm::Rs256 {
            (
                jsonwebtoken::Algorithm::RS256,
                &sig::RSA_PKCS1_SHA256,
                &sig::RSA_PKCS1_2048_8192_SHA256,
                jwt_simple_pair(
                    jwt_simple::prelude::RS256KeyPair::from_der(pair.pkcs8_der()).unwrap(),
                    |k| k.public_key(),
                    |k, c| k.sign(c).unwrap(),
                    |p, t| {
                        p.verify_token::<Custom>(t, Some(jwt_simple_options()))
                            .is_ok()
                    },
                ),
            )
        } else {
            (
                jsonwebtoken::Algorithm::PS256,
                &sig::RSA_PSS_SHA256,
                &sig::RSA_PSS_2048_8192_SHA256,
                jwt_simple_pair(
                    jwt_simple::prelude::PS256KeyPair::from_der(pair.pkcs8_der()).unwrap(),
                    |k| k.public_key(),
                    |k, c| k.sign(c).unwrap(),
                    |p, t| {
                        p.verify_token::<Custom>(t, Some(jwt_simple_options()))
                            .is_ok()
                    },
                ),
            )
        };
    let pk = public_key(&pair, verification);
    asymmetric(
        groups,
        alg,
        jwt_alg,
        Box::new(move |m| {
            let mut out = vec![0; rsa.public_modulus_len()];
            rsa.sign(padding, &SystemRandom::new(), m, &mut out)
                .unwrap();
            out
        }),
        Box::new(move |m, s| pk.verify_sig(m, s).is_ok()),
        &pair,
        js,
    );
}

fn es256(groups: &mut Vec<Group>) {
    let pair = KeyPair::generate(Algorithm::Es256, 0, None).unwrap();
    let ec = sig::EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_FIXED_SIGNING, pair.pkcs8_der())
        .unwrap();
    let pk = public_key(&pair, &sig::ECDSA_P256_SHA256_FIXED);
    let js = jwt_simple_pair(
        jwt_simple::prelude::ES256KeyPair::from_der(pair.pkcs8_der()).unwrap(),
        |k| k.public_key(),
        |k, c| k.sign(c).unwrap(),
        |p, t| {
            p.verify_token::<Custom>(t, Some(jwt_simple_options()))
                .is_ok()
        },
    );
    asymmetric(
        groups,
        Algorithm::Es256,
        jsonwebtoken::Algorithm::ES256,
        Box::new(move |m| ec.sign(&SystemRandom::new(), m).unwrap().as_ref().to_vec()),
        Box::new(move |m, s| pk.verify_sig(m, s).is_ok()),
        &pair,
        js,
    );
}

fn eddsa(groups: &mut Vec<Group>) {
    let pair = KeyPair::generate(Algorithm::EdDsa, 0, None).unwrap();
    let ed = sig::Ed25519KeyPair::from_pkcs8(pair.pkcs8_der()).unwrap();
    let pk = sig::ParsedPublicKey::new(&sig::ED25519, ed.public_key().as_ref()).unwrap();
    let js = jwt_simple_pair(
        jwt_simple::prelude::Ed25519KeyPair::from_der(pair.pkcs8_der()).unwrap(),
        |k| k.public_key(),
        |k, c| k.sign(c).unwrap(),
        |p, t| {
            p.verify_token::<Custom>(t, Some(jwt_simple_options()))
                .is_ok()
        },
    );
    asymmetric(
        groups,
        Algorithm::EdDsa,
        jsonwebtoken::Algorithm::EdDSA,
        Box::new(move |m| ed.sign(m).as_ref().to_vec()),
        Box::new(move |m, s| pk.verify_sig(m, s).is_ok()),
        &pair,
        js,
    );
}

/// Every group, in report order: HS256, RS256, PS256, ES256, EdDSA; sign then verify.
pub fn groups() -> Vec<Group> {
    let mut groups = Vec::new();
    hs256(&mut groups);
    rsa(&mut groups, Algorithm::Rs256);
    rsa(&mut groups, Algorithm::Ps256);
    es256(&mut groups);
    eddsa(&mut groups);
    groups
}
