//! The one fact jwtkeep reads from an X.509 certificate itself: when it
//! stops being valid (the service reports it for the certificate it serves).

use crate::der::{tag, Reader};

/// UTCTime and GeneralizedTime (RFC 5280 §4.1.2.5).
const UTC_TIME: u8 = 0x17;
const GENERALIZED_TIME: u8 = 0x18;
/// The explicit `[0]` tag of the version field.
const VERSION: u8 = 0xa0;

/// The `notAfter` of a DER certificate, seconds since the epoch; `None`
/// when the structure is not a certificate's.
pub fn certificate_not_after(der: &[u8]) -> Option<i64> {
    let mut outer = Reader::new(der);
    let mut certificate = Reader::new(outer.read(tag::SEQUENCE).ok()?);
    let mut tbs = Reader::new(certificate.read(tag::SEQUENCE).ok()?);
    if tbs.peek_tag() == Some(VERSION) {
        tbs.read(VERSION).ok()?;
    }
    tbs.read(tag::INTEGER).ok()?; // serialNumber
    tbs.read(tag::SEQUENCE).ok()?; // signature
    tbs.read(tag::SEQUENCE).ok()?; // issuer
    let mut validity = Reader::new(tbs.read(tag::SEQUENCE).ok()?);
    read_time(&mut validity)?; // notBefore
    let not_after = read_time(&mut validity)?;
    validity.finish().ok()?;
    Some(not_after)
}

/// A UTCTime (`YYMMDDHHMMSSZ`, years 1950 to 2049) or GeneralizedTime
/// (`YYYYMMDDHHMMSSZ`), as RFC 5280 writes them, in seconds since the epoch.
fn read_time(reader: &mut Reader<'_>) -> Option<i64> {
    let (text, year) = match reader.peek_tag()? {
        UTC_TIME => {
            let text = reader.read(UTC_TIME).ok()?;
            let yy = digits(text.get(..2)?)?;
            (text.get(2..)?, if yy >= 50 { 1900 + yy } else { 2000 + yy })
        }
        GENERALIZED_TIME => {
            let text = reader.read(GENERALIZED_TIME).ok()?;
            (text.get(4..)?, digits(text.get(..4)?)?)
        }
        _ => return None,
    };
    let [m1, m2, d1, d2, h1, h2, n1, n2, s1, s2, b'Z'] = *text else {
        return None;
    };
    let (month, day) = (digits(&[m1, m2])?, digits(&[d1, d2])?);
    let (hour, minute, second) = (digits(&[h1, h2])?, digits(&[n1, n2])?, digits(&[s1, s2])?);
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// ASCII decimal digits as a number.
fn digits(text: &[u8]) -> Option<i64> {
    text.iter().try_fold(0i64, |n, &b| {
        b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
    })
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (Howard
/// Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_match_known_dates() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 12, 5) * 86_400, 1_796_428_800);
    }

    #[test]
    fn both_time_forms_and_nonsense_are_read_as_rfc_5280_says() {
        let time = |tag: u8, text: &str| {
            let mut der = Vec::new();
            crate::der::write_tlv(&mut der, tag, text.as_bytes());
            der
        };
        let read = |der: Vec<u8>| read_time(&mut Reader::new(&der));
        assert_eq!(read(time(UTC_TIME, "491231235959Z")), Some(2_524_607_999));
        assert_eq!(read(time(UTC_TIME, "500101000000Z")), Some(-631_152_000));
        assert_eq!(
            read(time(GENERALIZED_TIME, "20261205000000Z")),
            Some(1_796_428_800)
        );
        for bad in [
            "261305000000Z",
            "2612050000Z",
            "26120500000Z0",
            "26120500000+Z",
        ] {
            assert_eq!(read(time(UTC_TIME, bad)), None, "{bad}");
        }
        assert_eq!(certificate_not_after(b"not a certificate"), None);
    }
}
