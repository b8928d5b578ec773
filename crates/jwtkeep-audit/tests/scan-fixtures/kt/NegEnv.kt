import com.auth0.jwt.algorithms.Algorithm

val secret: String = System.getenv("JWT_SECRET") ?: error("JWT_SECRET is required")

fun algorithm(): Algorithm = Algorithm.HMAC256(secret)
