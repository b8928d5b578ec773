//! JWS compact serialization: strict parsing of the three segments and the
//! protected header, and signing. Nothing here decides whether a token is
//! trusted; that is the verifier's job, in its fixed order.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::alg::Algorithm;
use crate::base64url;
use crate::json::reader::{JsonStr, Known, Reader, Registered};
use crate::json::{self, JsonError};
use crate::key::{EncodedHeader, Key};
use crate::primitive::KeyError;
use crate::untrusted::Untrusted;
use crate::verify_error::VerifyError;

/// The default largest token accepted, in bytes.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;
/// Nesting allowed in a protected header.
pub const MAX_HEADER_DEPTH: usize = 4;

/// A protected header as it arrived, before the signature is checked.
/// Nothing in it is trusted: it only says which key the token claims.
#[derive(Clone, Debug, PartialEq)]
pub struct UnverifiedHeader {
    /// The algorithm named (always a supported one: `none` and unknown names are refused).
    pub alg: Algorithm,
    /// The key id named.
    pub kid: Option<String>,
    /// The declared type.
    pub typ: Option<String>,
    /// The header's JSON, as decoded.
    raw: Vec<u8>,
}

impl UnverifiedHeader {
    /// Every member as it arrived (parsed on request: verification does not need it).
    pub fn members(&self) -> Map<String, Value> {
        json::parse_object(&self.raw, MAX_HEADER_DEPTH).unwrap_or_default()
    }
}

/// A token split into its parts, header parsed. The signature is decoded by
/// the caller with [`decode_signature`], into a buffer that does not move.
#[derive(Debug)]
pub(crate) struct Parts<'t> {
    pub(crate) header: Arc<UnverifiedHeader>,
    pub(crate) signing_input: &'t str,
    pub(crate) payload_b64: &'t str,
    pub(crate) signature_b64: &'t str,
}

/// Signatures up to 512 bytes (RSA-4096 and every smaller algorithm) are
/// decoded into a caller's stack buffer instead of a new allocation; the
/// decoder asks for room for whole 3-byte groups, 171 of them for RSA-4096.
pub(crate) const INLINE_SIGNATURE: usize = 513;

/// Where a decoded signature went.
pub(crate) enum SignatureBytes {
    /// Into the caller's buffer: its first `len` bytes.
    Inline(usize),
    /// Too large for the buffer: a vector of its own.
    Heap(Vec<u8>),
}

impl SignatureBytes {
    /// The signature, from the caller's `inline` buffer or its own vector.
    pub(crate) fn bytes<'a>(&'a self, inline: &'a [u8; INLINE_SIGNATURE]) -> Option<&'a [u8]> {
        match self {
            SignatureBytes::Inline(len) => inline.get(..*len),
            SignatureBytes::Heap(bytes) => Some(bytes),
        }
    }
}

/// Decodes the signature segment strictly, into `inline` when it fits there,
/// otherwise into a new vector.
pub(crate) fn decode_signature(
    segment: &str,
    inline: &mut [u8; INLINE_SIGNATURE],
) -> Result<SignatureBytes, VerifyError> {
    let invalid = VerifyError::InvalidEncoding { part: "signature" };
    match base64url::decoded_len(segment.len()) {
        Some(len) if len <= inline.len() => base64url::decode_into(segment.as_bytes(), inline)
            .map(SignatureBytes::Inline)
            .ok_or(invalid),
        _ => decode_segment(segment, "signature").map(SignatureBytes::Heap),
    }
}

fn decode_segment(segment: &str, part: &'static str) -> Result<Vec<u8>, VerifyError> {
    base64url::decode(segment.as_bytes()).ok_or(VerifyError::InvalidEncoding { part })
}

/// The protected-header members jwtkeep reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum HeaderMember {
    Alg,
    Kid,
    Typ,
    Crit,
    B64,
}

impl Known for HeaderMember {
    fn of(name: &str) -> Option<HeaderMember> {
        match name {
            "alg" => Some(HeaderMember::Alg),
            "kid" => Some(HeaderMember::Kid),
            "typ" => Some(HeaderMember::Typ),
            "crit" => Some(HeaderMember::Crit),
            "b64" => Some(HeaderMember::B64),
            _ => None,
        }
    }

    fn bit(self) -> u32 {
        self as u32
    }
}

