import jwt from 'jsonwebtoken';
import { JWT_SECRET as secret, ISSUER } from './keys';

export function issue(sub: string): string {
  return jwt.sign({ sub, iss: ISSUER }, secret, { expiresIn: '15m' });
}
