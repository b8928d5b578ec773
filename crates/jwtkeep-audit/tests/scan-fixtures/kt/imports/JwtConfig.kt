package shop.auth

object JwtConfig {
    const val SECRET = "ktor-secret-key" // jwtkeep:expect jwt-hardcoded-secret
    const val ISSUER = "shop"
}
