use jsonwebtoken::{encode, EncodingKey, Header};

use crate::config::{ISSUER, JWT_SECRET as SECRET};

#[derive(serde::Serialize)]
struct Claims<'a> {
    sub: &'a str,
    iss: &'a str,
    exp: u64,
}

pub fn issue(sub: &str, exp: u64) -> jsonwebtoken::errors::Result<String> {
    let claims = Claims { sub, iss: ISSUER, exp };
    encode(&Header::default(), &claims, &EncodingKey::from_secret(SECRET.as_bytes()))
}
