//! Strict JSON for JOSE: an object at the top, no duplicate member at any
//! depth (RFC 7515 §4, RFC 8725 §3.6), and a bounded nesting depth.
//!
//! Two readers keep these rules: [`parse_object`] builds a map through
//! serde_json (for `Claims::to_map`, headers' members, inspection), and
//! `reader` reads the claims and headers a verification needs in one pass
//! without building anything. The tests hold the second to the first.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::untrusted::Untrusted;

pub(crate) mod reader;

/// Why JSON was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum JsonError {
    /// Not JSON, or not an object at the top.
    #[error("not a JSON object")]
    NotObject,
    /// A member name appears twice in one object.
    #[error("duplicate JSON member {name}")]
    DuplicateMember {
        /// The repeated name, escaped and shortened.
        name: Untrusted,
    },
    /// Nested deeper than allowed.
    #[error("JSON nested deeper than {max} levels")]
    TooDeep {
        /// The limit.
        max: usize,
    },
}

/// Builds a value by the strict rules (no duplicate member at any depth,
/// bounded nesting).
struct Strict {
    depth: usize,
    max: usize,
}

#[derive(Debug)]
struct Refusal(JsonError);

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl<'de> DeserializeSeed<'de> for Strict {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Strict {
    fn deeper<E: de::Error>(&self) -> Result<Strict, E> {
        if self.depth >= self.max {
            return Err(E::custom(Refusal(JsonError::TooDeep { max: self.max })));
        }
        Ok(Strict {
            depth: self.depth + 1,
            max: self.max,
        })
    }
}

impl<'de> Visitor<'de> for Strict {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut out = Vec::new();
        while let Some(v) = seq.next_element_seed(Strict {
            depth: inner.depth,
            max: inner.max,
        })? {
            out.push(v);
        }
        Ok(Value::Array(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let inner = self.deeper()?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                return Err(de::Error::custom(Refusal(JsonError::DuplicateMember {
                    name: Untrusted::new(&key),
                })));
            }
            let value = map.next_value_seed(Strict {
                depth: inner.depth,
                max: inner.max,
            })?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

/// Member names already seen in one object: the first few held in place
/// (cheap to set up for every object, and no allocation), then in a list,
/// then, past 32 names, in a hash set.
pub(crate) struct Seen<'de> {
    first: [Cow<'de, str>; Seen::IN_PLACE],
    more: Vec<Cow<'de, str>>,
    count: usize,
    set: Option<HashSet<Cow<'de, str>>>,
}

impl Default for Seen<'_> {
    fn default() -> Self {
        Seen {
            first: [const { Cow::Borrowed("") }; Seen::IN_PLACE],
            more: Vec::new(),
            count: 0,
            set: None,
        }
    }
}

impl<'de> Seen<'de> {
    /// Names held in place.
    const IN_PLACE: usize = 4;
    /// Names compared one by one before the hash set takes over.
    const LISTED: usize = 32;

    /// Records `name`; an error naming it if it was seen before.
    pub(crate) fn insert(&mut self, name: Cow<'de, str>) -> Result<(), JsonError> {
        let held = self.first.get(..self.count).unwrap_or(&self.first);
        let duplicate = match &self.set {
            Some(set) => set.contains(&name),
            None => held.contains(&name) || self.more.contains(&name),
        };
        if duplicate {
            return Err(JsonError::DuplicateMember {
                name: Untrusted::new(&name),
            });
        }
        if let Some(set) = &mut self.set {
            set.insert(name);
        } else if let Some(slot) = self.first.get_mut(self.count) {
            *slot = name;
        } else if self.count < Seen::LISTED {
            self.more.push(name);
        } else {
            let mut set: HashSet<_> = self.first.iter_mut().map(std::mem::take).collect();
            set.extend(self.more.drain(..));
            set.insert(name);
            self.set = Some(set);
        }
        self.count += 1;
        Ok(())
    }
}

/// Parses `bytes` as one JSON object, refusing duplicate members anywhere and
/// nesting deeper than `max_depth` (the top object is depth 1).
pub fn parse_object(bytes: &[u8], max_depth: usize) -> Result<Map<String, Value>, JsonError> {
    // Errors are classified by re-checking the two refusals we raise ourselves;
    // serde_json's own message (which may quote input) is never shown.
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let parsed = Strict {
        depth: 0,
        max: max_depth,
    }
    .deserialize(&mut deserializer)
    .and_then(|v| deserializer.end().map(|()| v));
    match parsed {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(JsonError::NotObject),
        Err(e) => Err(classify(bytes, max_depth, &e)),
    }
}

fn classify(bytes: &[u8], max_depth: usize, err: &serde_json::Error) -> JsonError {
    let text = err.to_string();
    if text.starts_with("JSON nested deeper") {
        return JsonError::TooDeep { max: max_depth };
    }
    if text.starts_with("duplicate JSON member") {
        // Recover the name by parsing leniently; serde_json keeps the last value.
        let name = duplicate_name(bytes).unwrap_or_default();
        return JsonError::DuplicateMember {
            name: Untrusted::new(&name),
        };
    }
    JsonError::NotObject
}

/// Finds the first duplicated member name (for the error message only).
fn duplicate_name(bytes: &[u8]) -> Option<String> {
    struct Find(Option<String>);
    impl<'de> Visitor<'de> for &mut Find {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("JSON")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            let mut seen = HashSet::new();
            while let Some(key) = map.next_key::<String>()? {
                if !seen.insert(key.clone()) && self.0.is_none() {
                    self.0 = Some(key);
                }
                map.next_value::<de::IgnoredAny>()?;
            }
            Ok(())
        }
    }
    let mut find = Find(None);
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let _ = de::Deserializer::deserialize_any(&mut deserializer, &mut find);
    find.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_objects_and_rejects_everything_else() {
        assert!(parse_object(br#"{"a":1,"b":[1,{"c":null}]}"#, 8).is_ok());
        for bad in [
            &b"[]"[..],
            b"1",
            b"\"x\"",
            b"{",
            b"{} {}",
            b"",
            b"{\"a\":1,}",
        ] {
            assert_eq!(parse_object(bad, 8), Err(JsonError::NotObject), "{bad:?}");
        }
    }

    #[test]
    fn rejects_duplicate_members_at_any_depth() {
        let err = parse_object(br#"{"alg":"HS256","alg":"none"}"#, 8).unwrap_err();
        assert_eq!(err.to_string(), "duplicate JSON member \"alg\"");
        assert!(matches!(
            parse_object(br#"{"a":{"b":1,"b":2}}"#, 8),
            Err(JsonError::DuplicateMember { .. })
        ));
    }

    #[test]
    fn rejects_deep_nesting() {
        let deep = format!(
            "{}{}",
            "{\"a\":".repeat(20),
            "1".to_owned() + &"}".repeat(20)
        );
        assert_eq!(
            parse_object(deep.as_bytes(), 16),
            Err(JsonError::TooDeep { max: 16 })
        );
        assert!(parse_object(deep.as_bytes(), 20).is_ok());
    }
}
