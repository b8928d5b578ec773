package com.shop.auth;

public final class Secrets {
    public static final String JWT_SECRET = "shop-jwt-secret-2024"; // jwtkeep:expect jwt-hardcoded-secret
    public static final String REFRESH_SECRET = System.getenv("REFRESH_SECRET");

    private Secrets() {}
}
