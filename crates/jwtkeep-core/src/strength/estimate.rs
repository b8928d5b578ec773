//! A guess estimate in the manner of zxcvbn: the text is split into the
//! cheapest sequence of patterns an attacker would try (known secrets,
//! dictionary words with case and leetspeak variations, keyboard walks,
//! sequences, repeats, years) and brute force for the rest. The result is an
//! upper bound on strength, never a certificate: only length and a CSPRNG
//! origin make a secret strong.

use super::lists::{WeakSecrets, Words};

/// Characters beyond this many are counted at the brute-force rate; patterns in
/// them cannot make a secret that is already long enough weak.
pub const MAX_ANALYSED_CHARS: usize = 256;
/// What an attacker pays to choose each further pattern in a sequence, in bits.
const SEGMENT_BITS: f64 = 3.0;
const MIN_WORD_CHARS: usize = 3;
const MAX_WORD_CHARS: usize = 24;
const MIN_KNOWN_SECRET_CHARS: usize = 6;
/// A match counts as a guessable pattern only when it saves an attacker at
/// least this many bits over brute force; random text has incidental matches.
const PATTERN_SAVING_BITS: f64 = 6.0;

/// Words every JWT secret generator sees people use, ranked before the general
/// dictionary (zxcvbn's "user inputs").
const DOMAIN_WORDS: [&str; 48] = [
    "secret",
    "jwt",
    "key",
    "token",
    "my",
    "app",
    "api",
    "auth",
    "signing",
    "sign",
    "access",
    "refresh",
    "private",
    "public",
    "prod",
    "production",
    "staging",
    "stage",
    "dev",
    "development",
    "test",
    "testing",
    "local",
    "hmac",
    "hs256",
    "hs384",
    "hs512",
    "server",
    "service",
    "backend",
    "session",
    "cookie",
    "admin",
    "super",
    "secure",
    "password",
    "pass",
    "default",
    "demo",
    "example",
    "node",
    "express",
    "spring",
    "django",
    "rails",
    "laravel",
    "nest",
    "next",
];
const MAX_KNOWN_SECRET_CHARS: usize = 64;

/// The kinds of pattern the estimator recognises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatternKind {
    /// A secret from the known-weak list inside a longer one.
    KnownSecret,
    /// A common word, name or password.
    Dictionary,
    /// A common word written in leetspeak (`p4ssw0rd`).
    Leetspeak,
    /// Adjacent keys on a QWERTY keyboard (`qwerty`, `asdf`).
    KeyboardWalk,
    /// Evenly spaced characters (`abcd`, `1234`, `9753`).
    Sequence,
    /// A repeated block (`aaaa`, `abcabc`, `secretsecret`).
    Repeat,
    /// A year between 1900 and 2099.
    Year,
    /// A run of digits (brute force over a smaller alphabet; never reported).
    Digits,
    /// A common separator between words (`-`, `_`, `.`).
    Separator,
}

impl PatternKind {
    /// How the pattern is described to a user (without the matched text).
    pub fn describe(self) -> &'static str {
        match self {
            PatternKind::KnownSecret => "a known leaked secret",
            PatternKind::Dictionary => "dictionary words",
            PatternKind::Leetspeak => "leetspeak words",
            PatternKind::KeyboardWalk => "a keyboard walk",
            PatternKind::Sequence => "a character sequence",
            PatternKind::Repeat => "repeated characters",
            PatternKind::Year => "a year",
            PatternKind::Digits => "a run of digits",
            PatternKind::Separator => "separators",
        }
    }
}

/// The estimator's result.
#[derive(Clone, Debug, PartialEq)]
pub struct Estimate {
    /// Estimated guesses, as bits (log2).
    pub bits: f64,
    /// The patterns in the cheapest split, each kind once, in order of kind.
    pub patterns: Vec<PatternKind>,
    /// How many characters the patterns cover.
    pub pattern_chars: usize,
    /// How many characters were looked at.
    pub chars: usize,
}

#[derive(Clone, Copy, Debug)]
struct Match {
    start: usize,
    end: usize,
    bits: f64,
    kind: PatternKind,
}

/// Estimates how many guesses `text` would take.
pub fn estimate(text: &str) -> Estimate {
    estimate_chars(&text.chars().collect::<Vec<_>>(), true)
}