/// Why reading a header stopped: its JSON, or a member jwtkeep refuses.
enum HeaderStop {
    Json(JsonError),
    Refused(VerifyError),
}

impl From<JsonError> for HeaderStop {
    fn from(e: JsonError) -> HeaderStop {
        HeaderStop::Json(e)
    }
}

impl From<VerifyError> for HeaderStop {
    fn from(e: VerifyError) -> HeaderStop {
        HeaderStop::Refused(e)
    }
}

/// Reads and checks a protected header: `alg` a supported algorithm (never
/// `none`), no `crit` extension (none is understood), no `b64: false`.
pub fn parse_header(bytes: &[u8]) -> Result<UnverifiedHeader, VerifyError> {
    parse_header_owned(bytes.to_vec())
}

fn parse_header_owned(bytes: Vec<u8>) -> Result<UnverifiedHeader, VerifyError> {
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| VerifyError::from_header_json(JsonError::NotObject))?;
    let (mut alg, mut kid, mut typ) = (None, None, None);
    let not_string = |reason| HeaderStop::Refused(VerifyError::InvalidHeader { reason });
    let read = Reader::new(text, MAX_HEADER_DEPTH).object(|reader, _, member| {
        match member {
            Some(HeaderMember::Alg) => match reader.registered()? {
                Registered::Str(name) if name.value.trim().eq_ignore_ascii_case("none") => {
                    return Err(VerifyError::AlgNone.into())
                }
                Registered::Str(JsonStr { value: name, .. }) => {
                    alg = Some(Algorithm::from_jose_name(&name).ok_or_else(|| {
                        VerifyError::UnsupportedAlg {
                            alg: Untrusted::new(&name),
                        }
                    })?);
                }
                _ => return Err(not_string("\"alg\" must be a string")),
            },
            Some(HeaderMember::Kid) => match reader.registered()? {
                Registered::Str(text) => kid = Some(text.value.into_owned()),
                _ => return Err(not_string("\"kid\" must be a string")),
            },
            Some(HeaderMember::Typ) => match reader.registered()? {
                Registered::Str(text) => typ = Some(text.value.into_owned()),
                _ => return Err(not_string("\"typ\" must be a string")),
            },
            // jwtkeep understands no extension, so any `crit` is refused.
            Some(HeaderMember::Crit) => return Err(VerifyError::CritUnsupported.into()),
            Some(HeaderMember::B64) => match reader.registered()? {
                Registered::Bool(true) => {}
                _ => return Err(VerifyError::B64Unsupported.into()),
            },
            // Other members (including jwk, jku, x5u, x5c) are never used,
            // but are still held to the strict rules.
            None => reader.skip(1)?,
        }
        Ok(())
    });
    match read {
        Ok(()) => {}
        Err(HeaderStop::Json(e)) => return Err(VerifyError::from_header_json(e)),
        Err(HeaderStop::Refused(e)) => return Err(e),
    }
    let alg = alg.ok_or(VerifyError::InvalidHeader {
        reason: "\"alg\" is missing",
    })?;
    Ok(UnverifiedHeader {
        alg,
        kid,
        typ,
        raw: bytes,
    })
}

/// Splits a compact JWS strictly: at most `max_bytes`, exactly three
/// segments, canonical unpadded base64url, a valid protected header.
pub(crate) fn split<'t>(
    token: &'t str,
    max_bytes: usize,
    known: &KnownHeaders,
) -> Result<Parts<'t>, VerifyError> {
    if token.len() > max_bytes {
        return Err(VerifyError::TooLarge { max: max_bytes });
    }
    let (header_b64, payload_b64, signature_b64) =
        three_segments(token).ok_or(VerifyError::Malformed)?;
    if header_b64.is_empty() {
        return Err(VerifyError::Malformed);
    }
    // The header first, so that an unsigned `alg: none` token is named as such.
    let header = match known.get(header_b64) {
        Some(header) => header,
        None => Arc::new(parse_header_owned(decode_segment(header_b64, "header")?)?),
    };
    if signature_b64.is_empty() {
        return Err(VerifyError::Malformed);
    }
    // The payload is decoded only after the signature has been checked, by the
    // same strict decoder; the signature covers its exact bytes meanwhile.
    let signing_input = token
        .get(..header_b64.len() + 1 + payload_b64.len())
        .ok_or(VerifyError::Malformed)?;
    Ok(Parts {
        header,
        signing_input,
        payload_b64,
        signature_b64,
    })
}

