import { SignJWT } from 'jose';
const secret = new TextEncoder().encode('my-jose-secret'); // jwtkeep:expect jwt-hardcoded-secret
export async function issue(sub) {
  return new SignJWT({ sub }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('15m').sign(secret);
}
