//! Verification paid once per token: a bounded cache of tokens whose
//! signature checked out, answered again after the checks that depend on
//! time or on the key ring run once more.
//!
//! A token used for many requests (an access token, some hundred times in
//! its fifteen minutes) costs one signature check. On every later use the
//! verifier still asks whether the key that signed it may verify at `now`
//! (so a key retired, or gone from the ring, ends its tokens at once) and
//! checks the claims policy at `now` (expiry above all). Revocation is the
//! caller's, on every request, as before.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use crate::claims::Claims;
use crate::verify::{Verified, Verifier};
use crate::verify_error::VerifyError;

/// The bounds of a [`VerifiedCache`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CacheLimits {
    /// At most this many tokens (10,000).
    pub entries: usize,
    /// At most this many bytes of token text held (16 MiB), so that large
    /// tokens cannot make the cache large.
    pub bytes: usize,
}

impl Default for CacheLimits {
    fn default() -> CacheLimits {
        CacheLimits {
            entries: 10_000,
            bytes: 16 << 20,
        }
    }
}

#[derive(Default)]
struct Entries {
    map: HashMap<Box<str>, Arc<Verified<Claims>>>,
    bytes: usize,
}

/// Tokens whose signature was checked, by their exact text. Shared by
/// reference; cheap to ask.
pub struct VerifiedCache {
    limits: CacheLimits,
    entries: RwLock<Entries>,
}

impl std::fmt::Debug for VerifiedCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifiedCache")
            .field("limits", &self.limits)
            .field("len", &self.len())
            .finish_non_exhaustive()
    }
}

impl VerifiedCache {
    /// An empty cache within `limits`.
    pub fn new(limits: CacheLimits) -> VerifiedCache {
        VerifiedCache {
            limits,
            entries: RwLock::new(Entries::default()),
        }
    }

