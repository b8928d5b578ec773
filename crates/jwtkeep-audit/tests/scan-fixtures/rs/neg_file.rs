use jsonwebtoken::EncodingKey;

pub fn key(path: &std::path::Path) -> Result<EncodingKey, Box<dyn std::error::Error>> {
    let pem = std::fs::read(path)?;
    Ok(EncodingKey::from_ec_pem(&pem)?)
}
