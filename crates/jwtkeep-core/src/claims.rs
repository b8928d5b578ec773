//! JWT claims (RFC 7519), read strictly: registered claims must have their
//! registered types, and NumericDates must be integers within range.

use serde_json::{Map, Value};

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
    /// Every claim as it appeared, registered ones included.
    pub all: Map<String, Value>,
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

fn string(map: &Map<String, Value>, claim: &'static str) -> Result<Option<String>, ClaimTypeError> {
    match map.get(claim) {
        None => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ClaimTypeError {
            claim,
            problem: "must be a string",
        }),
    }
}

fn numeric_date(
    map: &Map<String, Value>,
    claim: &'static str,
) -> Result<Option<i64>, ClaimTypeError> {
    match map.get(claim) {
        None => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(v) if (0..=MAX_NUMERIC_DATE).contains(&v) => Ok(Some(v)),
            Some(_) => Err(ClaimTypeError {
                claim,
                problem: "is out of range",
            }),
            None if n.is_u64() => Err(ClaimTypeError {
                claim,
                problem: "is out of range",
            }),
            None => Err(ClaimTypeError {
                claim,
                problem: "must be an integer number of seconds",
            }),
        },
        Some(_) => Err(ClaimTypeError {
            claim,
            problem: "must be a number, not a string or other value",
        }),
    }
}

impl Claims {
    /// Reads the registered claims of `map` with their types checked.
    pub fn from_map(map: Map<String, Value>) -> Result<Claims, ClaimTypeError> {
        let aud = match map.get("aud") {
            None => Vec::new(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or(ClaimTypeError {
                    claim: "aud",
                    problem: "must be a string or an array of strings",
                })?,
            Some(_) => {
                return Err(ClaimTypeError {
                    claim: "aud",
                    problem: "must be a string or an array of strings",
                })
            }
        };
        Ok(Claims {
            iss: string(&map, "iss")?,
            sub: string(&map, "sub")?,
            jti: string(&map, "jti")?,
            exp: numeric_date(&map, "exp")?,
            nbf: numeric_date(&map, "nbf")?,
            iat: numeric_date(&map, "iat")?,
            aud,
            all: map,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(value: Value) -> Result<Claims, ClaimTypeError> {
        match value {
            Value::Object(map) => Claims::from_map(map),
            _ => unreachable!(),
        }
    }

    #[test]
    fn dates_must_be_integers_in_range() {
        assert_eq!(
            read(json!({"exp": 1_700_000_000})).unwrap().exp,
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
            assert!(read(bad.clone()).is_err(), "{bad}");
        }
    }

    #[test]
    fn aud_is_a_string_or_an_array_of_strings() {
        assert_eq!(read(json!({"aud": "api"})).unwrap().aud, ["api"]);
        assert_eq!(read(json!({"aud": ["a", "b"]})).unwrap().aud, ["a", "b"]);
        assert!(read(json!({"aud": ["a", 1]})).is_err());
        assert!(read(json!({"aud": {"a": 1}})).is_err());
        assert!(read(json!({"iss": ["joe"]})).is_err());
    }
}
