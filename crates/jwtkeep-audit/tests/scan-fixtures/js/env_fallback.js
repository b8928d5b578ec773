import jwt from 'jsonwebtoken';
const secret = process.env.JWT_SECRET || 'dev-secret'; // jwtkeep:expect jwt-secret-fallback
export const verify = (t) => jwt.verify(t, secret, { algorithms: ['HS256'] });
