//! JSON Web Keys (RFC 7517/7518) and their RFC 7638 thumbprints.

use std::fmt;

use aws_lc_rs::digest;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::alg::Algorithm;
use crate::encoding::BASE64URL;
use base64::Engine as _;

/// A JSON Web Key as it is written to and read from JSON.
///
/// Members are serialised in a fixed, readable order. The private members
/// (`d`, `p`, `q`, `dp`, `dq`, `qi`, `k`) are zeroized on drop and never shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Key type: `oct`, `RSA`, `EC` or `OKP`.
    pub kty: String,
    /// Intended use; jwtkeep writes `sig`.
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub use_: Option<String>,
    /// Permitted operations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_ops: Option<Vec<String>>,
    /// The algorithm this key is bound to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
    /// Key id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    /// Curve (`EC`, `OKP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub crv: Option<String>,
    /// Public x coordinate (`EC`) or public key (`OKP`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub x: Option<String>,
    /// Public y coordinate (`EC`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub y: Option<String>,
    /// RSA modulus.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub n: Option<String>,
    /// RSA public exponent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub e: Option<String>,
    /// Private scalar (`EC`), private key (`OKP`) or private exponent (`RSA`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub d: Option<PrivateValue>,
    /// RSA first prime factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<PrivateValue>,
    /// RSA second prime factor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<PrivateValue>,
    /// RSA first factor CRT exponent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dp: Option<PrivateValue>,
    /// RSA second factor CRT exponent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dq: Option<PrivateValue>,
    /// RSA first CRT coefficient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub qi: Option<PrivateValue>,
    /// Symmetric key value (`oct`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub k: Option<PrivateValue>,
}

impl fmt::Debug for Jwk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jwk")
            .field("kty", &self.kty)
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .field("crv", &self.crv)
            .field("private", &self.is_private())
            .finish_non_exhaustive()
    }
}

/// The value of a private JWK member: zeroized on drop, never shown by `Debug`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PrivateValue(Zeroizing<String>);

impl PrivateValue {
    /// Wraps a base64url value.
    pub fn new(value: String) -> PrivateValue {
        PrivateValue(Zeroizing::new(value))
    }

    /// The base64url text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PrivateValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PrivateValue(redacted)")
    }
}

impl Serialize for PrivateValue {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for PrivateValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(PrivateValue::new)
    }
}

/// A JWK Set (RFC 7517 §5).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The keys, newest first when jwtkeep writes the set.
    pub keys: Vec<Jwk>,
}

/// Why a JWK is not usable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JwkError {
    /// A member the key type requires is absent.
    #[error("JWK of type {kty} lacks the required member \"{member}\"")]
    MissingMember {
        /// The key type.
        kty: String,
        /// The missing member.
        member: &'static str,
    },
    /// The `kty` is not one of `oct`, `RSA`, `EC`, `OKP`.
    #[error("unsupported JWK key type; expected oct, RSA, EC or OKP")]
    UnsupportedKeyType,
}

impl JwkError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            JwkError::MissingMember { .. } => "jwk_missing_member",
            JwkError::UnsupportedKeyType => "jwk_unsupported_kty",
        }
    }
}

impl Jwk {
    /// An `oct` JWK for an HMAC secret: `k`, `alg`, `use: sig`, and the
    /// RFC 7638 thumbprint as `kid` unless one is given.
    pub fn symmetric(secret: &[u8], alg: Algorithm, kid: Option<String>) -> Jwk {
        let mut jwk = Jwk {
            kty: "oct".to_owned(),
            use_: Some("sig".to_owned()),
            alg: Some(alg.name().to_owned()),
            k: Some(PrivateValue::new(BASE64URL.encode(secret))),
            ..Jwk::default()
        };
        jwk.kid = Some(match kid {
            Some(kid) => kid,
            // An oct key always has `k`, so the thumbprint cannot fail.
            None => jwk.thumbprint().unwrap_or_default(),
        });
        jwk
    }

    /// Whether any private member is present.
    pub fn is_private(&self) -> bool {
        self.d.is_some() || self.k.is_some() || self.p.is_some()
    }

