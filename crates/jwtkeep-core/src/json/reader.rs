//! A hand-written reader of the strict JSON in JWT payloads and headers,
//! for the one place where parsing speed counts: every verification reads
//! the claims, and serde_json's general machinery cost more there than the
//! rest of the verification besides the signature.
//!
//! It accepts the texts that [`super::parse_object`] (serde_json under our
//! strict rules) accepts: RFC 8259 JSON, an object at the top, no duplicate
//! member name in any object, at most `max_depth` nested containers, numbers
//! finite as `f64`, strings without raw control characters and with paired
//! surrogate escapes; and it classifies numbers as serde_json does. Property
//! tests (`json_readers_agree_with_serde_json`) and the fuzz target hold the
//! two to the same answers. Values are checked in the same single pass that
//! reads them, in document order, so the first fault is the one reported.
//! (Two corners differ only in which refusal is named: a non-object at the
//! top is refused at its first byte, and serde_json's own limit of 128
//! nested containers does not apply; jwtkeep's limits are far lower.)

use std::borrow::Cow;
use std::ops::Range;

use super::{JsonError, Seen};

/// The member names a caller reads, each with its own bit (below 64) for
/// the duplicate check; every other name is checked by comparison.
pub(crate) trait Known: Copy {
    /// Which known name `name` is, if any.
    fn of(name: &str) -> Option<Self>;
    /// Its bit in the duplicate check, below 64.
    fn bit(self) -> u32;
}

/// A string value: borrowed from the text when it has no escapes, and then
/// also where it lies there (byte offsets), so that a caller can keep the
/// span instead of a copy.
pub(crate) struct JsonStr<'t> {
    /// The (unescaped) value.
    pub(crate) value: Cow<'t, str>,
    /// Its bytes in the text, between the quotes, when it had no escapes.
    pub(crate) span: Option<Range<usize>>,
}