/// The estimate of `all`; repeated blocks are themselves estimated without
/// looking for repeats inside them, which keeps the work linear in practice.
fn estimate_chars(all: &[char], with_repeats: bool) -> Estimate {
    let analysed = all.len().min(MAX_ANALYSED_CHARS);
    let chars = all.get(..analysed).unwrap_or_default();
    let per_char = brute_force_bits_per_char(all);
    let matches = find_matches(chars, with_repeats);
    let (bits, used) = cheapest_split(chars.len(), &matches, per_char);
    let guessable: Vec<&Match> = used
        .iter()
        .filter(|m| {
            m.kind != PatternKind::Digits
                && (m.end - m.start) as f64 * per_char - m.bits >= PATTERN_SAVING_BITS
        })
        .collect();
    let mut patterns: Vec<PatternKind> = guessable.iter().map(|m| m.kind).collect();
    patterns.sort_unstable();
    patterns.dedup();
    Estimate {
        bits: bits + per_char * (all.len() - analysed) as f64,
        patterns,
        pattern_chars: guessable.iter().map(|m| m.end - m.start).sum(),
        chars: all.len(),
    }
}

/// The alphabet an attacker would brute-force, judged from the whole text.
fn brute_force_bits_per_char(chars: &[char]) -> f64 {
    let (mut lower, mut upper, mut digit, mut symbol, mut other) =
        (false, false, false, false, false);
    for c in chars {
        match c {
            'a'..='z' => lower = true,
            'A'..='Z' => upper = true,
            '0'..='9' => digit = true,
            c if c.is_ascii() => symbol = true,
            _ => other = true,
        }
    }
    let is_hex = !chars.is_empty() && chars.iter().all(char::is_ascii_hexdigit);
    let cardinality = if is_hex && !(lower && upper) {
        if lower || upper {
            16
        } else {
            10
        }
    } else if !other
        && chars
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '+' | '/' | '='))
        && lower
        && upper
        && digit
    {
        64
    } else {
        let mut n = 0;
        n += if lower { 26 } else { 0 };
        n += if upper { 26 } else { 0 };
        n += if digit { 10 } else { 0 };
        n += if symbol { 33 } else { 0 };
        n += if other { 100 } else { 0 };
        n.max(1)
    };
    f64::from(cardinality).log2()
}

fn find_matches(chars: &[char], with_repeats: bool) -> Vec<Match> {
    let mut matches = Vec::new();
    dictionary_matches(chars, &mut matches);
    known_secret_matches(chars, &mut matches);
    keyboard_matches(chars, &mut matches);
    sequence_matches(chars, &mut matches);
    if with_repeats {
        repeat_matches(chars, &mut matches);
    }
    digit_matches(chars, &mut matches);
    separator_matches(chars, &mut matches);
    matches
}

fn separator_matches(chars: &[char], out: &mut Vec<Match>) {
    for (start, c) in chars.iter().enumerate() {
        if matches!(c, '-' | '_' | '.' | ' ' | '@' | '#' | '!' | '/') {
            out.push(Match {
                start,
                end: start + 1,
                bits: 3.0,
                kind: PatternKind::Separator,
            });
        }
    }
}

fn word_rank(words: &Words, word: &str) -> Option<u32> {
    match DOMAIN_WORDS.iter().position(|w| *w == word) {
        Some(index) => u32::try_from(index + 1).ok(),
        None if word.len() >= MIN_WORD_CHARS => words.rank(word),
        None => None,
    }
}

