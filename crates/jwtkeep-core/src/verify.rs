//! Verification, in exactly this order (ARCHITECTURE.md, "Flow of a verification"):
//! size and strict parse → key by `kid` → header `alg` equals the key's →
//! signature → only then the payload → claims policy. Each step has its own
//! error; any doubt is a rejection.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::claims::{Claims, ClaimsError, MAX_PAYLOAD_DEPTH};
use crate::jws::{self, KnownHeaders, UnverifiedHeader, MAX_TOKEN_BYTES};
use crate::ring::KeyRing;
use crate::verify_error::VerifyError;

/// The default clock-skew allowance, in seconds.
pub const DEFAULT_LEEWAY_SECS: u64 = 30;
/// The largest leeway a policy may allow, in seconds.
pub const MAX_LEEWAY_SECS: u64 = 300;

/// What a token must satisfy besides its signature. `exp` is always required.
#[derive(Clone, Debug)]
pub struct Policy {
    leeway_secs: u64,
    max_lifetime_secs: Option<u64>,
    issuer: Option<String>,
    audiences: Vec<String>,
    typ: Option<String>,
    required_claims: Vec<String>,
    max_token_bytes: usize,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            leeway_secs: DEFAULT_LEEWAY_SECS,
            max_lifetime_secs: None,
            issuer: None,
            audiences: Vec::new(),
            typ: None,
            required_claims: Vec::new(),
            max_token_bytes: MAX_TOKEN_BYTES,
        }
    }
}

/// `typ` values compare case-insensitively, with `application/` optional
/// (RFC 7515 §4.1.9). Compared in place: this runs on every verification.
fn typ_matches(actual: &str, expected: &str) -> bool {
    fn bare(typ: &str) -> &str {
        const PREFIX: &str = "application/";
        match typ.get(..PREFIX.len()) {
            Some(head) if head.eq_ignore_ascii_case(PREFIX) => {
                typ.get(PREFIX.len()..).unwrap_or(typ)
            }
            _ => typ,
        }
    }
    bare(actual).eq_ignore_ascii_case(bare(expected))
}

impl Policy {
    /// The default policy: `exp` required, 30 s leeway, 8 KiB tokens.
    pub fn new() -> Policy {
        Policy::default()
    }

    /// Clock-skew allowance, capped at [`MAX_LEEWAY_SECS`].
    pub fn leeway_secs(mut self, secs: u64) -> Policy {
        self.leeway_secs = secs.min(MAX_LEEWAY_SECS);
        self
    }

    /// The longest lifetime accepted (`exp` − `iat`, or `exp` − now without `iat`).
    pub fn max_lifetime_secs(mut self, secs: u64) -> Policy {
        self.max_lifetime_secs = Some(secs);
        self
    }

    /// The issuer `iss` must equal.
    pub fn issuer(mut self, iss: impl Into<String>) -> Policy {
        self.issuer = Some(iss.into());
        self
    }

    /// An audience `aud` must contain (any one of those given).
    pub fn audience(mut self, aud: impl Into<String>) -> Policy {
        self.audiences.push(aud.into());
        self
    }

    /// The `typ` the header must declare (explicit typing, RFC 8725 §3.11).
    pub fn typ(mut self, typ: impl Into<String>) -> Policy {
        self.typ = Some(typ.into());
        self
    }

    /// A claim that must be present.
    pub fn require_claim(mut self, claim: impl Into<String>) -> Policy {
        self.required_claims.push(claim.into());
        self
    }

    /// The largest token accepted, in bytes.
    pub fn max_token_bytes(mut self, bytes: usize) -> Policy {
        self.max_token_bytes = bytes;
        self
    }

    pub(crate) fn check_typ(&self, header: &UnverifiedHeader) -> Result<(), VerifyError> {
        if let Some(expected) = &self.typ {
            let matches = header
                .typ
                .as_deref()
                .is_some_and(|t| typ_matches(t, expected));
            if !matches {
                return Err(VerifyError::TypeMismatch);
            }
        }
        Ok(())
    }

    pub(crate) fn check_claims(&self, claims: &Claims, now: i64) -> Result<(), VerifyError> {
        let leeway = i64::try_from(self.leeway_secs).unwrap_or(0);
        let exp = claims.exp().ok_or_else(|| VerifyError::MissingClaim {
            claim: "exp".to_owned(),
        })?;
        if now >= exp.saturating_add(leeway) {
            return Err(VerifyError::Expired);
        }
        if claims
            .nbf()
            .is_some_and(|nbf| nbf > now.saturating_add(leeway))
        {
            return Err(VerifyError::NotYetValid);
        }
        if claims
            .iat()
            .is_some_and(|iat| iat > now.saturating_add(leeway))
        {
            return Err(VerifyError::IssuedInFuture);
        }
        if let Some(max) = self.max_lifetime_secs {
            let start = claims.iat().or(claims.nbf()).unwrap_or(now);
            let lifetime = u64::try_from(exp.saturating_sub(start)).unwrap_or(0);
            if lifetime > max {
                return Err(VerifyError::LifetimeTooLong { max_secs: max });
            }
        }
        if let Some(iss) = &self.issuer {
            match claims.iss() {
                Some(actual) if actual == iss => {}
                Some(_) => return Err(VerifyError::IssuerMismatch),
                None => {
                    return Err(VerifyError::MissingClaim {
                        claim: "iss".to_owned(),
                    })
                }
            }
        }
        if !self.audiences.is_empty() {
            if claims.aud().next().is_none() {
                return Err(VerifyError::MissingClaim {
                    claim: "aud".to_owned(),
                });
            }
            if !claims
                .aud()
                .any(|a| self.audiences.iter().any(|want| want == a))
            {
                return Err(VerifyError::AudienceMismatch);
            }
        }
        for claim in &self.required_claims {
            if !claims.contains(claim) {
                return Err(VerifyError::MissingClaim {
                    claim: claim.clone(),
                });
            }
        }
        Ok(())
    }
}

