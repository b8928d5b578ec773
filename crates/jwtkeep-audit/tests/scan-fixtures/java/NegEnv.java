import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;

public class NegEnv {
    private final Algorithm alg = Algorithm.HMAC256(System.getenv("JWT_SECRET"));

    public String issue(String user, java.util.Date exp) {
        return JWT.create().withSubject(user).withExpiresAt(exp).sign(alg);
    }
}