/// The cheapest split of `0..len` into matches and brute-forced characters.
/// Returns its cost in bits and the matches it uses.
fn cheapest_split(len: usize, matches: &[Match], per_char: f64) -> (f64, Vec<Match>) {
    #[derive(Clone, Copy)]
    enum Step {
        Start,
        Brute,
        Pattern(usize),
    }
    // best[i]: cheapest cost of the first i characters, and how it ended.
    let mut best: Vec<(f64, Step, bool)> = vec![(f64::INFINITY, Step::Start, false); len + 1];
    if let Some(first) = best.first_mut() {
        *first = (0.0, Step::Start, false);
    }
    let mut by_end: Vec<Vec<usize>> = vec![Vec::new(); len + 1];
    for (index, m) in matches.iter().enumerate() {
        if let Some(list) = by_end.get_mut(m.end) {
            list.push(index);
        }
    }
    for end in 1..=len {
        let Some(&(prev_cost, _, prev_brute)) = best.get(end - 1) else {
            continue;
        };
        // A brute-forced character extends a brute-force run for free; starting
        // one costs a segment.
        let mut choice = (
            prev_cost + per_char + if prev_brute { 0.0 } else { SEGMENT_BITS },
            Step::Brute,
            true,
        );
        for &index in by_end.get(end).map(Vec::as_slice).unwrap_or_default() {
            let Some(m) = matches.get(index) else {
                continue;
            };
            let Some(&(start_cost, _, _)) = best.get(m.start) else {
                continue;
            };
            let cost = start_cost + m.bits + SEGMENT_BITS;
            if cost < choice.0 {
                choice = (cost, Step::Pattern(index), false);
            }
        }
        if let Some(slot) = best.get_mut(end) {
            *slot = choice;
        }
    }
    let mut used = Vec::new();
    let mut at = len;
    while at > 0 {
        match best.get(at).map(|b| b.1) {
            Some(Step::Pattern(index)) => {
                let Some(&m) = matches.get(index) else { break };
                used.push(m);
                at = m.start;
            }
            Some(Step::Brute) => at -= 1,
            Some(Step::Start) | None => break,
        }
    }
    used.reverse();
    (best.get(len).map_or(0.0, |b| b.0), used)
}

/// log2 of the number of ways the upper-case letters of a word could be placed,
/// as zxcvbn counts them: nothing for all lower, one bit for Capitalised or ALL
/// CAPS, otherwise the binomial sum.
fn case_bits(word: &[char]) -> f64 {
    let upper = word.iter().filter(|c| c.is_ascii_uppercase()).count();
    let lower = word.iter().filter(|c| c.is_ascii_lowercase()).count();
    if upper == 0 {
        return 0.0;
    }
    let capitalised = word.first().is_some_and(char::is_ascii_uppercase) && upper == 1;
    if capitalised || lower == 0 {
        return 1.0;
    }
    let n = upper + lower;
    let mut sum = 0.0;
    let mut binomial = 1.0;
    for i in 1..=upper.min(lower) {
        binomial = binomial * (n + 1 - i) as f64 / i as f64;
        sum += binomial;
    }
    sum.max(1.0).log2()
}

fn unleet(c: char, one_as: char) -> char {
    match c {
        '0' => 'o',
        '1' => one_as,
        '3' => 'e',
        '4' | '@' => 'a',
        '5' | '$' => 's',
        '7' | '+' => 't',
        '8' => 'b',
        '9' => 'g',
        '!' | '|' => 'i',
        other => other.to_ascii_lowercase(),
    }
}

fn dictionary_matches(chars: &[char], out: &mut Vec<Match>) {
    let words = Words::get();
    let lower: Vec<char> = chars.iter().map(char::to_ascii_lowercase).collect();
    let leet_i: Vec<char> = chars.iter().map(|&c| unleet(c, 'i')).collect();
    let leet_l: Vec<char> = chars.iter().map(|&c| unleet(c, 'l')).collect();
    let mut word = String::with_capacity(MAX_WORD_CHARS * 4);
    for start in 0..chars.len() {
        let longest = (chars.len() - start).min(MAX_WORD_CHARS);
        for len in 2..=longest {
            let range = start..start + len;
            let (Some(original), Some(plain)) =
                (chars.get(range.clone()), lower.get(range.clone()))
            else {
                continue;
            };
            word.clear();
            word.extend(plain);
            let mut best: Option<(f64, PatternKind)> = None;
            if let Some(rank) = word_rank(words, &word) {
                best = Some((
                    f64::from(rank).log2() + case_bits(original),
                    PatternKind::Dictionary,
                ));
            }
            for leet in [&leet_i, &leet_l] {
                let Some(unleeted) = leet.get(range.clone()) else {
                    continue;
                };
                if unleeted == plain {
                    continue;
                }
                word.clear();
                word.extend(unleeted);
                if let Some(rank) = word_rank(words, &word) {
                    let substitutions = unleeted.iter().zip(plain).filter(|(a, b)| a != b).count();
                    let bits = f64::from(rank).log2() + case_bits(original) + substitutions as f64;
                    if best.is_none_or(|(b, _)| bits < b) {
                        best = Some((bits, PatternKind::Leetspeak));
                    }
                }
            }
            if let Some((bits, kind)) = best {
                out.push(Match {
                    start,
                    end: start + len,
                    bits,
                    kind,
                });
            }
        }
    }
}

