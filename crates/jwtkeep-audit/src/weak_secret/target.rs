//! One HMAC token as a target for the secret search: everything that does not
//! depend on the candidate is computed once, so that a candidate costs the
//! SHA-2 compressions HMAC cannot avoid (six for HS256 on a ~150-byte signing
//! input) and no allocation.

use std::slice;

use jwtkeep_core::inspect::{decode_unverified, DecodeTokenError};
use jwtkeep_core::Algorithm;
use sha2::block_api::{compress256, compress512};

/// Why a token cannot be searched for its secret.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// The token could not be decoded at all.
    #[error("{0}")]
    Decode(#[from] DecodeTokenError),
    /// The header has no `alg`, or one jwtkeep does not know.
    #[error("the header's alg is missing or unknown")]
    UnknownAlgorithm,
    /// Signed with a private key: there is no shared secret to guess.
    #[error("{0} tokens are signed with a private key; there is no shared secret to guess")]
    NotHmac(&'static str),
    /// The signature is not as long as the algorithm's MAC.
    #[error("the signature is {found} bytes; {alg} produces {expected}")]
    SignatureLength {
        /// The header's algorithm.
        alg: &'static str,
        /// What that algorithm produces.
        expected: usize,
        /// What the token carries.
        found: usize,
    },
}

impl TargetError {
    /// A stable snake_case code.
    pub fn code(&self) -> &'static str {
        match self {
            TargetError::Decode(_) => "token_malformed",
            TargetError::UnknownAlgorithm => "unknown_alg",
            TargetError::NotHmac(_) => "not_hmac",
            TargetError::SignatureLength { .. } => "signature_length",
        }
    }
}

/// The parts of SHA-256 and SHA-512 that HMAC needs, so one implementation
/// serves HS256, HS384 and HS512.
trait Sha2 {
    /// A state word: `u32` or `u64`.
    type Word: Copy + Eq;
    /// One input block: 64 or 128 bytes.
    type Block: Copy + AsRef<[u8]> + AsMut<[u8]>;
    /// The block filled with one byte.
    fn filled(byte: u8) -> Self::Block;
    /// Bytes of the message length field in the final block.
    const LENGTH_BYTES: usize;
    /// Runs the compression function over `blocks`.
    fn compress(state: &mut [Self::Word; 8], blocks: &[Self::Block]);
    /// Writes `word` big-endian into `out`, as far as it reaches.
    fn put(word: Self::Word, out: &mut [u8]);
    /// Reads a big-endian word from the start of `bytes`.
    fn get(bytes: &[u8]) -> Self::Word;
}

/// SHA-256's block function.
struct Sha256;
/// SHA-384's and SHA-512's block function.
struct Sha512;

impl Sha2 for Sha256 {
    type Word = u32;
    type Block = [u8; 64];
    const LENGTH_BYTES: usize = 8;
    fn filled(byte: u8) -> [u8; 64] {
        [byte; 64]
    }
    fn compress(state: &mut [u32; 8], blocks: &[[u8; 64]]) {
        compress256(state, blocks);
    }
    fn put(word: u32, out: &mut [u8]) {
        for (o, b) in out.iter_mut().zip(word.to_be_bytes()) {
            *o = b;
        }
    }
    fn get(bytes: &[u8]) -> u32 {
        let mut word = [0; 4];
        for (w, b) in word.iter_mut().zip(bytes) {
            *w = *b;
        }
        u32::from_be_bytes(word)
    }
}

impl Sha2 for Sha512 {
    type Word = u64;
    type Block = [u8; 128];
    const LENGTH_BYTES: usize = 16;
    fn filled(byte: u8) -> [u8; 128] {
        [byte; 128]
    }
    fn compress(state: &mut [u64; 8], blocks: &[[u8; 128]]) {
        compress512(state, blocks);
    }
    fn put(word: u64, out: &mut [u8]) {
        for (o, b) in out.iter_mut().zip(word.to_be_bytes()) {
            *o = b;
        }
    }
    fn get(bytes: &[u8]) -> u64 {
        let mut word = [0; 8];
        for (w, b) in word.iter_mut().zip(bytes) {
            *w = *b;
        }
        u64::from_be_bytes(word)
    }
}

/// SHA-256's initial state.
pub(super) const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];
const SHA384_IV: [u64; 8] = [
    0xcbbb_9d5d_c105_9ed8,
    0x629a_292a_367c_d507,
    0x9159_015a_3070_dd17,
    0x152f_ecd8_f70e_5939,
    0x6733_2667_ffc0_0b31,
    0x8eb4_4a87_6858_1511,
    0xdb0c_2e0d_64f9_8fa7,
    0x47b5_481d_befa_4fa4,
];
const SHA512_IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

