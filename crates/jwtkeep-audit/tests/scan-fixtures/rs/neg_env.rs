use jsonwebtoken::DecodingKey;

pub fn key() -> Result<DecodingKey, std::env::VarError> {
    let secret = std::env::var("JWT_SECRET")?;
    Ok(DecodingKey::from_secret(secret.as_bytes()))
}