/// A token whose signature and claims have been checked. Only the verifier
/// makes these.
#[derive(Clone, Debug)]
pub struct Verified<C> {
    header: Arc<UnverifiedHeader>,
    kid: Arc<str>,
    payload: C,
}

impl<C> Verified<C> {
    /// The protected header (verified: it was covered by the signature).
    pub fn header(&self) -> Map<String, Value> {
        self.header.members()
    }

    /// The algorithm that verified.
    pub fn algorithm(&self) -> crate::alg::Algorithm {
        self.header.alg
    }

    /// The `kid` of the key that verified.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The verified payload.
    pub fn payload(&self) -> &C {
        &self.payload
    }

    /// The verified payload, by value.
    pub fn into_payload(self) -> C {
        self.payload
    }

    /// The key's id as the ring holds it: the same allocation for every
    /// token that key verified, so that a cache can tell a key from another
    /// that took its `kid`.
    pub(crate) fn kid_arc(&self) -> &Arc<str> {
        &self.kid
    }

    /// The protected header, as read.
    pub(crate) fn header_ref(&self) -> &UnverifiedHeader {
        &self.header
    }
}

/// Verifies tokens against a key ring and a policy.
#[derive(Debug)]
pub struct Verifier {
    ring: KeyRing,
    policy: Policy,
    known: KnownHeaders,
}

impl Verifier {
    /// A verifier for `ring` under `policy`.
    pub fn new(ring: KeyRing, policy: Policy) -> Verifier {
        // The headers this ring's keys write, with or without `kid` (a lone
        // key), untyped, typed `JWT` or typed as the policy demands.
        let lone = ring.keys().len() == 1;
        let keys = ring.keys().iter().flat_map(|k| {
            let alg = k.key().algorithm();
            let named = Some(k.kid()).filter(|kid| !kid.is_empty());
            [
                named.map(|kid| (alg, Some(kid))),
                lone.then_some((alg, None)),
            ]
            .into_iter()
            .flatten()
        });
        let known = KnownHeaders::new(keys, &[None, Some("JWT"), policy.typ.as_deref()]);
        Verifier {
            ring,
            policy,
            known,
        }
    }

    /// The policy tokens are held to.
    pub(crate) fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The key ring.
    pub fn ring(&self) -> &KeyRing {
        &self.ring
    }

    /// Steps 1–4: parse, choose the key, match the algorithm, check the signature.
    fn signature_at<'t>(
        &self,
        token: &'t str,
        now: i64,
    ) -> Result<(jws::Parts<'t>, Arc<str>), VerifyError> {
        let parts = jws::split(token, self.policy.max_token_bytes, &self.known)?;
        // Decoded here, before the key is chosen, into a buffer that stays put.
        let mut inline = [0u8; jws::INLINE_SIGNATURE];
        let decoded = jws::decode_signature(parts.signature_b64, &mut inline)?;
        let signature = decoded.bytes(&inline).ok_or(VerifyError::Malformed)?;
        let key = self
            .ring
            .verification_key_at(parts.header.kid.as_deref(), now)?;
        if parts.header.alg != key.key().algorithm() {
            return Err(VerifyError::AlgMismatch);
        }
        key.key()
            .verifying_key()
            .verify(parts.signing_input.as_bytes(), signature)
            .map_err(|_| VerifyError::BadSignature)?;
        Ok((parts, key.shared_kid()))
    }

    /// Verifies a JWT as of `now` (seconds since the epoch).
    pub fn verify_at(&self, token: &str, now: i64) -> Result<Verified<Claims>, VerifyError> {
        let (parts, kid) = self.signature_at(token, now)?;
        self.policy.check_typ(&parts.header)?;
        let payload = jws::decode_payload(parts.payload_b64)?;
        let claims = Claims::parse_owned(payload, MAX_PAYLOAD_DEPTH).map_err(|e| match e {
            ClaimsError::Type(e) => VerifyError::InvalidClaim(e),
            ClaimsError::Json(e) => VerifyError::InvalidPayload {
                reason: e.to_string(),
            },
        })?;
        self.policy.check_claims(&claims, now)?;
        Ok(Verified {
            header: parts.header,
            kid,
            payload: claims,
        })
    }

    /// Verifies the signature of a JWS whose payload is not a JWT (no claims
    /// policy), returning the payload bytes. Key and algorithm rules still apply.
    pub fn verify_signature_only_at(
        &self,
        token: &str,
        now: i64,
    ) -> Result<Verified<Vec<u8>>, VerifyError> {
        let (parts, kid) = self.signature_at(token, now)?;
        self.policy.check_typ(&parts.header)?;
        let payload = jws::decode_payload(parts.payload_b64)?;
        Ok(Verified {
            header: parts.header,
            kid,
            payload,
        })
    }
}