/// HMAC with one hash of the SHA-2 family, for one fixed message and MAC.
struct Prepared<H: Sha2> {
    iv: [H::Word; 8],
    /// Words of output: 8 for SHA-256 and SHA-512, 6 for SHA-384.
    out_words: usize,
    /// The message after the inner key block, padded as the inner hash's tail.
    inner_tail: Vec<H::Block>,
    /// The outer hash's second block with its padding and length in place.
    outer_tail: H::Block,
    /// The MAC the token carries, as state words.
    expected: [H::Word; 8],
}

/// Pads `data` as the tail of a message that starts with `prefix_len` bytes
/// already compressed, into whole blocks.
fn padded<H: Sha2>(prefix_len: usize, data: &[u8]) -> Vec<H::Block> {
    let block_len = H::filled(0).as_ref().len();
    let mut bytes = data.to_vec();
    bytes.push(0x80);
    while !(bytes.len() + H::LENGTH_BYTES).is_multiple_of(block_len) {
        bytes.push(0);
    }
    let bits = (prefix_len as u128 + data.len() as u128) * 8;
    let length = bits.to_be_bytes();
    bytes.extend_from_slice(length.get(16 - H::LENGTH_BYTES..).unwrap_or_default());
    bytes
        .chunks(block_len)
        .map(|chunk| {
            let mut block = H::filled(0);
            block.as_mut().copy_from_slice(chunk);
            block
        })
        .collect()
}

impl<H: Sha2> Prepared<H> {
    fn new(iv: [H::Word; 8], out_words: usize, signing_input: &[u8], mac: &[u8]) -> Self {
        let block_len = H::filled(0).as_ref().len();
        let word_len = mac.len() / out_words;
        let outer_tail = padded::<H>(block_len, &vec![0; mac.len()])
            .first()
            .copied()
            .unwrap_or_else(|| H::filled(0));
        let mut expected = iv;
        for (word, bytes) in expected.iter_mut().zip(mac.chunks(word_len)) {
            *word = H::get(bytes);
        }
        Prepared {
            iv,
            out_words,
            inner_tail: padded::<H>(block_len, signing_input),
            outer_tail,
            expected,
        }
    }

    /// Hashes `data` whole (for keys longer than a block, which HMAC hashes first).
    fn hash(&self, data: &[u8]) -> [H::Word; 8] {
        let mut state = self.iv;
        let block_len = H::filled(0).as_ref().len();
        let whole = data.len() - data.len() % block_len;
        let (head, tail) = data.split_at(whole);
        let blocks: Vec<H::Block> = head
            .chunks(block_len)
            .map(|chunk| {
                let mut block = H::filled(0);
                block.as_mut().copy_from_slice(chunk);
                block
            })
            .collect();
        H::compress(&mut state, &blocks);
        H::compress(&mut state, &padded::<H>(whole, tail));
        state
    }

    /// Writes the first `out_words` of `state` big-endian over the start of `block`.
    fn put_digest(&self, state: &[H::Word; 8], block: &mut H::Block) {
        let word_len = block.as_ref().len() / 16;
        for (word, out) in state
            .iter()
            .take(self.out_words)
            .zip(block.as_mut().chunks_mut(word_len))
        {
            H::put(*word, out);
        }
    }

    /// Whether `key` produces the token's MAC.
    fn matches(&self, key: &[u8]) -> bool {
        let mut padded_key = H::filled(0);
        if key.len() > padded_key.as_ref().len() {
            self.put_digest(&self.hash(key), &mut padded_key);
        } else if let Some(start) = padded_key.as_mut().get_mut(..key.len()) {
            start.copy_from_slice(key);
        }
        // Whole-block XORs over a fixed length compile to a few vector instructions.
        let mut ipad = padded_key;
        let mut opad = padded_key;
        for (i, o) in ipad.as_mut().iter_mut().zip(opad.as_mut().iter_mut()) {
            *i ^= 0x36;
            *o ^= 0x5c;
        }
        let mut inner = self.iv;
        H::compress(&mut inner, slice::from_ref(&ipad));
        H::compress(&mut inner, &self.inner_tail);
        let mut outer = self.iv;
        H::compress(&mut outer, slice::from_ref(&opad));
        let mut last = self.outer_tail;
        self.put_digest(&inner, &mut last);
        H::compress(&mut outer, slice::from_ref(&last));
        outer
            .iter()
            .zip(&self.expected)
            .take(self.out_words)
            .all(|(a, b)| a == b)
    }
}

/// Candidates checked together by [`HmacTarget::first_match`].
pub const LANES: usize = 4;