/// A value as a registered claim needs it. Every other value is checked
/// and skipped without being built.
pub(crate) enum Registered<'t> {
    /// A string.
    Str(JsonStr<'t>),
    /// An integer that fits `i64`.
    Int(i64),
    /// A positive integer above `i64::MAX` that fits `u64`.
    Huge,
    /// A number with a fraction or exponent, `-0`, or an integer too large
    /// for `u64` (serde_json reads all of these as `f64`), as written.
    Float(&'t str),
    /// `true` or `false`.
    Bool(bool),
    /// An array whose elements are all strings.
    Strings(Vec<JsonStr<'t>>),
    /// Anything else: `null`, an object, an array not only of strings.
    Other,
}

/// Reads one JSON text. Positions are byte offsets into `text`.
pub(crate) struct Reader<'t> {
    text: &'t str,
    pos: usize,
    max_depth: usize,
}

/// The refusal for anything that is not well-formed JSON.
const SYNTAX: JsonError = JsonError::NotObject;

/// Eight copies of a byte, for testing eight bytes at once.
const fn splat(byte: u8) -> u64 {
    u64::from_ne_bytes([byte; 8])
}

/// For each byte of `word`, the high bit set where the byte is a quote, a
/// backslash or a control character. The lowest set bit is exact, which is
/// all the caller uses (borrows only run towards higher bytes).
fn specials(word: u64) -> u64 {
    let low = splat(0x01);
    let high = splat(0x80);
    let zero_in = |x: u64| x.wrapping_sub(low) & !x & high;
    let below_space = word.wrapping_sub(splat(0x20)) & !word & high;
    zero_in(word ^ splat(b'"')) | zero_in(word ^ splat(b'\\')) | below_space
}

impl<'t> Reader<'t> {
    /// A reader of `text` that allows `max_depth` nested containers (the
    /// top object counts as one).
    pub(crate) fn new(text: &'t str, max_depth: usize) -> Reader<'t> {
        Reader {
            text,
            pos: 0,
            max_depth: max_depth.max(1),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    fn skip_whitespace(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `byte` after optional whitespace.
    fn expect(&mut self, byte: u8) -> Result<(), JsonError> {
        self.skip_whitespace();
        if self.peek() == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(SYNTAX)
        }
    }

    /// Reads the top-level object, calling `member` with each name and,
    /// when it is one the caller knows, which ([`Known`]); `member` must
    /// consume the value (with [`Reader::registered`] or [`Reader::skip`]).
    /// Known names are checked for duplicates by bit, others by comparison.
    /// Only whitespace may follow the object.
    pub(crate) fn object<K: Known, E: From<JsonError>>(
        &mut self,
        mut member: impl FnMut(&mut Reader<'t>, &str, Option<K>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.expect(b'{')?;
        let mut seen_known = 0u64;
        let mut seen = Seen::default();
        self.elements(b'}', |reader| {
            let name = reader.string()?;
            let known = K::of(&name);
            match known {
                Some(k) => {
                    let mask = 1u64.checked_shl(k.bit()).unwrap_or(0);
                    if seen_known & mask != 0 {
                        return Err(JsonError::DuplicateMember {
                            name: crate::untrusted::Untrusted::new(&name),
                        }
                        .into());
                    }
                    seen_known |= mask;
                }
                None => seen.insert(name.clone())?,
            }
            reader.expect(b':')?;
            reader.skip_whitespace();
            member(reader, &name, known)
        })?;
        self.skip_whitespace();
        if self.pos == self.text.len() {
            Ok(())
        } else {
            Err(SYNTAX.into())
        }
    }

    /// Reads the elements (or members) of a container whose opening bracket
    /// has been consumed, through its closing `close`: `each` reads one,
    /// from its first byte; commas go between them and nowhere else.
    fn elements<E: From<JsonError>>(
        &mut self,
        close: u8,
        mut each: impl FnMut(&mut Reader<'t>) -> Result<(), E>,
    ) -> Result<(), E> {
        self.skip_whitespace();
        if self.peek() == Some(close) {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.skip_whitespace();
            each(self)?;
            self.skip_whitespace();
            match self.peek() {
                Some(b',') => self.pos += 1,
                Some(c) if c == close => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(SYNTAX.into()),
            }
        }
    }

    /// Reads the value of a member the caller knows (a registered claim, a
    /// header member), checked as strictly as any other value.
    #[inline(always)]
    pub(crate) fn registered(&mut self) -> Result<Registered<'t>, JsonError> {
        match self.peek() {
            Some(b'"') => self.spanned_string().map(Registered::Str),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(b'[') => {
                let inner = self.open(1)?;
                let mut strings = Some(Vec::new());
                self.elements(b']', |reader| {
                    match (reader.peek(), &mut strings) {
                        (Some(b'"'), Some(all)) => all.push(reader.spanned_string()?),
                        _ => {
                            strings = None;
                            reader.skip(inner)?;
                        }
                    }
                    Ok::<(), JsonError>(())
                })?;
                Ok(strings.map_or(Registered::Other, Registered::Strings))
            }
            Some(b't') => self.literal("true").map(|()| Registered::Bool(true)),
            Some(b'f') => self.literal("false").map(|()| Registered::Bool(false)),
            _ => self.skip(1).map(|()| Registered::Other),
        }
    }

    /// Consumes an opening bracket or brace for a container at `depth`
    /// (the top object is depth 0), returning the depth of its contents.
    fn open(&mut self, depth: usize) -> Result<usize, JsonError> {
        if depth >= self.max_depth {
            return Err(JsonError::TooDeep {
                max: self.max_depth,
            });
        }
        self.pos += 1;
        Ok(depth + 1)
    }

    /// Checks and skips one value at `depth` without building it.
    pub(crate) fn skip(&mut self, depth: usize) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'"') => self.string().map(drop),
            Some(b'-' | b'0'..=b'9') => self.number().map(drop),
            Some(b't') => self.literal("true"),
            Some(b'f') => self.literal("false"),
            Some(b'n') => self.literal("null"),
            Some(b'[') => {
                let inner = self.open(depth)?;
                self.elements(b']', |reader| reader.skip(inner))
            }
            Some(b'{') => {
                let inner = self.open(depth)?;
                let mut seen = Seen::default();
                self.elements(b'}', |reader| {
                    seen.insert(reader.string()?)?;
                    reader.expect(b':')?;
                    reader.skip_whitespace();
                    reader.skip(inner)
                })
            }
            _ => Err(SYNTAX),
        }
    }

    fn literal(&mut self, word: &str) -> Result<(), JsonError> {
        let end = self.pos + word.len();
        if self.text.get(self.pos..end) == Some(word) {
            self.pos = end;
            Ok(())
        } else {
            Err(SYNTAX)
        }
    }

    /// Reads a string at the current position (which must be a quote).
    /// Runs without escapes are found eight bytes at a time and borrowed.
    fn string(&mut self) -> Result<Cow<'t, str>, JsonError> {
        self.spanned_string().map(|s| s.value)
    }

    /// A string value, with its span when it had no escapes.
    fn spanned_string(&mut self) -> Result<JsonStr<'t>, JsonError> {
        if self.peek() != Some(b'"') {
            return Err(SYNTAX);
        }
        let start = self.pos + 1;
        let bytes = self.text.as_bytes();
        let mut at = start;
        // Find the first quote, backslash or control character.
        loop {
            match bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
                Some(chunk) => {
                    let found = specials(u64::from_le_bytes(*chunk));
                    if found != 0 {
                        at += (found.trailing_zeros() / 8) as usize;
                        break;
                    }
                    at += 8;
                }
                None => {
                    while bytes
                        .get(at)
                        .is_some_and(|&b| b >= 0x20 && b != b'"' && b != b'\\')
                    {
                        at += 1;
                    }
                    break;
                }
            }
        }
        match bytes.get(at) {
            Some(b'"') => {
                self.pos = at + 1;
                // Both ends are ASCII quotes, so the slice is on boundaries.
                let value = self.text.get(start..at).ok_or(SYNTAX)?;
                Ok(JsonStr {
                    value: Cow::Borrowed(value),
                    span: Some(start..at),
                })
            }
            Some(b'\\') => {
                let mut owned = String::from(self.text.get(start..at).ok_or(SYNTAX)?);
                self.pos = at;
                self.escaped_rest(&mut owned)?;
                Ok(JsonStr {
                    value: Cow::Owned(owned),
                    span: None,
                })
            }
            // A control character, or the end of the text inside a string.
            _ => Err(SYNTAX),
        }
    }

    /// Reads the rest of a string that has escapes, from a backslash or
    /// any later point, through its closing quote.
    fn escaped_rest(&mut self, out: &mut String) -> Result<(), JsonError> {
        loop {
            let run_start = self.pos;
            while let Some(b) = self.peek() {
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(self.text.get(run_start..self.pos).ok_or(SYNTAX)?);
            match self.peek() {
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let escape = self.peek().ok_or(SYNTAX)?;
                    self.pos += 1;
                    let c = match escape {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => self.unicode_escape()?,
                        _ => return Err(SYNTAX),
                    };
                    out.push(c);
                }
                _ => return Err(SYNTAX),
            }
        }
    }

    /// The character of a `\u` escape whose `\u` has been read; a leading
    /// surrogate must be followed at once by an escaped trailing one.
    fn unicode_escape(&mut self) -> Result<char, JsonError> {
        let first = self.hex4()?;
        let code = match first {
            0xDC00..=0xDFFF => return Err(SYNTAX),
            0xD800..=0xDBFF => {
                if self.text.as_bytes().get(self.pos..self.pos + 2) != Some(b"\\u") {
                    return Err(SYNTAX);
                }
                self.pos += 2;
                let second = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&second) {
                    return Err(SYNTAX);
                }
                0x1_0000 + ((first - 0xD800) << 10 | (second - 0xDC00))
            }
            other => other,
        };
        char::from_u32(code).ok_or(SYNTAX)
    }

    fn hex4(&mut self) -> Result<u32, JsonError> {
        let digits = self.text.get(self.pos..self.pos + 4).ok_or(SYNTAX)?;
        if !digits.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(SYNTAX);
        }
        self.pos += 4;
        u32::from_str_radix(digits, 16).map_err(|_| SYNTAX)
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        self.pos - start
    }

    /// The integer part of a number: its digits' value (`None` past
    /// `u64::MAX`) and how many digits it has.
    fn integer_digits(&mut self) -> (Option<u64>, usize) {
        let start = self.pos;
        let mut value = Some(0u64);
        while let Some(digit @ b'0'..=b'9') = self.peek() {
            value = value
                .and_then(|v| v.checked_mul(10))
                .and_then(|v| v.checked_add(u64::from(digit - b'0')));
            self.pos += 1;
        }
        (value, self.pos - start)
    }

    /// Reads a number (RFC 8259 §6) and classifies it as serde_json does.
    fn number(&mut self) -> Result<Registered<'t>, JsonError> {
        let start = self.pos;
        let negative = self.peek() == Some(b'-');
        if negative {
            self.pos += 1;
        }
        let leading_zero = self.peek() == Some(b'0');
        let (magnitude, int_len) = self.integer_digits();
        // One digit at least, and no leading zero before another digit.
        if int_len == 0 || (int_len > 1 && leading_zero) {
            return Err(SYNTAX);
        }
        let mut float = false;
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return Err(SYNTAX);
            }
            float = true;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return Err(SYNTAX);
            }
            float = true;
        }
        let magnitude = magnitude.filter(|_| !float);
        match (magnitude, negative) {
            (Some(m), false) => Ok(i64::try_from(m).map_or(Registered::Huge, Registered::Int)),
            // -0 and anything below i64::MIN are floats to serde_json.
            (Some(m), true) if m != 0 => match 0i64.checked_sub_unsigned(m) {
                Some(v) => Ok(Registered::Int(v)),
                None => Ok(Registered::Float(
                    self.text.get(start..self.pos).ok_or(SYNTAX)?,
                )),
            },
            _ => {
                let text = self.text.get(start..self.pos).ok_or(SYNTAX)?;
                match text.parse::<f64>() {
                    Ok(v) if v.is_finite() => Ok(Registered::Float(text)),
                    _ => Err(SYNTAX),
                }
            }
        }
    }
}