fn known_secret_matches(chars: &[char], out: &mut Vec<Match>) {
    let list = WeakSecrets::get();
    let bits = (list.len().max(1) as f64).log2();
    let mut buf = String::new();
    for start in 0..chars.len() {
        let longest = (chars.len() - start).min(MAX_KNOWN_SECRET_CHARS);
        for len in MIN_KNOWN_SECRET_CHARS..=longest {
            let Some(slice) = chars.get(start..start + len) else {
                continue;
            };
            buf.clear();
            buf.extend(slice);
            if list.contains(buf.as_bytes()) {
                out.push(Match {
                    start,
                    end: start + len,
                    bits,
                    kind: PatternKind::KnownSecret,
                });
            }
        }
    }
}

/// Position of a key on a US QWERTY keyboard: row, and horizontal offset in
/// key widths (rows are staggered), and whether shift is needed.
fn key_position(c: char) -> Option<(i32, f64, bool)> {
    const ROWS: [(&str, &str, f64); 4] = [
        ("`1234567890-=", "~!@#$%^&*()_+", 0.0),
        ("qwertyuiop[]\\", "QWERTYUIOP{}|", 0.5),
        ("asdfghjkl;'", "ASDFGHJKL:\"", 0.75),
        ("zxcvbnm,./", "ZXCVBNM<>?", 1.25),
    ];
    for (row, (plain, shifted, offset)) in (0i32..).zip(ROWS) {
        if let Some(col) = plain.chars().position(|k| k == c) {
            return Some((row, offset + col as f64, false));
        }
        if let Some(col) = shifted.chars().position(|k| k == c) {
            return Some((row, offset + col as f64, true));
        }
    }
    None
}

fn keyboard_matches(chars: &[char], out: &mut Vec<Match>) {
    const MIN_WALK: usize = 4;
    let positions: Vec<Option<(i32, f64, bool)>> = chars.iter().map(|&c| key_position(c)).collect();
    for start in 0..chars.len() {
        let mut turns = 1u32;
        let mut shifted = 0u32;
        let mut direction: Option<(i32, bool)> = None;
        let mut end = start + 1;
        if matches!(positions.get(start), Some(Some((_, _, true)))) {
            shifted += 1;
        }
        while let (Some(Some(a)), Some(Some(b))) = (positions.get(end - 1), positions.get(end)) {
            let (drow, dx) = (b.0 - a.0, b.1 - a.1);
            let adjacent =
                (drow == 0 && (dx.abs() - 1.0).abs() < 1e-9) || (drow.abs() == 1 && dx.abs() < 1.0);
            if !adjacent {
                break;
            }
            let dir = (drow, dx > 0.0);
            if direction.is_some_and(|d| d != dir) {
                turns += 1;
            }
            direction = Some(dir);
            if b.2 {
                shifted += 1;
            }
            end += 1;
            if end - start >= MIN_WALK {
                let len = (end - start) as f64;
                let bits = (47.0 * len).log2() + 2.0 * f64::from(turns) + f64::from(shifted.min(1));
                out.push(Match {
                    start,
                    end,
                    bits,
                    kind: PatternKind::KeyboardWalk,
                });
            }
        }
    }
}

fn sequence_matches(chars: &[char], out: &mut Vec<Match>) {
    const MIN_SEQUENCE: usize = 3;
    let class = |c: char| {
        if c.is_ascii_alphabetic() {
            Some(26.0)
        } else if c.is_ascii_digit() {
            Some(10.0)
        } else {
            None
        }
    };
    for start in 0..chars.len() {
        let Some(&first) = chars.get(start) else {
            continue;
        };
        let Some(base) = class(first) else { continue };
        let mut delta: Option<i64> = None;
        let mut end = start + 1;
        while let (Some(&a), Some(&b)) = (chars.get(end - 1), chars.get(end)) {
            if class(b) != Some(base) || a.is_ascii_digit() != b.is_ascii_digit() {
                break;
            }
            let d = i64::from(u32::from(b)) - i64::from(u32::from(a));
            if !(d == 1 || d == -1 || d == 2 || d == -2) || delta.is_some_and(|x| x != d) {
                break;
            }
            delta = Some(d);
            end += 1;
            if end - start >= MIN_SEQUENCE {
                let obvious = matches!(first, 'a' | 'A' | 'z' | 'Z' | '0' | '1' | '9');
                let start_bits = if obvious { 2.0 } else { f64::log2(base) };
                let descending = if delta.is_some_and(|d| d < 0) {
                    1.0
                } else {
                    0.0
                };
                let bits = start_bits + ((end - start) as f64).log2() + descending;
                out.push(Match {
                    start,
                    end,
                    bits,
                    kind: PatternKind::Sequence,
                });
            }
        }
    }
}

