import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;

public class EnvFallback {
    private final String secret = java.util.Optional.ofNullable(System.getenv("JWT_SECRET")).orElse("dev-secret"); // jwtkeep:expect jwt-secret-fallback

    public Algorithm algorithm() {
        return Algorithm.HMAC256(secret);
    }
}
