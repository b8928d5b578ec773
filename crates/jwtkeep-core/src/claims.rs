//! JWT claims (RFC 7519), read strictly: registered claims must have their
//! registered types, and NumericDates must be integers within range. Read in
//! one pass from the payload, without building a map of the registered claims.

use serde::de::{self, MapAccess};
use serde_json::{Map, Value};

use crate::json::{self, JsonError, MemberHandler, Strict};

/// The latest NumericDate accepted: 9999-12-31T23:59:59Z.
pub const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// The claims of a token.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Claims {
    /// Issuer.
    pub iss: Option<String>,
    /// Subject.
    pub sub: Option<String>,
    /// Audiences (a single string is read as a list of one).
    pub aud: Vec<String>,
    /// Expiry, seconds since the epoch.
    pub exp: Option<i64>,
    /// Not before, seconds since the epoch.
    pub nbf: Option<i64>,
    /// Issued at, seconds since the epoch.
    pub iat: Option<i64>,
    /// Token id.
    pub jti: Option<String>,
    /// Every other claim, as it appeared.
    pub extra: Map<String, Value>,
    /// Whether `aud` was written as an array (kept so that `to_map` gives back the claims as they were).
    aud_was_array: bool,
}

/// A claim that does not have its registered type.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("claim \"{claim}\" {problem}")]
pub struct ClaimTypeError {
    /// The claim.
    pub claim: &'static str,
    /// What is wrong with it.
    pub problem: &'static str,
}

