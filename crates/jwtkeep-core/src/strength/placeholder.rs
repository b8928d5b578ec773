//! Values that were never meant to be secrets: defaults from tutorials and
//! templates left in place.

/// Whether `text` looks like a placeholder rather than a secret.
pub fn is_placeholder(text: &str) -> bool {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return true;
    }
    // Template syntax that was never filled in: <secret>, ${JWT_SECRET}, {{ secret }}, %(secret)s.
    let wrapped = |open: &str, close: &str| trimmed.starts_with(open) && trimmed.ends_with(close);
    if wrapped("<", ">")
        || wrapped("${", "}")
        || wrapped("{{", "}}")
        || wrapped("%(", ")s")
        || wrapped("[", "]")
    {
        return true;
    }
    // Letters and digits only, lower case: "Change-Me!" and "change_me" alike.
    let folded: String = trimmed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if folded.is_empty() || folded.chars().all(|c| c == 'x') || folded.chars().all(|c| c == '0') {
        return true;
    }
    const EXACT: [&str; 12] = [
        "secret",
        "jwtsecret",
        "password",
        "key",
        "secretkey",
        "test",
        "todo",
        "tbd",
        "default",
        "none",
        "null",
        "undefined",
    ];
    const CONTAINS: [&str; 16] = [
        "changeme",
        "changethis",
        "replaceme",
        "replacethis",
        "yoursecret",
        "yourjwtsecret",
        "your256bitsecret",
        "your384bitsecret",
        "your512bitsecret",
        "putyour",
        "insertyour",
        "enteryour",
        "placeholder",
        "secretgoeshere",
        "fixme",
        "xxxx",
    ];
    // A phrase must be a real share of the text (a quarter at least): random
    // text contains "xxxx" now and then.
    EXACT.contains(&folded.as_str())
        || CONTAINS
            .iter()
            .any(|p| folded.contains(p) && p.len() * 4 >= folded.len())
}

#[cfg(test)]
mod tests {
    use super::is_placeholder;

    #[test]
    fn tutorial_defaults_are_placeholders() {
        for text in [
            "changeme",
            "Change-Me!",
            "your-256-bit-secret",
            "<secret>",
            "${JWT_SECRET}",
            "{{ jwt_secret }}",
            "xxx",
            "XXXXXXXXXXXXXXXX",
            "TODO",
            "replace_me_in_production",
            "",
            "   ",
        ] {
            assert!(is_placeholder(text), "{text:?}");
        }
    }

    #[test]
    fn random_text_is_not_a_placeholder() {
        assert!(!is_placeholder(
            "kQ0d3Lw9o7fZbU1hXr2yTq8vNc5sJm4eAa6iGp-_Hk0"
        ));
        assert!(!is_placeholder("myapp-secret-2024"));
    }
}
