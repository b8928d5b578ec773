import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;

public class AuthService {
    private static final String SECRET = "java-secret"; // jwtkeep:expect jwt-hardcoded-secret

    public String issue(String user, java.util.Date exp) {
        Algorithm alg = Algorithm.HMAC256(SECRET);
        return JWT.create().withSubject(user).withExpiresAt(exp).sign(alg);
    }
}