    /// The same key without its private members.
    pub fn to_public(&self) -> Jwk {
        Jwk {
            kty: self.kty.clone(),
            use_: self.use_.clone(),
            key_ops: self.key_ops.clone(),
            alg: self.alg.clone(),
            kid: self.kid.clone(),
            crv: self.crv.clone(),
            x: self.x.clone(),
            y: self.y.clone(),
            n: self.n.clone(),
            e: self.e.clone(),
            ..Jwk::default()
        }
    }

    /// The RFC 7638 thumbprint: SHA-256 over the required members in
    /// lexicographic order, without whitespace, as base64url.
    pub fn thumbprint(&self) -> Result<String, JwkError> {
        let canonical = self.thumbprint_input()?;
        let hash = digest::digest(&digest::SHA256, canonical.as_bytes());
        Ok(BASE64URL.encode(hash.as_ref()))
    }

    /// The exact JSON text RFC 7638 hashes.
    pub fn thumbprint_input(&self) -> Result<Zeroizing<String>, JwkError> {
        let k = self.k.as_ref().map(PrivateValue::expose);
        let members: &[(&'static str, Option<&str>)] = match self.kty.as_str() {
            "oct" => &[("k", k)],
            "RSA" => &[("e", self.e.as_deref()), ("n", self.n.as_deref())],
            "EC" => &[
                ("crv", self.crv.as_deref()),
                ("x", self.x.as_deref()),
                ("y", self.y.as_deref()),
            ],
            "OKP" => &[("crv", self.crv.as_deref()), ("x", self.x.as_deref())],
            _ => return Err(JwkError::UnsupportedKeyType),
        };
        // Members in lexicographic order, with `kty` in its place.
        let mut fields: Vec<(&str, &str)> = vec![("kty", self.kty.as_str())];
        for (name, value) in members {
            let value = value.ok_or_else(|| JwkError::MissingMember {
                kty: self.kty.clone(),
                member: name,
            })?;
            fields.push((name, value));
        }
        fields.sort_by(|a, b| a.0.cmp(b.0));
        let mut out = Zeroizing::new(String::from("{"));
        for (i, (name, value)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push('"');
            out.push_str(name);
            out.push_str("\":");
            // Escapes exactly as JSON requires; values here are base64url or curve names.
            out.push_str(&serde_json::Value::from(*value).to_string());
        }
        out.push('}');
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 7638 §3.1: the example RSA key and its published thumbprint.
    #[test]
    fn rfc7638_example_thumbprint_byte_for_byte() {
        let jwk: Jwk = serde_json::from_str(
            r#"{
              "kty": "RSA",
              "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
              "e": "AQAB",
              "alg": "RS256",
              "kid": "2011-04-29"
            }"#,
        )
        .unwrap();
        let input = jwk.thumbprint_input().unwrap();
        assert!(input.starts_with(r#"{"e":"AQAB","kty":"RSA","n":"0vx7agoebGcQSuuPiLJX"#));
        assert!(input.ends_with(r#"JzKnqDKgw"}"#));
        assert_eq!(
            jwk.thumbprint().unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn symmetric_jwk_uses_thumbprint_kid_and_hides_secret_in_debug() {
        let jwk = Jwk::symmetric(&[7u8; 32], Algorithm::Hs256, None);
        assert_eq!(jwk.kty, "oct");
        assert_eq!(jwk.alg.as_deref(), Some("HS256"));
        assert_eq!(jwk.use_.as_deref(), Some("sig"));
        assert_eq!(jwk.kid, Some(jwk.thumbprint().unwrap()));
        let debug = format!("{jwk:?}");
        assert!(!debug.contains(jwk.k.as_ref().unwrap().expose()));
        assert!(jwk.to_public().k.is_none());
    }

    #[test]
    fn missing_required_member_is_named() {
        let jwk = Jwk {
            kty: "EC".into(),
            crv: Some("P-256".into()),
            x: Some("AA".into()),
            ..Jwk::default()
        };
        assert_eq!(
            jwk.thumbprint().unwrap_err(),
            JwkError::MissingMember {
                kty: "EC".into(),
                member: "y"
            }
        );
    }
}
