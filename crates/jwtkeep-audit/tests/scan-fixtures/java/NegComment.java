import io.jsonwebtoken.Jwts;

public class NegComment {
    // Jwts.builder().signWith(SignatureAlgorithm.HS256, "secret").compact();
    public String name() { return "jwt"; }
}