    /// How many tokens it holds.
    pub fn len(&self) -> usize {
        self.read().map.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Forgets every token (a key was revoked by other means, say).
    pub fn clear(&self) {
        *self.write() = Entries::default();
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn get(&self, token: &str) -> Option<Arc<Verified<Claims>>> {
        self.read().map.get(token).cloned()
    }

    fn insert(&self, token: &str, verified: Arc<Verified<Claims>>) {
        let size = token.len();
        if size > self.limits.bytes || self.limits.entries == 0 {
            return;
        }
        let mut entries = self.write();
        if entries.map.len() >= self.limits.entries
            || entries.bytes.saturating_add(size) > self.limits.bytes
        {
            // Full: start again. Simple, bounded, and a flood of new tokens
            // costs what it would without a cache: a signature check each.
            *entries = Entries::default();
        }
        if entries.map.insert(token.into(), verified).is_none() {
            entries.bytes = entries.bytes.saturating_add(size);
        }
    }
}

impl Verifier {
    /// [`Verifier::verify_at`], paying the signature check once per token:
    /// a token this cache holds is answered once the very key that verified
    /// it (not merely one with its `kid`) is found in this verifier's ring,
    /// still able to verify at `now`, and the `typ` and claims policy pass
    /// again at `now`. A token that fails is never held; one that passes is.
    pub fn verify_cached(
        &self,
        cache: &VerifiedCache,
        token: &str,
        now: i64,
    ) -> Result<Arc<Verified<Claims>>, VerifyError> {
        if let Some(verified) = cache.get(token) {
            let key = self.ring().verification_key_at(Some(verified.kid()), now)?;
            // Another key under the same kid (a new key set): verify afresh.
            if Arc::ptr_eq(key.kid_arc(), verified.kid_arc()) {
                self.policy().check_typ(verified.header_ref())?;
                self.policy().check_claims(verified.payload(), now)?;
                return Ok(verified);
            }
        }
        let verified = Arc::new(self.verify_at(token, now)?);
        cache.insert(token, Arc::clone(&verified));
        Ok(verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Algorithm, HeaderFields, Key, KeyPair, KeyRing, Policy, RingKey, Schedule};

    const NOW: i64 = 1_900_000_000;

    fn pair(kid: &str) -> KeyPair {
        KeyPair::generate(Algorithm::Es256, 2048, Some(kid.to_owned())).unwrap()
    }

    /// The key of `pair` (a new value each time: keys are not cloned).
    fn key(pair: &KeyPair) -> Key {
        Key::from_jwk(pair.private_jwk(), Some(Algorithm::Es256)).unwrap()
    }

    fn token(key: &Key, kid: &str, exp: i64) -> String {
        let fields = HeaderFields {
            typ: Some("at+jwt".to_owned()),
            kid: Some(kid.to_owned()),
        };
        let claims = serde_json::json!({"iss": "i", "sub": "s", "iat": NOW, "exp": exp});
        crate::sign_claims(key, &fields, &claims).unwrap()
    }

    fn verifier(ring: KeyRing) -> Verifier {
        Verifier::new(ring, Policy::new().issuer("i").typ("at+jwt"))
    }

    #[test]
    fn a_token_is_verified_once_and_its_time_still_checked() {
        let k = pair("k1");
        let v = verifier(KeyRing::single(key(&k)));
        let cache = VerifiedCache::new(CacheLimits::default());
        let t = token(&key(&k), "k1", NOW + 60);
        let first = v.verify_cached(&cache, &t, NOW).unwrap();
        let again = v.verify_cached(&cache, &t, NOW + 1).unwrap();
        assert!(Arc::ptr_eq(&first, &again), "answered from the cache");
        assert_eq!(cache.len(), 1);
        // Past its expiry (and the leeway): refused, cached or not.
        assert_eq!(
            v.verify_cached(&cache, &t, NOW + 60 + 31).unwrap_err(),
            VerifyError::Expired
        );
        // A token that fails is never held.
        let forged = format!("{}x", &t[..t.len() - 1]);
        assert!(v.verify_cached(&cache, &forged, NOW).is_err());
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn a_key_retired_or_replaced_ends_its_cached_tokens() {
        let k = pair("k1");
        let cache = VerifiedCache::new(CacheLimits::default());
        let t = token(&key(&k), "k1", NOW + 600);
        verifier(KeyRing::single(key(&k)))
            .verify_cached(&cache, &t, NOW)
            .unwrap();
        // The same key, retired in the ring: refused before any signature.
        let mut retiring = KeyRing::new();
        let schedule = Schedule {
            published_at: NOW - 100,
            active_from: NOW - 100,
            active_until: Some(NOW - 50),
            verify_until: Some(NOW - 10),
        };
        retiring
            .insert(RingKey::scheduled(key(&k), schedule))
            .unwrap();
        assert_eq!(
            verifier(retiring)
                .verify_cached(&cache, &t, NOW)
                .unwrap_err(),
            VerifyError::KeyRetired
        );
        // Another key under the same kid (a new key set): not taken for the
        // one that verified; the token is checked afresh and refused.
        let impostor = verifier(KeyRing::single(key(&pair("k1"))));
        assert_eq!(
            impostor.verify_cached(&cache, &t, NOW).unwrap_err(),
            VerifyError::BadSignature
        );
    }

    #[test]
    fn the_cache_stays_within_its_bounds() {
        let k = pair("k1");
        let v = verifier(KeyRing::single(key(&k)));
        let cache = VerifiedCache::new(CacheLimits {
            entries: 3,
            bytes: 1 << 20,
        });
        for i in 0..10 {
            v.verify_cached(&cache, &token(&key(&k), "k1", NOW + 60 + i), NOW)
                .unwrap();
            assert!(cache.len() <= 3);
        }
        let small = VerifiedCache::new(CacheLimits {
            entries: 100,
            bytes: 10,
        });
        v.verify_cached(&small, &token(&key(&k), "k1", NOW + 60), NOW)
            .unwrap();
        assert!(
            small.is_empty(),
            "a token larger than the byte bound is not held"
        );
    }
}
