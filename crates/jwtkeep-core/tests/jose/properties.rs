//! Properties over generated input: nothing a caller can hand the parser,
//! the verifier, the inspector or the strength checker makes it panic, and
//! signing then verifying gives back exactly the claims signed.

use std::sync::OnceLock;

use jwtkeep_core::inspect::{decode_unverified, lint_token};
use jwtkeep_core::strength::{check, InputEncoding};
use jwtkeep_core::{
    sign_claims, Algorithm, HeaderFields, Key, KeyPair, KeyRing, Policy, Secret, Verifier,
};
use proptest::prelude::*;
use serde_json::{Map, Value};

const NOW: i64 = 1_800_000_000;

fn keys() -> &'static [Key] {
    static KEYS: OnceLock<Vec<Key>> = OnceLock::new();
    KEYS.get_or_init(|| {
        let mut keys = vec![Key::from_secret(&hmac_secret(), Algorithm::Hs256, None).unwrap()];
        for alg in [Algorithm::Es256, Algorithm::EdDsa] {
            let pair = KeyPair::generate(alg, 0, None).unwrap();
            keys.push(Key::from_pem(&pair.private_pem(), alg, None).unwrap());
        }
        keys
    })
}

fn verifier(index: usize) -> Verifier {
    let key = &keys()[index];
    // Verification uses only what a verifier would hold: the public JWK, or the shared secret.
    let public = match key.public_jwk() {
        Some(jwk) => Key::from_jwk(&jwk, None).unwrap(),
        None => Key::from_secret(&hmac_secret(), Algorithm::Hs256, None).unwrap(),
    };
    Verifier::new(KeyRing::single(public), Policy::new())
}

fn claim_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<bool>().prop_map(Value::from),
        "\\PC{0,20}".prop_map(Value::from),
        proptest::collection::vec("[a-z]{0,5}", 0..4).prop_map(Value::from),
    ]
}

fn token_like() -> impl Strategy<Value = String> {
    let segment = "[A-Za-z0-9_=+/. -]{0,80}";
    prop_oneof![
        "\\PC{0,300}",
        (segment, segment, segment).prop_map(|(a, b, c)| format!("{a}.{b}.{c}")),
        ("\\PC{0,120}", "\\PC{0,120}").prop_map(|(h, p)| {
            use base64::Engine as _;
            let e = jwtkeep_core::encoding::BASE64URL;
            format!("{}.{}.AAAA", e.encode(h), e.encode(p))
        }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn parsing_and_verifying_never_panic(token in token_like()) {
        for index in 0..3 {
            let v = verifier(index);
            let _ = v.verify_at(&token, NOW);
            let _ = v.verify_signature_only_at(&token, NOW);
        }
        if let Ok(decoded) = decode_unverified(&token) {
            let _ = lint_token(&decoded, NOW);
        }
    }

    #[test]
    fn strength_check_never_panics(text in "\\PC{0,200}") {
        for encoding in [InputEncoding::Auto, InputEncoding::Raw, InputEncoding::Hex, InputEncoding::Base64] {
            let _ = check(&text, encoding, Algorithm::Hs256);
        }
    }

    #[test]
    fn sign_then_verify_returns_the_claims(
        extra in proptest::collection::btree_map("[a-z]{1,8}", claim_value(), 0..6),
        index in 0usize..3,
    ) {
        let mut claims: Map<String, Value> = extra.into_iter().collect();
        for reserved in ["iss", "sub", "aud", "exp", "nbf", "iat", "jti"] {
            claims.remove(reserved);
        }
        claims.insert("exp".into(), Value::from(NOW + 60));
        let key = &keys()[index];
        let token = sign_claims(key, &HeaderFields::default(), &claims).unwrap();
        let verified = verifier(index).verify_at(&token, NOW).unwrap();
        prop_assert_eq!(&verified.payload().to_map(), &claims);
    }
}

/// The shared HMAC secret of the property tests.
fn hmac_secret() -> Secret {
    static SECRET: OnceLock<Secret> = OnceLock::new();
    SECRET
        .get_or_init(|| Secret::generate(Algorithm::Hs256, None).unwrap())
        .clone()
}

// ------------------------------------------ the JSON readers against serde_json

/// Member names that the readers treat specially, and a few others.
fn member_name() -> impl Strategy<Value = String> {
    "iss|sub|aud|exp|nbf|iat|jti|alg|kid|typ|crit|b64|[a-c]{1,2}"
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,10}|[\"\\\\/\u{0}-\u{1f}é\u{1F600}]{0,5}|HS256|ES256|none|JWT"
            .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((member_name(), inner), 0..4)
                .prop_map(|members| Value::Object(members.into_iter().collect())),
        ]
    })
}

