export const JWT_SECRET = process.env.JWT_SECRET ?? 'dev-secret'; // jwtkeep:expect jwt-secret-fallback
export const ISSUER = 'https://shop.example';
