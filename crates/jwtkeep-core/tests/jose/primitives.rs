//! Wycheproof's signature-primitive vectors (ECDSA in P1363 and DER form,
//! Ed25519, RSASSA-PKCS1-v1_5, RSASSA-PSS, HMAC-SHA256) through jwtkeep's
//! primitive layer, `VerifyingKey`. Included from `tests/jose.rs`.

use jwtkeep_core::encoding::hex_decode;
use jwtkeep_core::VerifyingKey;
use jwtkeep_core::{Algorithm, Secret};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!(
        "{}/tests/data/wycheproof/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn hex(value: &Value) -> Vec<u8> {
    hex_decode(value.as_str().unwrap()).unwrap().to_vec()
}

/// Runs every test of a public-key signature file against `alg`, returning
/// how many ran and the disagreements. `acceptable` vectors may go either way.
fn public_key_file(file: &str, alg: Algorithm) -> (usize, Vec<String>) {
    let doc = load(file);
    let mut count = 0;
    let mut wrong = Vec::new();
    for group in doc["testGroups"].as_array().unwrap() {
        let key = VerifyingKey::from_public_bytes(alg, &hex(&group["publicKeyDer"])).unwrap();
        for test in group["tests"].as_array().unwrap() {
            count += 1;
            let verified = key.verify(&hex(&test["msg"]), &hex(&test["sig"])).is_ok();
            let expected = test["result"].as_str().unwrap();
            let agrees = match expected {
                "valid" => verified,
                "invalid" => !verified,
                _ => true,
            };
            if !agrees {
                wrong.push(format!(
                    "{file} tcId {}: expected {expected}, verified={verified}",
                    test["tcId"]
                ));
            }
        }
    }
    (count, wrong)
}

#[test]
fn wycheproof_ecdsa_p1363_vectors() {
    for (file, alg, tests) in [
        (
            "ecdsa_secp256r1_sha256_p1363_test.json",
            Algorithm::Es256,
            262,
        ),
        (
            "ecdsa_secp384r1_sha384_p1363_test.json",
            Algorithm::Es384,
            280,
        ),
        (
            "ecdsa_secp521r1_sha512_p1363_test.json",
            Algorithm::Es512,
            318,
        ),
    ] {
        let (count, wrong) = public_key_file(file, alg);
        assert_eq!(count, tests, "{file}");
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }
}

/// JOSE ECDSA signatures are fixed-width r‖s (RFC 7518 §3.4): no DER
/// signature, valid or not, ever verifies.
#[test]
fn wycheproof_ecdsa_der_signatures_never_verify() {
    let doc = load("ecdsa_secp256r1_sha256_test.json");
    let mut valid_der = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        let key = VerifyingKey::from_public_bytes(Algorithm::Es256, &hex(&group["publicKeyDer"]))
            .unwrap();
        for test in group["tests"].as_array().unwrap() {
            assert!(
                key.verify(&hex(&test["msg"]), &hex(&test["sig"])).is_err(),
                "tcId {}",
                test["tcId"]
            );
            if test["result"] == "valid" {
                valid_der += 1;
            }
        }
    }
    assert!(valid_der > 100);
}

#[test]
fn wycheproof_ed25519_vectors() {
    let (count, wrong) = public_key_file("ed25519_test.json", Algorithm::EdDsa);
    assert_eq!(count, 151);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn wycheproof_rsa_pkcs1_and_pss_vectors() {
    let (count, wrong) = public_key_file("rsa_signature_2048_sha256_test.json", Algorithm::Rs256);
    assert_eq!(count, 259);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    let (count, wrong) = public_key_file("rsa_pss_2048_sha256_mgf1_32_test.json", Algorithm::Ps256);
    assert_eq!(count, 108);
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// HMAC-SHA256 vectors. JWS needs the full 32-byte tag and a key of at least
/// 32 bytes (RFC 7518 §3.2): groups with shorter keys must be refused when
/// the key is loaded, and truncated tags never verify, whatever their label.
#[test]
fn wycheproof_hmac_sha256_vectors() {
    let doc = load("hmac_sha256_test.json");
    let mut full = 0;
    for group in doc["testGroups"].as_array().unwrap() {
        let tag_bits: usize = group["tagSize"].as_u64().unwrap().try_into().unwrap();
        for test in group["tests"].as_array().unwrap() {
            let key_bytes = hex(&test["key"]);
            let secret = Secret::from_bytes(zeroize::Zeroizing::new(key_bytes.clone()));
            let key = VerifyingKey::hmac(Algorithm::Hs256, &secret);
            if key_bytes.len() < 32 {
                assert!(
                    key.is_err(),
                    "tcId {}: a {}-byte key must be refused",
                    test["tcId"],
                    key_bytes.len()
                );
                continue;
            }
            let verified = key
                .unwrap()
                .verify(&hex(&test["msg"]), &hex(&test["tag"]))
                .is_ok();
            if tag_bits < 256 {
                assert!(
                    !verified,
                    "tcId {}: truncated tags never verify",
                    test["tcId"]
                );
                continue;
            }
            full += 1;
            assert_eq!(verified, test["result"] == "valid", "tcId {}", test["tcId"]);
        }
    }
    assert!(full > 20);
}
