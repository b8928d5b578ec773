import com.auth0.jwt.JWT;
import com.auth0.jwt.interfaces.DecodedJWT;

public class Unverified {
    public boolean isAdmin(String token) {
        DecodedJWT jwt = JWT.decode(token); // jwtkeep:expect jwt-decode-without-verify
        return jwt.getClaim("role").asString().equals("admin"); // jwtkeep:expect jwt-unverified-claims
    }
}
