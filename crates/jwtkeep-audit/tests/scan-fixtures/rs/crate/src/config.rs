pub const JWT_SECRET: &str = "axum-secret"; // jwtkeep:expect jwt-hardcoded-secret
pub const ISSUER: &str = "shop";
