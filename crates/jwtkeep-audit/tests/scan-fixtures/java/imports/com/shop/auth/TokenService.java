package com.shop.auth;

import com.auth0.jwt.JWT;
import com.auth0.jwt.algorithms.Algorithm;
import java.util.Date;

public class TokenService {
    public String issue(String user, Date exp) {
        return JWT.create().withSubject(user).withExpiresAt(exp).sign(Algorithm.HMAC256(Secrets.JWT_SECRET));
    }

    public String refresh(String user, Date exp) {
        return JWT.create().withSubject(user).withExpiresAt(exp).sign(Algorithm.HMAC256(Secrets.REFRESH_SECRET));
    }
}