fn repeat_matches(chars: &[char], out: &mut Vec<Match>) {
    const MAX_BLOCK: usize = 32;
    // Each distinct block is estimated once.
    let mut block_bits: std::collections::HashMap<&[char], f64> = std::collections::HashMap::new();
    for start in 0..chars.len() {
        let rest = chars.len() - start;
        for block in 1..=(rest / 2).min(MAX_BLOCK) {
            let Some(base) = chars.get(start..start + block) else {
                continue;
            };
            let mut reps = 1;
            while chars
                .get(start + reps * block..start + (reps + 1) * block)
                .is_some_and(|next| next == base)
            {
                reps += 1;
            }
            if reps < 2 || block * reps < 3 {
                continue;
            }
            let base_bits = *block_bits.entry(base).or_insert_with(|| {
                if block == 1 {
                    brute_force_bits_per_char(base).max(f64::from(26u8).log2())
                } else {
                    estimate_chars(base, false).bits
                }
            });
            out.push(Match {
                start,
                end: start + reps * block,
                bits: base_bits + (reps as f64).log2(),
                kind: PatternKind::Repeat,
            });
        }
    }
}

fn digit_matches(chars: &[char], out: &mut Vec<Match>) {
    for start in 0..chars.len() {
        let run = chars
            .get(start..)
            .unwrap_or_default()
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if start > 0 && chars.get(start - 1).is_some_and(char::is_ascii_digit) {
            continue;
        }
        for len in 2..=run {
            let Some(digits) = chars.get(start..start + len) else {
                continue;
            };
            if len == 4 {
                let year: String = digits.iter().collect();
                if let Ok(y @ 1900..=2099) = year.parse::<u32>() {
                    let _ = y;
                    out.push(Match {
                        start,
                        end: start + 4,
                        bits: 200f64.log2(),
                        kind: PatternKind::Year,
                    });
                }
            }
            out.push(Match {
                start,
                end: start + len,
                bits: len as f64 * 10f64.log2(),
                kind: PatternKind::Digits,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bits(text: &str) -> f64 {
        estimate(text).bits
    }

    #[test]
    fn app_secret_year_is_cheap() {
        let e = estimate("myapp-secret-2024");
        assert!(e.bits < 70.0, "{e:?}");
        assert!(e.patterns.contains(&PatternKind::Dictionary));
        assert!(e.patterns.contains(&PatternKind::Year));
    }

    #[test]
    fn leetspeak_keyboard_sequences_and_repeats_are_recognised() {
        assert!(
            estimate("p4ssw0rd")
                .patterns
                .contains(&PatternKind::Leetspeak)
                || bits("p4ssw0rd") < 20.0
        );
        let walk: Vec<char> = "zxcvbnmasdfghjkl".chars().collect();
        assert!(find_matches(&walk, true)
            .iter()
            .any(|m| m.kind == PatternKind::KeyboardWalk && m.end - m.start == 7));
        assert!(bits("zxcvbnmasdfghjkl") < 40.0);
        assert!(estimate("abcdefghijklmnop")
            .patterns
            .contains(&PatternKind::Sequence));
        assert!(estimate("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
            .patterns
            .contains(&PatternKind::Repeat));
        assert!(bits("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa") < 20.0);
        assert!(bits("secretsecretsecretsecretsecretsecret") < 30.0);
    }

    #[test]
    fn random_base64url_keeps_nearly_full_entropy() {
        // 32 bytes from a CSPRNG, base64url: about 256 bits.
        let e = estimate("kQ0d3Lw9o7fZbU1hXr2yTq8vNc5sJm4eAa6iGp-_Hk0");
        assert!(e.bits > 230.0, "{e:?}");
    }

    #[test]
    fn hex_is_counted_at_four_bits_per_character() {
        let e = estimate("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08");
        assert!(e.bits > 230.0 && e.bits < 270.0, "{e:?}");
    }

    #[test]
    fn empty_text_has_no_entropy() {
        assert_eq!(bits(""), 0.0);
    }
}
