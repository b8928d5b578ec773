use jsonwebtoken::DecodingKey;

pub fn key() -> DecodingKey {
    let secret = std::env::var("JWT_SECRET").unwrap_or_else(|_| "dev-secret".to_string()); // jwtkeep:expect jwt-secret-fallback
    DecodingKey::from_secret(secret.as_bytes())
}