/// Why a payload is not acceptable claims.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ClaimsError {
    /// Not a strict JSON object.
    #[error(transparent)]
    Json(#[from] JsonError),
    /// A registered claim has the wrong type or range.
    #[error(transparent)]
    Type(#[from] ClaimTypeError),
}

fn type_error(claim: &'static str, problem: &'static str) -> ClaimTypeError {
    ClaimTypeError { claim, problem }
}

fn numeric_date(claim: &'static str, value: &Value) -> Result<i64, ClaimTypeError> {
    match value {
        Value::Number(n) => match n.as_i64() {
            Some(v) if (0..=MAX_NUMERIC_DATE).contains(&v) => Ok(v),
            Some(_) => Err(type_error(claim, "is out of range")),
            None if n.is_u64() => Err(type_error(claim, "is out of range")),
            None => Err(type_error(claim, "must be an integer number of seconds")),
        },
        _ => Err(type_error(
            claim,
            "must be a number, not a string or other value",
        )),
    }
}

fn string(claim: &'static str, value: Value) -> Result<String, ClaimTypeError> {
    match value {
        Value::String(s) => Ok(s),
        _ => Err(type_error(claim, "must be a string")),
    }
}

impl Claims {
    /// Takes one claim: registered ones are checked and typed, others kept in `extra`.
    fn take(&mut self, name: &str, value: Value) -> Result<(), ClaimTypeError> {
        match name {
            "iss" => self.iss = Some(string("iss", value)?),
            "sub" => self.sub = Some(string("sub", value)?),
            "jti" => self.jti = Some(string("jti", value)?),
            "exp" => self.exp = Some(numeric_date("exp", &value)?),
            "nbf" => self.nbf = Some(numeric_date("nbf", &value)?),
            "iat" => self.iat = Some(numeric_date("iat", &value)?),
            "aud" => {
                let wrong = || type_error("aud", "must be a string or an array of strings");
                match value {
                    Value::String(s) => self.aud = vec![s],
                    Value::Array(items) => {
                        self.aud = items
                            .into_iter()
                            .map(|v| match v {
                                Value::String(s) => Ok(s),
                                _ => Err(wrong()),
                            })
                            .collect::<Result<_, _>>()?;
                        self.aud_was_array = true;
                    }
                    _ => return Err(wrong()),
                }
            }
            _ => {
                self.extra.insert(name.to_owned(), value);
            }
        }
        Ok(())
    }

    /// Reads claims from a map, with the registered claims' types checked.
    pub fn from_map(map: Map<String, Value>) -> Result<Claims, ClaimTypeError> {
        let mut claims = Claims::default();
        for (name, value) in map {
            claims.take(&name, value)?;
        }
        Ok(claims)
    }

    /// Reads claims from a JWT payload in one strict pass: a JSON object, no
    /// duplicate members at any depth, at most `max_depth` deep.
    pub fn parse(payload: &[u8], max_depth: usize) -> Result<Claims, ClaimsError> {
        struct Handler {
            claims: Claims,
            refusal: Option<ClaimTypeError>,
        }
        impl<'de> MemberHandler<'de> for Handler {
            fn member<A: MapAccess<'de>>(
                &mut self,
                name: &str,
                map: &mut A,
                max: usize,
            ) -> Result<(), A::Error> {
                let value = map.next_value_seed(Strict::at(1, max))?;
                self.claims.take(name, value).map_err(|e| {
                    self.refusal = Some(e);
                    de::Error::custom("claim refused")
                })
            }

            fn slot(&self, name: &str) -> Option<u32> {
                match name {
                    "iss" => Some(0),
                    "sub" => Some(1),
                    "aud" => Some(2),
                    "exp" => Some(3),
                    "nbf" => Some(4),
                    "iat" => Some(5),
                    "jti" => Some(6),
                    _ => None,
                }
            }
        }
        let mut handler = Handler {
            claims: Claims::default(),
            refusal: None,
        };
        match json::walk_object(payload, max_depth, &mut handler, |h| h.refusal.is_some()) {
            Ok(()) => Ok(handler.claims),
            Err(Some(json)) => Err(ClaimsError::Json(json)),
            Err(None) => Err(ClaimsError::Type(
                handler
                    .refusal
                    .unwrap_or(type_error("claims", "were refused")),
            )),
        }
    }

    /// Whether the claim `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        match name {
            "iss" => self.iss.is_some(),
            "sub" => self.sub.is_some(),
            "jti" => self.jti.is_some(),
            "exp" => self.exp.is_some(),
            "nbf" => self.nbf.is_some(),
            "iat" => self.iat.is_some(),
            "aud" => !self.aud.is_empty() || self.aud_was_array,
            other => self.extra.contains_key(other),
        }
    }

    /// Every claim as a JSON object, registered ones included, as they were written.
    pub fn to_map(&self) -> Map<String, Value> {
        let mut map = self.extra.clone();
        for (name, value) in [("iss", &self.iss), ("sub", &self.sub), ("jti", &self.jti)] {
            if let Some(v) = value {
                map.insert(name.to_owned(), Value::from(v.as_str()));
            }
        }
        for (name, value) in [("exp", self.exp), ("nbf", self.nbf), ("iat", self.iat)] {
            if let Some(v) = value {
                map.insert(name.to_owned(), Value::from(v));
            }
        }
        match (self.aud.as_slice(), self.aud_was_array) {
            ([], false) => {}
            ([one], false) => {
                map.insert("aud".to_owned(), Value::from(one.as_str()));
            }
            (all, _) => {
                map.insert("aud".to_owned(), Value::from(all.to_vec()));
            }
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: &Value) -> Result<Claims, ClaimsError> {
        Claims::parse(value.to_string().as_bytes(), 16)
    }

    #[test]
    fn dates_must_be_integers_in_range() {
        assert_eq!(
            read(&json!({"exp": 1_700_000_000})).unwrap().exp,
            Some(1_700_000_000)
        );
        for bad in [
            json!({"exp": "1700000000"}),
            json!({"exp": 1.7e9}),
            json!({"exp": 1_700_000_000.5}),
            json!({"exp": -1}),
            json!({"nbf": 253_402_300_800i64}),
            json!({"iat": u64::MAX}),
            json!({"exp": null}),
            json!({"exp": true}),
        ] {
            assert!(matches!(read(&bad), Err(ClaimsError::Type(_))), "{bad}");
        }
    }

    #[test]
    fn aud_is_a_string_or_an_array_of_strings() {
        assert_eq!(read(&json!({"aud": "api"})).unwrap().aud, ["api"]);
        assert_eq!(read(&json!({"aud": ["a", "b"]})).unwrap().aud, ["a", "b"]);
        assert!(read(&json!({"aud": ["a", 1]})).is_err());
        assert!(read(&json!({"aud": {"a": 1}})).is_err());
        assert!(read(&json!({"iss": ["joe"]})).is_err());
    }

    #[test]
    fn to_map_gives_back_the_claims_as_written() {
        for value in [
            json!({"aud": "api", "exp": 5, "x": {"y": [1, 2]}}),
            json!({"aud": ["api"], "iss": "i", "sub": "s", "jti": "j", "nbf": 1, "iat": 2}),
            json!({"aud": []}),
        ] {
            let claims = read(&value).unwrap();
            assert_eq!(Value::Object(claims.to_map()), value);
            assert_eq!(Claims::from_map(claims.to_map()).unwrap(), claims);
        }
    }

    #[test]
    fn duplicates_and_depth_are_refused_in_one_pass() {
        assert!(matches!(
            Claims::parse(br#"{"sub":"a","sub":"b"}"#, 16),
            Err(ClaimsError::Json(JsonError::DuplicateMember { .. }))
        ));
        assert!(matches!(
            Claims::parse(br#"{"x":{"y":1,"y":2}}"#, 16),
            Err(ClaimsError::Json(JsonError::DuplicateMember { .. }))
        ));
        assert!(matches!(
            Claims::parse(br#"{"x":[[[[1]]]]}"#, 3),
            Err(ClaimsError::Json(JsonError::TooDeep { .. }))
        ));
        assert!(matches!(
            Claims::parse(b"[1]", 16),
            Err(ClaimsError::Json(JsonError::NotObject))
        ));
        let many: String = (0..100)
            .map(|i| format!("\"c{i}\":{i}"))
            .collect::<Vec<_>>()
            .join(",");
        assert_eq!(
            Claims::parse(format!("{{{many}}}").as_bytes(), 16)
                .unwrap()
                .extra
                .len(),
            100
        );
        let dup_late = format!("{{{many},\"c99\":0}}");
        assert!(Claims::parse(dup_late.as_bytes(), 16).is_err());
    }
}
