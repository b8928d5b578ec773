use jsonwebtoken::{encode, EncodingKey, Header};

const SECRET: &str = "rust-secret"; // jwtkeep:expect jwt-hardcoded-secret

#[derive(serde::Serialize)]
struct Claims {
    sub: String,
    exp: u64,
}

pub fn issue(sub: String, exp: u64) -> jsonwebtoken::errors::Result<String> {
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    encode(&Header::default(), &Claims { sub, exp }, &key)
}
