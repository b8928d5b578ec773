import com.auth0.jwt.JWT
import com.auth0.jwt.algorithms.Algorithm

val jwtSecret = "kotlin-secret" // jwtkeep:expect jwt-hardcoded-secret

fun issue(user: String, exp: java.util.Date): String =
    JWT.create().withSubject(user).withExpiresAt(exp).sign(Algorithm.HMAC256(jwtSecret))