/// The three dot-separated segments of `token`, or `None` for any other
/// count. The dots are found with `memchr`'s vectorised search: one pass over
/// the token, which a signature makes up to several hundred bytes long.
fn three_segments(token: &str) -> Option<(&str, &str, &str)> {
    let mut dots = memchr::memchr_iter(b'.', token.as_bytes());
    let (first, second, None) = (dots.next()?, dots.next()?, dots.next()) else {
        return None;
    };
    // Both are ASCII dots, so every slice below lies on character boundaries.
    Some((
        token.get(..first)?,
        token.get(first + 1..second)?,
        token.get(second + 1..)?,
    ))
}

/// Decodes the payload segment (only after the signature has verified).
pub(crate) fn decode_payload(payload_b64: &str) -> Result<Vec<u8>, VerifyError> {
    decode_segment(payload_b64, "payload")
}

/// What goes into the protected header besides `alg`.
#[derive(Clone, Debug, Default)]
pub struct HeaderFields {
    /// `typ`, for explicit typing (RFC 8725 §3.11): `at+jwt`, `refresh+jwt`, ...
    pub typ: Option<String>,
    /// `kid`; by default the key's own id.
    pub kid: Option<String>,
}

/// Why a token could not be signed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The key can verify but not sign (a public key).
    #[error("the key is public: signing needs the private key or secret")]
    NotPrivate,
    /// Signing failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// The claims could not be serialised as a JSON object.
    #[error("the claims could not be serialised as a JSON object")]
    Serialize,
}

impl SignError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            SignError::NotPrivate => "key_not_private",
            SignError::Key(e) => e.code(),
            SignError::Serialize => "serialize_failed",
        }
    }
}

/// Signs `payload` bytes with `key` as a compact JWS. The header's `alg` is
/// always the key's own; its `kid` is the one asked for, else the key's id,
/// else the key's RFC 7638 thumbprint.
pub(crate) fn sign_bytes(
    key: &Key,
    fields: &HeaderFields,
    payload: &[u8],
) -> Result<String, SignError> {
    let signer = key.signing_key().ok_or(SignError::NotPrivate)?;
    // The key's id, else its thumbprint (never for HMAC secrets, which have none).
    let thumbprint = Some(key.thumbprint()).filter(|t| !t.is_empty());
    let kid = fields.kid.as_deref().or(key.kid()).or(thumbprint);
    let typ = fields.typ.as_deref();
    let cache = key.signed_header();
    let fresh;
    let header_b64 = match cache.get().filter(|h| h.is_for(key.algorithm(), kid, typ)) {
        Some(cached) => cached.b64.as_str(),
        None => {
            let encoded = base64url::encode(header_json(key.algorithm(), kid, typ).as_bytes());
            // The first signature's members are kept; others are encoded each time.
            let _ = cache.set(EncodedHeader {
                alg: key.algorithm(),
                kid: kid.map(str::to_owned),
                typ: typ.map(str::to_owned),
                b64: encoded.clone(),
            });
            fresh = encoded;
            fresh.as_str()
        }
    };
    // Sized exactly, signature included: no regrowth, and no request large
    // enough to send the allocator down its slow path.
    let signature_b64_len = base64url::encoded_len(signer.signature_len());
    let mut token = Vec::with_capacity(
        header_b64.len() + base64url::encoded_len(payload.len()) + signature_b64_len + 2,
    );
    token.extend_from_slice(header_b64.as_bytes());
    token.push(b'.');
    base64url::encode_into(payload, &mut token);
    // The signature is encoded where the signer leaves it, into a buffer on
    // the stack (up to ES512's 176 characters) or, for RSA, on the heap.
    let mut short = [0u8; 176];
    let mut long = Vec::new();
    let encoded = signer.sign_with(&token, |signature| {
        let len = base64url::encoded_len(signature.len());
        match short.get_mut(..len) {
            Some(room) => base64url::encode_to(signature, room),
            None => base64url::encode_into(signature, &mut long),
        }
        len
    })?;
    let signature = match short.get(..encoded) {
        Some(short) if long.is_empty() => short,
        _ => &long,
    };
    token.push(b'.');
    token.extend_from_slice(signature);
    String::from_utf8(token).map_err(|_| SignError::Serialize)
}