enum Engine {
    Sha256(Prepared<Sha256>),
    Sha512(Prepared<Sha512>),
}

/// HS256 on the SHA extensions, when the CPU has them.
#[cfg(target_arch = "x86_64")]
type Accelerated = Option<super::shani::Prepared>;
#[cfg(not(target_arch = "x86_64"))]
type Accelerated = Option<std::convert::Infallible>;

/// An HMAC-signed token whose secret is being searched for.
///
/// Built from the token alone; holds its signing input and MAC, neither of
/// them secret. Cheap to share between threads.
pub struct HmacTarget {
    alg: Algorithm,
    engine: Engine,
    accelerated: Accelerated,
}

impl std::fmt::Debug for HmacTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HmacTarget")
            .field("alg", &self.alg.name())
            .finish_non_exhaustive()
    }
}

/// The accelerated form of an HS256 target, when this CPU can run it.
#[cfg(target_arch = "x86_64")]
fn accelerate(p: &Prepared<Sha256>) -> Accelerated {
    super::shani::available().then(|| super::shani::Prepared::new(&p.inner_tail, p.expected))
}

#[cfg(not(target_arch = "x86_64"))]
fn accelerate(_: &Prepared<Sha256>) -> Accelerated {
    None
}

impl HmacTarget {
    /// Prepares `token` (compact JWS) for the search; refuses tokens that are
    /// not HS256, HS384 or HS512.
    pub fn from_token(token: &str) -> Result<HmacTarget, TargetError> {
        let token = token.trim();
        let decoded = decode_unverified(token)?;
        let alg = decoded
            .header
            .get("alg")
            .and_then(|v| v.as_str())
            .and_then(Algorithm::from_jose_name)
            .ok_or(TargetError::UnknownAlgorithm)?;
        let (signing_input, _) = token
            .rsplit_once('.')
            .ok_or(TargetError::Decode(DecodeTokenError::Segments))?;
        let mac = decoded.signature;
        let input = signing_input.as_bytes();
        let (engine, expected) = match alg {
            Algorithm::Hs256 => (Engine::Sha256(Prepared::new(SHA256_IV, 8, input, &mac)), 32),
            Algorithm::Hs384 => (Engine::Sha512(Prepared::new(SHA384_IV, 6, input, &mac)), 48),
            Algorithm::Hs512 => (Engine::Sha512(Prepared::new(SHA512_IV, 8, input, &mac)), 64),
            other => return Err(TargetError::NotHmac(other.name())),
        };
        if mac.len() != expected {
            return Err(TargetError::SignatureLength {
                alg: alg.name(),
                expected,
                found: mac.len(),
            });
        }
        let accelerated = match &engine {
            Engine::Sha256(p) => accelerate(p),
            Engine::Sha512(_) => None,
        };
        Ok(HmacTarget {
            alg,
            engine,
            accelerated,
        })
    }

    /// The same search without the SHA extensions, for comparing the two paths.
    #[doc(hidden)]
    pub fn portable(mut self) -> HmacTarget {
        self.accelerated = None;
        self
    }

    /// Whether candidates are checked on the SHA extensions.
    pub fn is_accelerated(&self) -> bool {
        self.accelerated.is_some()
    }

    /// The index of the first of `candidates` that is the secret.
    pub fn first_match(&self, candidates: &[&[u8]; LANES]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if let Some(ni) = &self.accelerated {
            if candidates.iter().all(|c| c.len() <= 64) {
                return ni.matches(candidates).iter().position(|&m| m);
            }
        }
        candidates.iter().position(|c| self.matches(c))
    }

    /// The token's algorithm.
    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// Whether `candidate` is the secret that signed the token.
    pub fn matches(&self, candidate: &[u8]) -> bool {
        match &self.engine {
            Engine::Sha256(p) => p.matches(candidate),
            Engine::Sha512(p) => p.matches(candidate),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::hmac;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use base64::Engine as _;
    use proptest::prelude::*;

    fn token(alg: &str, key: &[u8], payload: &str) -> String {
        let header = URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"{alg}","typ":"JWT"}}"#));
        let payload = URL_SAFE_NO_PAD.encode(payload);
        let input = format!("{header}.{payload}");
        let algorithm = match alg {
            "HS256" => hmac::HMAC_SHA256,
            "HS384" => hmac::HMAC_SHA384,
            _ => hmac::HMAC_SHA512,
        };
        let tag = hmac::sign(&hmac::Key::new(algorithm, key), input.as_bytes());
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
    }

