import { SignJWT } from 'jose';
import settings from './settings.mjs';

export async function token(sub) {
  return new SignJWT({ sub })
    .setProtectedHeader({ alg: 'HS256' })
    .setExpirationTime('10m')
    .sign(new TextEncoder().encode(settings.signingKey));
}
