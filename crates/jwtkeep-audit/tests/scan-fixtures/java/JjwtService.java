import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;

public class JjwtService {
    private final String secret = "a-jjwt-secret-that-is-long-enough-for-hs256"; // jwtkeep:expect jwt-hardcoded-secret

    public String issue(String user) {
        return Jwts.builder().setSubject(user).signWith(Keys.hmacShaKeyFor(secret.getBytes())).compact(); // jwtkeep:expect jwt-no-expiry
    }
}