/// The protected header jwtkeep writes, members in sorted order: alg, kid, typ.
fn header_json(alg: Algorithm, kid: Option<&str>, typ: Option<&str>) -> String {
    let mut header = String::with_capacity(128);
    header.push_str("{\"alg\":\"");
    header.push_str(alg.name());
    header.push('"');
    if let Some(kid) = kid {
        header.push_str(",\"kid\":");
        push_json_string(&mut header, kid);
    }
    if let Some(typ) = typ {
        header.push_str(",\"typ\":");
        push_json_string(&mut header, typ);
    }
    header.push('}');
    header
}

/// Protected headers already parsed, keyed by their exact base64url text:
/// the ones this verifier's own keys write. A token whose header segment is
/// byte for byte one of them has the same parse result, so it is not decoded
/// and parsed again. Any other header takes the full strict path.
#[derive(Clone, Debug, Default)]
pub(crate) struct KnownHeaders(Vec<(Box<str>, Arc<UnverifiedHeader>)>);

impl KnownHeaders {
    /// Keys beyond this many are not remembered (the lookup is a linear scan).
    const MAX_KEYS: usize = 8;

    /// The headers `sign_bytes` writes for each `(alg, kid)` with each of
    /// `typs`, parsed by the same strict parser as any other header.
    pub(crate) fn new<'k>(
        keys: impl Iterator<Item = (Algorithm, Option<&'k str>)>,
        typs: &[Option<&str>],
    ) -> KnownHeaders {
        let mut known = Vec::new();
        for (alg, kid) in keys.take(Self::MAX_KEYS) {
            for typ in typs {
                let json = header_json(alg, kid, *typ);
                let encoded = base64url::encode(json.as_bytes());
                if let Ok(header) = parse_header_owned(json.into_bytes()) {
                    if !known.iter().any(|(k, _): &(Box<str>, _)| **k == *encoded) {
                        known.push((encoded.into_boxed_str(), Arc::new(header)));
                    }
                }
            }
        }
        KnownHeaders(known)
    }

    fn get(&self, segment: &str) -> Option<Arc<UnverifiedHeader>> {
        self.0
            .iter()
            .find(|(encoded, _)| **encoded == *segment)
            .map(|(_, header)| Arc::clone(header))
    }
}

/// Appends `text` as a JSON string (RFC 8259 §7), copying runs that need no
/// escaping in one piece.
fn push_json_string(out: &mut String, text: &str) {
    out.push('"');
    let mut rest = text;
    while let Some(at) = rest.find(|c: char| c == '"' || c == '\\' || u32::from(c) < 0x20) {
        let (clean, tail) = rest.split_at(at);
        out.push_str(clean);
        let mut chars = tail.chars();
        match chars.next() {
            Some('"') => out.push_str("\\\""),
            Some('\\') => out.push_str("\\\\"),
            Some(c) => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            None => {}
        }
        rest = chars.as_str();
    }
    out.push_str(rest);
    out.push('"');
}

