import * as jwt from 'jsonwebtoken';
const key: string = process.env.APP_NAME + '-jwt-secret'; // jwtkeep:expect jwt-predictable-secret
export function verify(token: string) {
  return jwt.verify(token, key, { algorithms: ['HS256'] });
}
