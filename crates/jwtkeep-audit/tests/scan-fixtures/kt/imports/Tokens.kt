package shop.auth

import com.auth0.jwt.JWT
import com.auth0.jwt.algorithms.Algorithm
import java.util.Date

fun issue(user: String): String =
    JWT.create()
        .withIssuer(JwtConfig.ISSUER)
        .withSubject(user)
        .withExpiresAt(Date(System.currentTimeMillis() + 600_000))
        .sign(Algorithm.HMAC256(JwtConfig.SECRET))
