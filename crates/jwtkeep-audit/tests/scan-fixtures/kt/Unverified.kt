import com.auth0.jwt.JWT

fun isAdmin(token: String): Boolean {
    val decoded = JWT.decode(token) // jwtkeep:expect jwt-decode-without-verify
    return decoded.getClaim("role").asString() == "admin" // jwtkeep:expect jwt-unverified-claims
}