/// An object written member by member, so that names may repeat.
fn object_text() -> impl Strategy<Value = String> {
    proptest::collection::vec((member_name(), json_value()), 0..6).prop_map(|members| {
        let members: Vec<String> = members
            .iter()
            .map(|(name, value)| format!("{}:{value}", Value::from(name.as_str())))
            .collect();
        format!("{{{}}}", members.join(","))
    })
}

/// Pieces that make JSON subtly wrong, or subtly right.
const FRAGMENTS: &[&str] = &[
    "\\",
    "\"",
    "\\u",
    "\\uD800",
    "\\uDC00",
    "\\ud83d\\ude00",
    "\\u00e9",
    "\\/",
    "\\x",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "-",
    "0",
    "01",
    "1.",
    ".5",
    "1.5",
    "e",
    "E+",
    "1e400",
    "-1e-400",
    "-0",
    "18446744073709551616",
    "9223372036854775808",
    "-9223372036854775809",
    "253402300800",
    " ",
    "\t",
    "\n",
    "\r",
    "\u{1}",
    "\u{7f}",
    "é",
    "true",
    "fals",
    "null",
    "\"exp\":",
    "\"aud\":[",
    "{\"a\":1,\"a\":2}",
    "[[[[[[1]]]]]]",
    "\"alg\":\"HS256\"",
    "\"crit\":[]",
    "\"b64\":true",
];

/// `text` with a few insertions, deletions and replacements.
fn mutated() -> impl Strategy<Value = String> {
    let edit = (
        any::<prop::sample::Index>(),
        0u8..3,
        prop::sample::select(FRAGMENTS),
    );
    (object_text(), proptest::collection::vec(edit, 0..4)).prop_map(|(mut text, edits)| {
        for (at, kind, fragment) in edits {
            let boundaries: Vec<usize> = text
                .char_indices()
                .map(|(i, _)| i)
                .chain([text.len()])
                .collect();
            let i = boundaries[at.index(boundaries.len())];
            let next = text[i..].chars().next().map_or(i, |c| i + c.len_utf8());
            match kind {
                0 => text.insert_str(i, fragment),
                1 => text.replace_range(i..next, ""),
                _ => text.replace_range(i..next, fragment),
            }
        }
        text
    })
}

/// A number as JSON writes it, or as it must not be written.
fn sloppy_number() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|n| n.to_string()),
        prop::sample::select(
            &[
                "0",
                "-0",
                "01",
                "00",
                "-01",
                "+1",
                "1.",
                "-",
                ".5",
                "1e",
                "1e+",
                "1E-5",
                "1e400",
                "-1e400",
                "1e-400",
                "0e999999999999999999999",
                "0.0",
                "-0.0",
                "1.5e3",
                "18446744073709551615",
                "18446744073709551616",
                "9223372036854775807",
                "9223372036854775808",
                "-9223372036854775808",
                "-9223372036854775809",
                "253402300799",
                "253402300800",
                "1700000000.5",
            ][..]
        )
        .prop_map(str::to_owned),
    ]
}

/// A string as JSON writes it, or with a flaw: raw control characters,
/// unknown or short escapes, lone surrogates, no closing quote.
fn sloppy_string() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        "[a-zA-Z0-9 ./:_-]{0,6}",
        "\\PC{0,3}",
        prop::sample::select(
            &[
                "\\n",
                "\\\"",
                "\\\\",
                "\\/",
                "\\b",
                "\\u0041",
                "\\u00e9",
                "\\uD83D\\uDE00",
                "\\uD800",
                "\\uDC00",
                "\\uDFFF",
                "\\uD800\\u0041",
                "\\uD800\\uD800",
                "\\uDBFF\\uDFFF",
                "\\x",
                "\\u12",
                "\\U0041",
                "\\u00G0",
                "\u{1}",
                "\u{1f}",
                "\u{7f}",
                "é",
                "\u{1F600}",
            ][..]
        )
        .prop_map(str::to_owned),
    ];
    (
        proptest::collection::vec(piece, 0..4),
        prop::sample::select(&["\"", "\"", "\"", ""][..]),
    )
        .prop_map(|(pieces, close)| format!("\"{}{close}", pieces.concat()))
}

