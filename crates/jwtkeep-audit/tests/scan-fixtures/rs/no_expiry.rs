use jsonwebtoken::{encode, EncodingKey, Header};

#[derive(serde::Serialize)]
struct Claims {
    sub: String,
    admin: bool,
}

pub fn issue(key: &EncodingKey, sub: String) -> jsonwebtoken::errors::Result<String> {
    let claims = Claims { sub, admin: false };
    encode(&Header::default(), &claims, key) // jwtkeep:expect jwt-no-expiry
}
