//! JWT claims (RFC 7519), read strictly: registered claims must have their
//! registered types, and NumericDates must be numbers within range (a
//! fraction is read exactly and rounded to the safe side: `exp` and `nbf` up,
//! `iat` down). Read in
//! one pass from the payload without copying: the registered string claims
//! point into the payload text, and the other claims are parsed only when
//! asked for (verification never needs them).

use std::fmt;

use serde_json::{Map, Value};

use crate::json::reader::{JsonStr, Known, Reader, Registered};
use crate::json::{self, JsonError};

/// Nesting allowed in a JWT payload.
pub const MAX_PAYLOAD_DEPTH: usize = 16;

/// The latest NumericDate accepted: 9999-12-31T23:59:59Z.
pub const MAX_NUMERIC_DATE: i64 = 253_402_300_799;

/// A string claim: where it lies in the payload text, or (when it was written
/// with escapes) its unescaped value.
#[derive(Clone, PartialEq, Eq)]
enum Text {
    At { start: usize, end: usize },
    Owned(Box<str>),
}

/// `aud` as written.
#[derive(Clone, Default, PartialEq, Eq)]
enum Audience {
    #[default]
    Absent,
    One(Text),
    Many(Vec<Text>),
}

/// The claims of a token. Registered claims have accessors; every claim, as
/// written, is in [`Claims::to_map`].
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Claims {
    text: String,
    max_depth: usize,
    registered: Found,
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

/// Which way a fractional NumericDate becomes whole seconds.
#[derive(Clone, Copy)]
enum Round {
    /// Up: `exp` and `nbf` (with whole-second `now`, `now < exp` and
    /// `now >= nbf` hold exactly when they hold for the rounded-up value).
    Up,
    /// Down: `iat` (`iat <= now` and `iat < cut-off` hold exactly when they
    /// hold for the rounded-down value, so a revocation still catches it).
    Down,
}

/// A NumericDate as whole seconds. RFC 7519 §2 allows non-integers: they
/// are read exactly from their decimal text (no floating point), and
/// rounded so that every comparison with whole-second times gives the
/// exact answer. Strings, booleans and values outside 0 ..= 9999-12-31 are refused.
fn numeric_date(
    claim: &'static str,
    value: &Registered<'_>,
    round: Round,
) -> Result<i64, ClaimTypeError> {
    let out_of_range = || type_error(claim, "is out of range");
    match value {
        Registered::Int(v) if (0..=MAX_NUMERIC_DATE).contains(v) => Ok(*v),
        Registered::Int(_) | Registered::Huge => Err(out_of_range()),
        Registered::Float(text) => {
            let (whole, fraction) = exact_seconds(text).ok_or_else(out_of_range)?;
            let rounded = match round {
                Round::Up if fraction => whole.checked_add(1).ok_or_else(out_of_range)?,
                _ => whole,
            };
            // The exact value must lie within the range too, not only its rounding.
            if whole > MAX_NUMERIC_DATE || (whole == MAX_NUMERIC_DATE && fraction) {
                return Err(out_of_range());
            }
            Ok(rounded)
        }
        _ => Err(type_error(
            claim,
            "must be a number, not a string or other value",
        )),
    }
}

/// The whole part of a non-negative JSON number written as decimal text
/// (`1767225600.5`, `1.7672256005e9`), and whether a fraction remains;
/// `None` for a negative number or a whole part beyond `i64`. Exact: the
/// decimal point is moved in the digits, no floating point is involved.
fn exact_seconds(text: &str) -> Option<(i64, bool)> {
    if text.starts_with('-') {
        return None;
    }
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.trim_start_matches('+').parse::<i64>().ok()?),
        None => (text, 0),
    };
    let (int_digits, frac_digits) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: Vec<u8> = int_digits.bytes().chain(frac_digits.bytes()).collect();
    if digits.iter().all(|&d| d == b'0') {
        // Zero, however it is written (and however large its exponent).
        return Some((0, false));
    }
    // Where the decimal point falls in `digits` once the exponent is applied.
    let point = i64::try_from(int_digits.len())
        .ok()?
        .checked_add(exponent)?;
    let split = usize::try_from(point.clamp(0, i64::try_from(digits.len()).ok()?)).ok()?;
    let (whole, fraction) = digits.split_at(split);
    let zeros_after = usize::try_from(point)
        .ok()
        .map_or(0, |p| p.saturating_sub(digits.len()));
    let mut value: i64 = 0;
    for &d in whole.iter().chain(std::iter::repeat_n(&b'0', zeros_after)) {
        value = value.checked_mul(10)?.checked_add(i64::from(d - b'0'))?;
    }
    Some((value, fraction.iter().any(|&d| d != b'0')))
}