    #[test]
    fn finds_the_secret_of_each_hmac_algorithm_and_nothing_else() {
        for alg in ["HS256", "HS384", "HS512"] {
            let t = token(alg, b"secret", r#"{"sub":"1"}"#);
            let target = HmacTarget::from_token(&t).unwrap();
            assert!(target.matches(b"secret"), "{alg}");
            assert!(!target.matches(b"secreT"), "{alg}");
            assert!(!target.matches(b""), "{alg}");
            // HMAC pads short keys with zeros: this is the same key to HMAC.
            assert!(target.matches(b"secret\0"), "{alg}");
        }
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn hs256_uses_the_sha_extensions_where_the_cpu_has_them() {
        let target = HmacTarget::from_token(&token("HS256", b"k", "{}")).unwrap();
        assert_eq!(
            target.is_accelerated(),
            std::is_x86_feature_detected!("sha")
        );
    }

    #[test]
    fn keys_longer_than_a_block_are_hashed_first_as_hmac_says() {
        let long = [b'k'; 200];
        for alg in ["HS256", "HS384", "HS512"] {
            let target = HmacTarget::from_token(&token(alg, &long, "{}")).unwrap();
            assert!(target.matches(&long), "{alg}");
            assert!(!target.matches(&long[..199]), "{alg}");
        }
    }

    #[test]
    fn refuses_tokens_without_a_shared_secret() {
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"RS256"}"#);
        let t = format!("{header}.e30.{}", URL_SAFE_NO_PAD.encode([0u8; 256]));
        assert_eq!(
            HmacTarget::from_token(&t).unwrap_err(),
            TargetError::NotHmac("RS256")
        );
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#);
        let t = format!("{header}.e30.");
        assert_eq!(
            HmacTarget::from_token(&t).unwrap_err().code(),
            "unknown_alg"
        );
    }

    #[test]
    fn refuses_a_signature_of_the_wrong_length() {
        let t = token("HS256", b"secret", "{}");
        let truncated = &t[..t.len() - 4];
        assert_eq!(
            HmacTarget::from_token(truncated).unwrap_err().code(),
            "signature_length"
        );
    }

    #[test]
    fn agrees_with_wycheproof_hmac_sha256_vectors() {
        let text =
            include_str!("../../../jwtkeep-core/tests/data/wycheproof/hmac_sha256_test.json");
        let doc: serde_json::Value = serde_json::from_str(text).unwrap();
        let mut checked = 0;
        for group in doc["testGroups"].as_array().unwrap() {
            if group["tagSize"] != 256 {
                continue;
            }
            for case in group["tests"].as_array().unwrap() {
                let hex = |k: &str| {
                    let s = case[k].as_str().unwrap();
                    (0..s.len())
                        .step_by(2)
                        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
                        .collect::<Vec<u8>>()
                };
                let (key, msg, tag) = (hex("key"), hex("msg"), hex("tag"));
                let target = Prepared::<Sha256>::new(SHA256_IV, 8, &msg, &tag);
                let valid = case["result"] == "valid";
                assert_eq!(target.matches(&key), valid, "tcId {}", case["tcId"]);
                checked += 1;
            }
        }
        assert!(checked > 20, "only {checked} vectors checked");
    }

    proptest! {
        /// The SHA-NI path (where the CPU has it) and the portable one agree
        /// on every lane, for keys of every length around the block size.
        #[test]
        fn accelerated_and_portable_searches_agree(
            keys in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..80), LANES),
            secret_lane in 0..LANES + 1,
            payload in "[ -~]{0,300}",
        ) {
            let secret = keys.get(secret_lane).cloned().unwrap_or_else(|| b"not among them".to_vec());
            let t = token("HS256", &secret, &payload);
            let fast = HmacTarget::from_token(&t).unwrap();
            let slow = HmacTarget::from_token(&t).unwrap().portable();
            prop_assert!(!slow.is_accelerated());
            let batch: [&[u8]; LANES] = std::array::from_fn(|i| keys[i].as_slice());
            prop_assert_eq!(fast.first_match(&batch), slow.first_match(&batch));
            let expected = keys.iter().position(|k| token("HS256", k, &payload) == t);
            prop_assert_eq!(fast.first_match(&batch), expected);
        }

        #[test]
        fn matches_exactly_the_key_aws_lc_signed_with(
            key in proptest::collection::vec(any::<u8>(), 0..300),
            other in proptest::collection::vec(any::<u8>(), 0..300),
            payload in "[ -~]{0,400}",
            alg in prop::sample::select(vec!["HS256", "HS384", "HS512"]),
        ) {
            let target = HmacTarget::from_token(&token(alg, &key, &payload)).unwrap();
            prop_assert!(target.matches(&key));
            let same_mac = token(alg, &other, &payload) == token(alg, &key, &payload);
            prop_assert_eq!(target.matches(&other), same_mac);
        }
    }
}
