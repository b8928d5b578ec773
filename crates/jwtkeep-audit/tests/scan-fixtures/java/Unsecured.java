import io.jsonwebtoken.Jwts;

public class Unsecured {
    public Object read(String token) {
        return Jwts.parser().unsecured().build().parse(token).getPayload(); // jwtkeep:expect jwt-none-alg
    }
}
