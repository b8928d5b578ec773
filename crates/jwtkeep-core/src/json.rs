//! Strict JSON for JOSE: an object at the top, no duplicate member at any
//! depth (RFC 7515 §4, RFC 8725 §3.6), and a bounded nesting depth.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use crate::untrusted::Untrusted;

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

pub(crate) struct Strict {
    depth: usize,
    max: usize,
}

impl Strict {
    /// A seed for a value nested `depth` levels deep, at most `max` deep.
    pub(crate) fn at(depth: usize, max: usize) -> Strict {
        Strict { depth, max }
    }
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

/// A member name, borrowed from the input when it has no escapes.
struct Name<'de>(Cow<'de, str>);

impl<'de> de::Deserialize<'de> for Name<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Name<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Name<'de>, E> {
                Ok(Name(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(V)
    }
}

/// Handles the top-level members of an object, one at a time, for
/// [`walk_object`]. A handler that refuses a member records why in itself
/// and returns any error; the walk then reports the handler's reason.
pub(crate) trait MemberHandler<'de> {
    /// Consumes the value of member `name` from `map`. Nested values must be
    /// read with [`Strict::at`]`(1, max_depth)` to keep the strict rules.
    fn member<A: MapAccess<'de>>(
        &mut self,
        name: &str,
        map: &mut A,
        max_depth: usize,
    ) -> Result<(), A::Error>;

    /// A bit (below 64) for each member name the handler knows, so that
    /// duplicates of those are found without comparing strings.
    fn slot(&self, _name: &str) -> Option<u32> {
        None
    }
}

/// A scalar member value read without allocating when it is a plain string.
pub(crate) enum Scalar<'de> {
    /// A string (borrowed from the input when it has no escapes).
    Str(Cow<'de, str>),
    /// A boolean.
    Bool(bool),
    /// Anything else (a number, null, an array or an object), consumed.
    Other,
}

impl<'de> de::Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Str(Cow::Owned(v)))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Bool(v))
            }
            fn visit_i64<E>(self, _: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Scalar<'de>, A::Error> {
                while seq.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Scalar<'de>, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(Scalar::Other)
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// Member names already seen in one object: held in place while objects are
/// small (the usual case, and no allocation), in a hash set past that.
struct Seen<'de> {
    inline: [Cow<'de, str>; Seen::INLINE],
    len: usize,
    set: Option<HashSet<Cow<'de, str>>>,
}

impl Default for Seen<'_> {
    fn default() -> Self {
        Seen {
            inline: [const { Cow::Borrowed("") }; Seen::INLINE],
            len: 0,
            set: None,
        }
    }
}

impl<'de> Seen<'de> {
    /// Names held in place before the hash set takes over.
    const INLINE: usize = 16;

    /// Records `name`; an error naming it if it was seen before.
    fn insert<E: de::Error>(&mut self, name: Cow<'de, str>) -> Result<(), E> {
        let held = self.inline.get(..self.len).unwrap_or_default();
        let duplicate = match &self.set {
            Some(set) => set.contains(&name),
            None => held.contains(&name),
        };
        if duplicate {
            return Err(de::Error::custom(Refusal(JsonError::DuplicateMember {
                name: Untrusted::new(&name),
            })));
        }
        if let Some(set) = &mut self.set {
            set.insert(name);
        } else if let Some(slot) = self.inline.get_mut(self.len) {
            *slot = name;
            self.len += 1;
        } else {
            let mut set: HashSet<_> = self.inline.iter_mut().map(std::mem::take).collect();
            set.insert(name);
            self.set = Some(set);
        }
        Ok(())
    }
}

/// Checks a value by the strict rules (no duplicate members at any depth,
/// bounded nesting) without building it.
#[derive(Clone, Copy)]
pub(crate) struct StrictSkip {
    depth: usize,
    max: usize,
}

impl StrictSkip {
    /// A seed for a value nested `depth` levels deep, at most `max` deep.
    pub(crate) fn at(depth: usize, max: usize) -> StrictSkip {
        StrictSkip { depth, max }
    }

    fn deeper<E: de::Error>(self) -> Result<StrictSkip, E> {
        let Strict { depth, max } = Strict::at(self.depth, self.max).deeper()?;
        Ok(StrictSkip { depth, max })
    }
}

impl<'de> DeserializeSeed<'de> for StrictSkip {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for StrictSkip {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        while seq.next_element_seed(inner)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let inner = self.deeper()?;
        let mut seen = Seen::default();
        while let Some(Name(name)) = map.next_key::<Name<'de>>()? {
            seen.insert(name)?;
            map.next_value_seed(inner)?;
        }
        Ok(())
    }
}

struct Walk<'h, H> {
    handler: &'h mut H,
    max: usize,
}

impl<'de, H: MemberHandler<'de>> Visitor<'de> for Walk<'_, H> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        // Known names are deduplicated by bit; the others by `Seen`.
        let mut seen = Seen::default();
        let mut known: u64 = 0;
        while let Some(Name(name)) = map.next_key::<Name<'de>>()? {
            match self.handler.slot(&name) {
                Some(bit) => {
                    let mask = 1u64.checked_shl(bit).unwrap_or(0);
                    if known & mask != 0 {
                        return Err(de::Error::custom(Refusal(JsonError::DuplicateMember {
                            name: Untrusted::new(&name),
                        })));
                    }
                    known |= mask;
                }
                None => seen.insert(name.clone())?,
            }
            self.handler.member(&name, &mut map, self.max)?;
        }
        Ok(())
    }
}

/// Walks one JSON object in a single pass: member names are checked for
/// duplicates at every depth and nesting is bounded, as in [`parse_object`],
/// while `handler` reads each top-level member into typed fields without
/// building a map. `Err(None)` means the handler refused a member (its reason
/// is in the handler); `Err(Some(_))` that the JSON itself was refused.
pub(crate) fn walk_object<'de, H: MemberHandler<'de>>(
    bytes: &'de [u8],
    max_depth: usize,
    handler: &mut H,
    handler_refused: impl Fn(&H) -> bool,
) -> Result<(), Option<JsonError>> {
    // One UTF-8 check of the whole text is cheaper than serde_json's check of
    // every string, and refuses exactly the same inputs.
    let Ok(text) = std::str::from_utf8(bytes) else {
        return Err(Some(JsonError::NotObject));
    };
    walk_str(text, max_depth, handler, handler_refused)
}

/// [`walk_object`] over text already known to be UTF-8; strings the handler
/// sees are borrowed from `text` when they hold no escapes.
pub(crate) fn walk_str<'de, H: MemberHandler<'de>>(
    text: &'de str,
    max_depth: usize,
    handler: &mut H,
    handler_refused: impl Fn(&H) -> bool,
) -> Result<(), Option<JsonError>> {
    let bytes = text.as_bytes();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let walked = de::Deserializer::deserialize_map(
        &mut deserializer,
        Walk {
            handler: &mut *handler,
            max: max_depth.max(1),
        },
    )
    .and_then(|()| deserializer.end());
    match walked {
        Ok(()) => Ok(()),
        Err(_) if handler_refused(handler) => Err(None),
        Err(e) => Err(Some(classify(bytes, max_depth, &e))),
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
