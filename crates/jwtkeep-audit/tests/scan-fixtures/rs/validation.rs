use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};

pub fn claims(token: &str, key: &[u8]) -> serde_json::Value {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.insecure_disable_signature_validation(); // jwtkeep:expect jwt-decode-without-verify
    let data = decode::<serde_json::Value>(token, &DecodingKey::from_secret(key), &validation).unwrap();
    data.claims
}

pub fn mixed(token: &str, key: &[u8]) {
    let mut validation = Validation::default();
    validation.algorithms = vec![Algorithm::HS256, Algorithm::RS256]; // jwtkeep:expect jwt-mixed-algorithms
    let _ = decode::<serde_json::Value>(token, &DecodingKey::from_secret(key), &validation);
}
