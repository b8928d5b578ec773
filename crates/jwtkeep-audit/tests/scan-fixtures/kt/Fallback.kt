import com.auth0.jwt.algorithms.Algorithm

val secret = System.getenv("JWT_SECRET") ?: "changeme" // jwtkeep:expect jwt-secret-fallback

fun algorithm(): Algorithm = Algorithm.HMAC256(secret)