/// Signs JWT claims with `key` as a compact JWS. `claims` is anything that
/// serialises to a JSON object: a `serde_json::Map`, or the caller's own
/// struct (no map built in between). Anything else is refused.
pub fn sign_claims<C: serde::Serialize + ?Sized>(
    key: &Key,
    fields: &HeaderFields,
    claims: &C,
) -> Result<String, SignError> {
    // Sized for typical claims so that serialising does not regrow the buffer.
    let mut payload = Vec::with_capacity(512);
    serde_json::to_writer(&mut payload, claims).map_err(|_| SignError::Serialize)?;
    if payload.first() != Some(&b'{') {
        return Err(SignError::Serialize);
    }
    sign_bytes(key, fields, &payload)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::encoding::BASE64URL;
    use crate::secret::Secret;
    use base64::Engine as _;

    #[test]
    fn a_cached_header_is_used_only_for_the_members_it_was_made_from() {
        let secret = Secret::generate(Algorithm::Hs256, None).unwrap();
        let key = Key::from_secret(&secret, Algorithm::Hs256, Some("k1".into())).unwrap();
        let header_of = |fields: &HeaderFields| {
            let token = sign_bytes(&key, fields, b"{}").unwrap();
            let h = token.split('.').next().unwrap().to_owned();
            String::from_utf8(BASE64URL.decode(h).unwrap()).unwrap()
        };
        let at = HeaderFields {
            typ: Some("at+jwt".into()),
            kid: None,
        };
        let refresh = HeaderFields {
            typ: Some("refresh+jwt".into()),
            kid: None,
        };
        let other_kid = HeaderFields {
            typ: Some("at+jwt".into()),
            kid: Some("k2".into()),
        };
        for _ in 0..2 {
            assert_eq!(
                header_of(&at),
                r#"{"alg":"HS256","kid":"k1","typ":"at+jwt"}"#
            );
            assert_eq!(
                header_of(&refresh),
                r#"{"alg":"HS256","kid":"k1","typ":"refresh+jwt"}"#
            );
            assert_eq!(
                header_of(&other_kid),
                r#"{"alg":"HS256","kid":"k2","typ":"at+jwt"}"#
            );
            assert_eq!(
                header_of(&HeaderFields::default()),
                r#"{"alg":"HS256","kid":"k1"}"#
            );
        }
        // A key given another kid does not keep the old one's header.
        let renamed = key.with_kid(Some("k9".into()));
        let token = sign_bytes(&renamed, &at, b"{}").unwrap();
        let h = BASE64URL.decode(token.split('.').next().unwrap()).unwrap();
        assert_eq!(h, br#"{"alg":"HS256","kid":"k9","typ":"at+jwt"}"#);
    }

    #[test]
    fn header_values_with_quotes_and_control_characters_round_trip() {
        let secret = Secret::generate(Algorithm::Hs256, None).unwrap();
        let key = Key::from_secret(&secret, Algorithm::Hs256, None).unwrap();
        let fields = HeaderFields {
            typ: Some("at+jwt".into()),
            kid: Some("k\"1\\\n\u{1}é".into()),
        };
        let token = sign_bytes(&key, &fields, b"{}").unwrap();
        let header_b64 = token.split('.').next().unwrap();
        let header = parse_header(&BASE64URL.decode(header_b64).unwrap()).unwrap();
        assert_eq!(header.alg, Algorithm::Hs256);
        assert_eq!(header.kid.as_deref(), Some("k\"1\\\n\u{1}é"));
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(header.members().len(), 3);
    }

    #[test]
    fn claims_from_a_struct_sign_like_the_same_map_and_non_objects_are_refused() {
        #[derive(serde::Serialize)]
        struct Access<'a> {
            exp: i64,
            sub: &'a str,
        }
        let secret = Secret::generate(Algorithm::Hs256, None).unwrap();
        let key = Key::from_secret(&secret, Algorithm::Hs256, None).unwrap();
        let fields = HeaderFields::default();
        // serde_json's map keeps its keys sorted: the struct lists them in that order.
        let from_struct = sign_claims(&key, &fields, &Access { exp: 5, sub: "u" }).unwrap();
        let map = serde_json::json!({"sub": "u", "exp": 5});
        let from_map = sign_claims(&key, &fields, map.as_object().unwrap()).unwrap();
        assert_eq!(from_struct, from_map);
        assert_eq!(
            sign_claims(&key, &fields, &[1, 2]),
            Err(SignError::Serialize)
        );
        assert_eq!(
            sign_claims(&key, &fields, "text"),
            Err(SignError::Serialize)
        );
    }

    #[test]
    fn signatures_of_every_size_decode_inline_or_on_the_heap_alike() {
        for len in [
            32, 64, 132, 256, 384, 511, 512, 513, 514, 515, 516, 517, 1024,
        ] {
            let bytes: Vec<u8> = (0..len)
                .map(|i: usize| u8::try_from(i * 7 % 251).unwrap())
                .collect();
            let segment = BASE64URL.encode(&bytes);
            let mut inline = [0u8; INLINE_SIGNATURE];
            let decoded = decode_signature(&segment, &mut inline).unwrap();
            let decoded = decoded.bytes(&inline).unwrap().to_vec();
            assert_eq!(decoded, bytes, "{len} bytes");
            let padded = format!("{segment}=");
            assert!(
                decode_signature(&padded, &mut inline).is_err(),
                "{len} bytes padded"
            );
        }
        assert!(decode_signature("AB+/", &mut [0u8; INLINE_SIGNATURE]).is_err());
    }
}