/// Where a string lies in the payload text, as the reader found it; its own
/// copy when it was written with escapes.
fn text_of(s: JsonStr<'_>) -> Text {
    match s.span {
        Some(span) => Text::At {
            start: span.start,
            end: span.end,
        },
        None => Text::Owned(s.value.into_owned().into_boxed_str()),
    }
}

/// The registered claims (RFC 7519 §4.1) that verification reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RegisteredClaim {
    Iss,
    Sub,
    Aud,
    Exp,
    Nbf,
    Iat,
    Jti,
}

impl Known for RegisteredClaim {
    fn of(name: &str) -> Option<RegisteredClaim> {
        match name {
            "iss" => Some(RegisteredClaim::Iss),
            "sub" => Some(RegisteredClaim::Sub),
            "aud" => Some(RegisteredClaim::Aud),
            "exp" => Some(RegisteredClaim::Exp),
            "nbf" => Some(RegisteredClaim::Nbf),
            "iat" => Some(RegisteredClaim::Iat),
            "jti" => Some(RegisteredClaim::Jti),
            _ => None,
        }
    }

    fn bit(self) -> u32 {
        self as u32
    }
}

/// The registered claims found in one pass.
#[derive(Clone, Default, PartialEq, Eq)]
struct Found {
    iss: Option<Text>,
    sub: Option<Text>,
    jti: Option<Text>,
    aud: Audience,
    exp: Option<i64>,
    nbf: Option<i64>,
    iat: Option<i64>,
}

impl Found {
    /// Takes the registered claim `claim`, type-checked.
    #[inline]
    fn take(
        &mut self,
        claim: RegisteredClaim,
        value: Registered<'_>,
    ) -> Result<(), ClaimTypeError> {
        let string = |claim: &'static str, value: Registered<'_>| match value {
            Registered::Str(s) => Ok(text_of(s)),
            _ => Err(type_error(claim, "must be a string")),
        };
        match claim {
            RegisteredClaim::Iss => self.iss = Some(string("iss", value)?),
            RegisteredClaim::Sub => self.sub = Some(string("sub", value)?),
            RegisteredClaim::Exp => self.exp = Some(numeric_date("exp", &value, Round::Up)?),
            RegisteredClaim::Nbf => self.nbf = Some(numeric_date("nbf", &value, Round::Up)?),
            RegisteredClaim::Iat => self.iat = Some(numeric_date("iat", &value, Round::Down)?),
            RegisteredClaim::Jti => self.jti = Some(string("jti", value)?),
            RegisteredClaim::Aud => {
                self.aud = match value {
                    Registered::Str(s) => Audience::One(text_of(s)),
                    Registered::Strings(items) => {
                        Audience::Many(items.into_iter().map(text_of).collect())
                    }
                    _ => return Err(type_error("aud", "must be a string or an array of strings")),
                };
            }
        }
        Ok(())
    }
}

/// The names of the registered claims verification reads (those of [`RegisteredClaim`]).
const REGISTERED: [&str; 7] = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"];

impl Claims {
    /// Reads claims from a JWT payload in one strict pass: a JSON object, no
    /// duplicate members at any depth, at most `max_depth` deep.
    pub fn parse(payload: &[u8], max_depth: usize) -> Result<Claims, ClaimsError> {
        Claims::parse_owned(payload.to_vec(), max_depth)
    }

    /// [`Claims::parse`], keeping `payload` as the claims' text rather than copying it.
    pub fn parse_owned(payload: Vec<u8>, max_depth: usize) -> Result<Claims, ClaimsError> {
        let text =
            String::from_utf8(payload).map_err(|_| ClaimsError::Json(JsonError::NotObject))?;
        let mut registered = Found::default();
        Reader::new(&text, max_depth).object(|reader, _, claim| match claim {
            Some(claim) => {
                let value = reader.registered()?;
                registered.take(claim, value).map_err(ClaimsError::Type)
            }
            None => reader.skip(1).map_err(ClaimsError::Json),
        })?;
        Ok(Claims {
            text,
            max_depth,
            registered,
        })
    }

    /// Reads claims from a map, with the registered claims' types checked.
    pub fn from_map(map: Map<String, Value>) -> Result<Claims, ClaimsError> {
        let text = Value::Object(map).to_string();
        Claims::parse_owned(text.into_bytes(), MAX_PAYLOAD_DEPTH)
    }

