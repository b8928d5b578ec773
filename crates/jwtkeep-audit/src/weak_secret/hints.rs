//! Mutations of words the user suspects a secret is made of (the app's name,
//! the company, the environment): the way people actually build secrets such
//! as `myapp-secret-2024`, `MyApp_jwt` or `jwt-secret-acme`.

use zeroize::Zeroizing;

/// The most hint words one audit takes (pairs of them are tried too).
pub const MAX_HINTS: usize = 16;

/// Separators people put between the parts of a secret.
const SEPARATORS: [&str; 4] = ["", "-", "_", "."];
/// Words that follow (or precede) the name in a hand-made secret.
const AFFIXES: [&str; 12] = [
    "secret",
    "jwt-secret",
    "jwt_secret",
    "key",
    "jwt",
    "token",
    "auth",
    "secretkey",
    "jwtsecret",
    "signing",
    "prod",
    "dev",
];
/// Number tails that are not years or one- and two-digit numbers.
const TAILS: [&str; 8] = ["123", "1234", "12345", "123456", "!", "1!", "123!", "@123"];

/// The case forms of `word`: as given, lower, upper, capitalised, and with
/// the common letter-for-digit substitutions; duplicates removed.
fn case_forms(word: &str) -> Vec<String> {
    let lower = word.to_lowercase();
    let mut capital = String::new();
    let mut chars = lower.chars();
    if let Some(first) = chars.next() {
        capital.extend(first.to_uppercase());
        capital.push_str(chars.as_str());
    }
    let leet: String = lower
        .chars()
        .map(|c| match c {
            'a' => '4',
            'e' => '3',
            'i' => '1',
            'o' => '0',
            's' => '5',
            't' => '7',
            other => other,
        })
        .collect();
    let mut forms = vec![
        word.to_owned(),
        lower.clone(),
        word.to_uppercase(),
        capital,
        leet,
    ];
    let mut seen = std::collections::HashSet::new();
    forms.retain(|f| !f.is_empty() && seen.insert(f.clone()));
    forms
}

/// The number tails tried after every stem: none, years, 0–99, and a few more.
fn number_tails() -> Vec<String> {
    let mut tails = vec![String::new()];
    tails.extend((1990..=2035).map(|y| y.to_string()));
    tails.extend((0..=9).map(|d| d.to_string()));
    tails.extend((0..=99).map(|d| format!("{d:02}")));
    tails.extend(TAILS.iter().map(|t| (*t).to_owned()));
    tails
}

/// Every stem built from `word`'s case forms: alone, and with an affix
/// before or after it, joined by each separator.
fn stems(word: &str) -> Vec<String> {
    let mut out = Vec::new();
    for form in case_forms(word) {
        out.push(form.clone());
        for affix in AFFIXES {
            for affix in [affix.to_owned(), affix.to_uppercase()] {
                for sep in SEPARATORS {
                    out.push(format!("{form}{sep}{affix}"));
                    out.push(format!("{affix}{sep}{form}"));
                }
            }
        }
    }
    out
}

/// Every mutation of `hints`, one per line, in the order they are tried:
/// each hint's stems with every number tail (directly or after a separator),
/// then each ordered pair of hints joined by each separator. Hints with a
/// line break are skipped; at most [`MAX_HINTS`] are used.
pub fn hint_candidates(hints: &[&str]) -> Zeroizing<Vec<u8>> {
    let hints: Vec<&str> = hints
        .iter()
        .copied()
        .filter(|h| !h.is_empty() && !h.contains(['\n', '\r']))
        .take(MAX_HINTS)
        .collect();
    let tails = number_tails();
    let mut out = Zeroizing::new(Vec::new());
    let mut line = |parts: &[&str]| {
        for part in parts {
            out.extend_from_slice(part.as_bytes());
        }
        out.push(b'\n');
    };
    for hint in &hints {
        for stem in stems(hint) {
            for tail in &tails {
                if tail.is_empty() {
                    line(&[&stem]);
                    continue;
                }
                for sep in SEPARATORS {
                    line(&[&stem, sep, tail]);
                }
            }
        }
    }
    for first in &hints {
        for second in &hints {
            if first == second {
                continue;
            }
            for a in case_forms(first) {
                for b in case_forms(second) {
                    for sep in SEPARATORS {
                        line(&[&a, sep, &b]);
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(buf: &[u8]) -> Vec<String> {
        String::from_utf8(buf.to_vec())
            .unwrap()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn builds_the_secrets_people_actually_make_from_a_name() {
        let all = lines(&hint_candidates(&["myapp", "acme"]));
        for expected in [
            "myapp",
            "myapp-secret-2024",
            "myapp_jwt",
            "Myapp_jwt",
            "MYAPP-SECRET",
            "jwt-secret-acme",
            "jwt.myapp",
            "myappsecretkey123",
            "myapp-secret2024",
            "myapp-key!",
            "myapp-prod-2025",
            "acme-myapp",
            "Acme_Myapp",
            "my4pp-secret",
            "acme-jwt-07",
            "acmetoken1",
        ] {
            assert!(all.iter().any(|l| l == expected), "{expected} missing");
        }
        assert!(!all.iter().any(|l| l.is_empty()));
    }

    #[test]
    fn keeps_the_case_the_user_gave() {
        let all = lines(&hint_candidates(&["MyApp"]));
        assert!(all.iter().any(|l| l == "MyApp_jwt-2024"));
        assert!(all.iter().any(|l| l == "myapp_jwt-2024"));
    }

    #[test]
    fn skips_hints_with_line_breaks_and_caps_their_number() {
        assert!(hint_candidates(&["a\nb", ""]).is_empty());
        let many: Vec<String> = (0..40).map(|i| format!("w{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let all = lines(&hint_candidates(&refs));
        assert!(all.iter().any(|l| l == "w15-secret"));
        assert!(!all.iter().any(|l| l == "w16-secret"));
    }

    #[test]
    fn one_hint_stays_a_short_search() {
        let n = lines(&hint_candidates(&["myapp"])).len();
        assert!((100_000..1_000_000).contains(&n), "{n} candidates");
    }
}