/// JSON that is right most of the time and wrong in every way that matters
/// some of the time: numbers, strings, literals, separators, nesting.
fn sloppy_value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        sloppy_number(),
        sloppy_string(),
        prop::sample::select(
            &[
                "true",
                "false",
                "null",
                "tru",
                "nul",
                "True",
                "\"HS256\"",
                "\"none\""
            ][..]
        )
        .prop_map(str::to_owned),
    ];
    let comma = || prop::sample::select(&[",", ",", ",", ", ", " ,", "\n,\t", ",,", ""][..]);
    leaf.prop_recursive(5, 32, 4, move |inner| {
        let member = (
            prop_oneof![
                member_name().prop_map(|n| format!("\"{n}\"")),
                sloppy_string(),
            ],
            prop::sample::select(&[":", ":", ":", " : ", "", "::"][..]),
            inner.clone(),
            comma(),
        )
            .prop_map(|(name, colon, value, comma)| format!("{name}{colon}{value}{comma}"));
        prop_oneof![
            (proptest::collection::vec((inner, comma()), 0..4)).prop_map(|items| format!(
                "[{}]",
                items
                    .iter()
                    .map(|(v, c)| format!("{v}{c}"))
                    .collect::<String>()
            )),
            proptest::collection::vec(member, 0..5)
                .prop_map(|members| format!("{{{}}}", members.concat())),
        ]
    })
}

/// A top-level object of sloppy members (the readers' usual input), most
/// of them named as registered claims or header members.
fn sloppy_object() -> impl Strategy<Value = String> {
    let name = prop_oneof![
        3 => "iss|sub|aud|exp|nbf|iat|jti|alg|kid|typ|b64",
        1 => member_name(),
    ];
    let value = prop_oneof![3 => sloppy_number(), 2 => sloppy_string(), 3 => sloppy_value()];
    (
        proptest::collection::vec((name, value), 0..6),
        prop::sample::select(&["", " ", "\n", "x", "}", " {}"][..]),
    )
        .prop_map(|(members, after)| {
            let members: Vec<String> = members
                .iter()
                .map(|(name, value)| format!("\"{name}\":{value}"))
                .collect();
            format!("{{{}}}{after}", members.join(","))
        })
}

/// The corners of RFC 8259 and of serde_json's number classes, each read
/// by both readers as a claim, a header member and an ordinary member.
#[test]
fn json_readers_agree_on_the_corners() {
    let corners = [
        "-0",
        "0",
        "01",
        "-01",
        "1.",
        ".5",
        "1e",
        "1e400",
        "-1e400",
        "1e-400",
        "1.0",
        "1E+2",
        "9223372036854775807",
        "9223372036854775808",
        "-9223372036854775808",
        "-9223372036854775809",
        "18446744073709551615",
        "18446744073709551616",
        "253402300799",
        "253402300800",
        "true",
        "false",
        "null",
        "[]",
        "{}",
        "[\"a\"]",
        "[\"a\",1]",
        "[[\"a\"]]",
        "{\"a\":1,\"a\":1}",
        "\"\\uD800\"",
        "\"\\uDC00\"",
        "\"\\uD83D\\uDE00\"",
        "\"\\uD83D\\u0041\"",
        "\"\\uD83D\"",
        "\"\\u00e9\"",
        "\"\\x\"",
        "\"\u{1}\"",
        "\"\u{7f}\"",
        "\"a",
        "\"HS256\"",
        "\" HS256\"",
        "\"none\"",
        "\"NoNe \"",
    ];
    for value in corners {
        for name in ["exp", "aud", "iss", "alg", "kid", "b64", "crit", "x"] {
            for text in [
                format!("{{\"{name}\":{value}}}"),
                format!("{{\"alg\":\"HS256\",\"{name}\":{value}}}"),
                format!("{{\"x\":[{value}]}}"),
            ] {
                crate::harness::claims_reader_agrees_with_serde(text.as_bytes());
                crate::harness::header_reader_agrees_with_serde(text.as_bytes());
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 8192, ..ProptestConfig::default() })]

    /// The hand-written claims and header readers accept, refuse and read
    /// exactly as serde_json under the strict rules does.
    #[test]
    fn json_readers_agree_with_serde_json(
        text in prop_oneof![object_text(), mutated(), sloppy_object(), sloppy_value()]
    ) {
        crate::harness::claims_reader_agrees_with_serde(text.as_bytes());
        crate::harness::header_reader_agrees_with_serde(text.as_bytes());
    }
}