    fn resolve<'a>(&'a self, text: &'a Text) -> &'a str {
        match text {
            Text::At { start, end } => self.text.get(*start..*end).unwrap_or_default(),
            Text::Owned(s) => s,
        }
    }

    /// Issuer.
    pub fn iss(&self) -> Option<&str> {
        self.registered.iss.as_ref().map(|t| self.resolve(t))
    }

    /// Subject.
    pub fn sub(&self) -> Option<&str> {
        self.registered.sub.as_ref().map(|t| self.resolve(t))
    }

    /// Token id.
    pub fn jti(&self) -> Option<&str> {
        self.registered.jti.as_ref().map(|t| self.resolve(t))
    }

    /// Audiences (a single string is a list of one; none when `aud` is absent).
    pub fn aud(&self) -> impl Iterator<Item = &str> + '_ {
        let (one, many): (Option<&Text>, &[Text]) = match &self.registered.aud {
            Audience::Absent => (None, &[]),
            Audience::One(t) => (Some(t), &[]),
            Audience::Many(all) => (None, all.as_slice()),
        };
        one.into_iter().chain(many).map(|t| self.resolve(t))
    }

    /// Whether `aud` is present (an empty array counts).
    pub fn has_aud(&self) -> bool {
        self.registered.aud != Audience::Absent
    }

    /// Expiry, seconds since the epoch.
    pub fn exp(&self) -> Option<i64> {
        self.registered.exp
    }

    /// Not before, seconds since the epoch.
    pub fn nbf(&self) -> Option<i64> {
        self.registered.nbf
    }

    /// Issued at, seconds since the epoch.
    pub fn iat(&self) -> Option<i64> {
        self.registered.iat
    }

    /// The payload's JSON text, exactly as signed.
    pub fn as_json(&self) -> &str {
        &self.text
    }

    /// Whether the claim `name` is present.
    pub fn contains(&self, name: &str) -> bool {
        match name {
            "iss" => self.registered.iss.is_some(),
            "sub" => self.registered.sub.is_some(),
            "jti" => self.registered.jti.is_some(),
            "exp" => self.registered.exp.is_some(),
            "nbf" => self.registered.nbf.is_some(),
            "iat" => self.registered.iat.is_some(),
            "aud" => self.has_aud(),
            other => self.to_map().contains_key(other),
        }
    }

    /// One claim's value if it is a string, read from the text without
    /// building the others (what a hot path needs of a claim verification
    /// does not read, such as `sid`); `None` when absent or not a string.
    pub fn get_str(&self, name: &str) -> Option<std::borrow::Cow<'_, str>> {
        /// No member is known: every one is skipped but the one asked for.
        #[derive(Clone, Copy)]
        enum Unnamed {}
        impl Known for Unnamed {
            fn of(_: &str) -> Option<Unnamed> {
                None
            }
            fn bit(self) -> u32 {
                match self {}
            }
        }
        let mut found = None;
        let read = Reader::new(&self.text, self.max_depth).object::<Unnamed, JsonError>(
            |reader, member, _| {
                if member != name {
                    return reader.skip(1);
                }
                if let Registered::Str(s) = reader.registered()? {
                    found = Some(s.value);
                }
                Ok(())
            },
        );
        // The text was read once already when the claims were made.
        read.ok().and(found)
    }

    /// One claim's value as written (claims other than the registered ones
    /// are parsed on request: verification does not need them).
    pub fn get(&self, name: &str) -> Option<Value> {
        self.to_map().remove(name)
    }

    /// Every claim except the registered ones, as written.
    pub fn extra(&self) -> Map<String, Value> {
        let mut map = self.to_map();
        for name in REGISTERED {
            map.remove(name);
        }
        map
    }

    /// Every claim as a JSON object, registered ones included, as written.
    pub fn to_map(&self) -> Map<String, Value> {
        // The text passed the same strict parse when these claims were made.
        json::parse_object(self.text.as_bytes(), self.max_depth).unwrap_or_default()
    }
}

