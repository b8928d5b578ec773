//! Token lifetimes as source code writes them, in seconds: `"30d"` and
//! `"2 days"` (the `ms` package behind jsonwebtoken), `86400 * 7`, Go's
//! `24 * time.Hour`, Python's `timedelta(days=30)`, Rust's `Duration::days(30)`.

use super::rules::Unit;

/// Seconds in one `unit` word, as `ms` and most people spell them.
fn unit_secs(unit: &str) -> Option<u64> {
    let secs = match unit.trim().to_ascii_lowercase().as_str() {
        "ms" | "msec" | "msecs" | "millisecond" | "milliseconds" => 0,
        "" | "s" | "sec" | "secs" | "second" | "seconds" => 1,
        "m" | "min" | "mins" | "minute" | "minutes" => 60,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        "w" | "week" | "weeks" => 7 * 86_400,
        "y" | "yr" | "yrs" | "year" | "years" => 365 * 86_400,
        _ => return None,
    };
    Some(secs)
}

/// `"30d"`, `"2 days"`, `"1.5h"`. A bare number in a string is milliseconds,
/// as the `ms` package reads it.
pub(crate) fn from_ms_text(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let value: f64 = number.parse().ok()?;
    if unit.trim().is_empty() {
        return Some(whole(value / 1000.0));
    }
    let per = unit_secs(unit)?;
    if per == 0 {
        return Some(whole(value / 1000.0));
    }
    // Precision beyond whole seconds does not matter for a one-day threshold.
    #[allow(clippy::cast_precision_loss)]
    Some(whole(value * per as f64))
}

/// Rounds a non-negative number of seconds down, saturating.
fn whole(secs: f64) -> u64 {
    if secs.is_finite() && secs > 0.0 {
        // Saturating by construction: clamped to u64's range first.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let n = secs.min(u64::MAX as f64) as u64;
        n
    } else {
        0
    }
}

/// A product of integers (`86400 * 30`, `1000L * 60`), in `unit`.
pub(crate) fn from_product(text: &str, unit: Unit) -> Option<u64> {
    let mut product: u64 = 1;
    for factor in text.split('*') {
        let digits: String = factor
            .trim()
            .trim_end_matches(['L', 'l'])
            .chars()
            .filter(|c| *c != '_')
            .collect();
        product = product.saturating_mul(digits.parse().ok()?);
    }
    Some(match unit {
        Unit::Secs => product,
        Unit::Millis => product / 1000,
    })
}

/// Go: `24 * time.Hour * 30`, `time.Minute * 15`, `time.Duration(72) * time.Hour`.
pub(crate) fn from_go(text: &str) -> Option<u64> {
    let mut product: u64 = 1;
    let mut saw_unit = false;
    for factor in text.split('*') {
        let factor = factor.trim();
        let factor = factor
            .strip_prefix("time.Duration(")
            .and_then(|f| f.strip_suffix(')'))
            .unwrap_or(factor);
        let value = match factor {
            "time.Hour" => 3600,
            "time.Minute" => 60,
            "time.Second" => 1,
            "time.Millisecond" | "time.Microsecond" | "time.Nanosecond" => 0,
            other => other.replace('_', "").parse().ok()?,
        };
        saw_unit |= factor.starts_with("time.");
        product = product.saturating_mul(value);
    }
    saw_unit.then_some(product)
}

/// Python: the arguments of `timedelta(...)`: `days=30`, `hours=48`, or a
/// first positional number of days.
pub(crate) fn from_timedelta(args: &str) -> Option<u64> {
    let mut total: u64 = 0;
    for (i, arg) in args.split(',').enumerate() {
        let arg = arg.trim();
        if arg.is_empty() {
            continue;
        }
        let (unit, value) = match arg.split_once('=') {
            Some((name, value)) => (name.trim(), value.trim()),
            None if i == 0 => ("days", arg),
            None => return None,
        };
        let per = unit_secs(unit)?;
        let value: f64 = value.replace('_', "").parse().ok()?;
        // Precision beyond whole seconds does not matter here.
        #[allow(clippy::cast_precision_loss)]
        let secs = whole(value * per as f64);
        total = total.saturating_add(secs);
    }
    Some(total)
}

/// Rust: `Duration::days(30)` and friends, given the unit word and number.
pub(crate) fn from_unit_and_number(unit: &str, number: &str) -> Option<u64> {
    let n: u64 = number.replace('_', "").parse().ok()?;
    Some(n.saturating_mul(unit_secs(unit)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lifetimes_the_way_each_ecosystem_writes_them() {
        assert_eq!(from_ms_text("30d"), Some(30 * 86_400));
        assert_eq!(from_ms_text("2 days"), Some(2 * 86_400));
        assert_eq!(from_ms_text("1.5h"), Some(5400));
        assert_eq!(from_ms_text("15m"), Some(900));
        assert_eq!(
            from_ms_text("120"),
            Some(0),
            "a bare string is milliseconds"
        );
        assert_eq!(from_ms_text("1y"), Some(365 * 86_400));
        assert_eq!(from_ms_text("soon"), None);
        assert_eq!(from_product("86400 * 7", Unit::Secs), Some(604_800));
        assert_eq!(
            from_product("1000L * 60 * 60 * 48", Unit::Millis),
            Some(172_800)
        );
        assert_eq!(from_product("3_600", Unit::Secs), Some(3600));
        assert_eq!(from_product("x * 2", Unit::Secs), None);
        assert_eq!(from_go("24 * time.Hour * 30"), Some(2_592_000));
        assert_eq!(from_go("time.Minute * 15"), Some(900));
        assert_eq!(from_go("time.Duration(72) * time.Hour"), Some(259_200));
        assert_eq!(from_go("ttl"), None);
        assert_eq!(from_timedelta("days=30"), Some(2_592_000));
        assert_eq!(from_timedelta("hours=1, minutes=30"), Some(5400));
        assert_eq!(from_timedelta("7"), Some(604_800));
        assert_eq!(from_timedelta("days=cfg.ttl"), None);
        assert_eq!(from_unit_and_number("days", "30"), Some(2_592_000));
        assert_eq!(from_unit_and_number("hours", "2"), Some(7200));
    }
}