impl fmt::Debug for Claims {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Claims")
            .field("iss", &self.iss())
            .field("sub", &self.sub())
            .field("aud", &self.aud().collect::<Vec<_>>())
            .field("exp", &self.registered.exp)
            .field("nbf", &self.registered.nbf)
            .field("iat", &self.registered.iat)
            .field("jti", &self.jti())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn fractional_dates_are_read_exactly_and_rounded_toward_the_safe_side() {
        let read = |text: &str, round: Round| {
            let value = Registered::Float(text);
            numeric_date("exp", &value, round).ok()
        };
        assert_eq!(read("1767225600.5", Round::Up), Some(1_767_225_601));
        assert_eq!(read("1767225600.5", Round::Down), Some(1_767_225_600));
        assert_eq!(read("1767225600.0", Round::Up), Some(1_767_225_600));
        assert_eq!(read("1.7672256005e9", Round::Up), Some(1_767_225_601));
        assert_eq!(read("1.8e9", Round::Down), Some(1_800_000_000));
        assert_eq!(read("1E+3", Round::Up), Some(1000));
        // Seventeen nines: a float would round this to 101.
        assert_eq!(read("100.99999999999999999", Round::Down), Some(100));
        assert_eq!(read("100.99999999999999999", Round::Up), Some(101));
        assert_eq!(read("0.5e-400", Round::Down), Some(0));
        assert_eq!(read("0e999999999999", Round::Up), Some(0));
        assert_eq!(read("253402300799.0", Round::Up), Some(MAX_NUMERIC_DATE));
        for refused in [
            "253402300799.5",
            "-0.0",
            "-1.5",
            "1e300",
            "9.3e18",
            "1e99999999999999999999",
        ] {
            assert_eq!(read(refused, Round::Down), None, "{refused}");
        }
    }
    use super::*;
    use serde_json::json;

    fn read(value: &Value) -> Result<Claims, ClaimsError> {
        Claims::parse(value.to_string().as_bytes(), 16)
    }

    #[test]
    fn plain_strings_point_into_the_payload_and_escaped_ones_are_unescaped() {
        let c = Claims::parse(
            br#"{"iss":"https:\/\/a.example","sub":"plain","aud":["x","y\u0041"],"jti":"\u00e9t\u00e9","n":{"k":[1]}}"#,
            16,
        )
        .unwrap();
        assert_eq!(c.iss(), Some("https://a.example"));
        assert_eq!(c.sub(), Some("plain"));
        assert_eq!(c.aud().collect::<Vec<_>>(), ["x", "yA"]);
        assert_eq!(c.jti(), Some("\u{e9}t\u{e9}"));
        assert!(matches!(c.registered.sub, Some(Text::At { .. })));
        assert!(matches!(c.registered.iss, Some(Text::Owned(_))));
        assert_eq!(c.get("n"), Some(json!({"k": [1]})));
        assert_eq!(c.get("iss"), Some(json!("https://a.example")));
        assert!(c.contains("n") && !c.contains("m"));
        assert_eq!(c.extra().len(), 1);
        assert!(
            !format!("{c:?}").contains("At"),
            "Debug shows values, not spans"
        );
    }

    #[test]
    fn dates_must_be_numbers_in_range() {
        assert_eq!(
            read(&json!({"exp": 1_700_000_000})).unwrap().exp(),
            Some(1_700_000_000)
        );
        // RFC 7519 §2: a NumericDate may be a non-integer.
        assert_eq!(
            read(&json!({"exp": 1.7e9})).unwrap().exp(),
            Some(1_700_000_000)
        );
        let fractional = read(&json!({"exp": 1_700_000_000.5, "iat": 1_600_000_000.5})).unwrap();
        assert_eq!(fractional.exp(), Some(1_700_000_001));
        assert_eq!(fractional.iat(), Some(1_600_000_000));
        for bad in [
            json!({"exp": "1700000000"}),
            json!({"exp": -1}),
            json!({"exp": -0.5}),
            json!({"exp": 1e300}),
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
        assert_eq!(
            read(&json!({"aud": "api"}))
                .unwrap()
                .aud()
                .collect::<Vec<_>>(),
            ["api"]
        );
        assert_eq!(
            read(&json!({"aud": ["a", "b"]}))
                .unwrap()
                .aud()
                .collect::<Vec<_>>(),
            ["a", "b"]
        );
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
    fn get_str_reads_one_string_claim_as_written() {
        let claims = Claims::parse(
            br#"{"x": {"sid": "inner"}, "sid": "s\u0031", "n": 1, "a": ["sid"], "fam": 3}"#,
            16,
        )
        .unwrap();
        assert_eq!(claims.get_str("sid").as_deref(), Some("s1"));
        // Absent, or present but not a string: none.
        assert_eq!(claims.get_str("missing"), None);
        assert_eq!(claims.get_str("fam"), None);
        assert_eq!(claims.get_str("a"), None);
        assert_eq!(claims.get_str("x"), None);
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
                .extra()
                .len(),
            100
        );
        let dup_late = format!("{{{many},\"c99\":0}}");
        assert!(Claims::parse(dup_late.as_bytes(), 16).is_err());
    }
}
