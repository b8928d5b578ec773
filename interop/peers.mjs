// panva/jose's side of the interoperability check: verify jwtkeep's token
// with jwtkeep's JWKS (or oct JWK for HMAC), then sign one for jwtkeep.
import { readFileSync, readdirSync, writeFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as jose from 'jose';

const work = process.argv[2];
let failures = 0;
for (const alg of readdirSync(work).sort()) {
  const dir = join(work, alg);
  if (!statSync(dir).isDirectory()) continue;
  try {
    const token = readFileSync(join(dir, 'jwtkeep.token'), 'utf8').trim();
    const { kid } = jose.decodeProtectedHeader(token);
    let verifyKey;
    let signKey;
    if (alg.startsWith('HS')) {
      const jwk = JSON.parse(readFileSync(join(dir, 'secret.jwk.json'), 'utf8'));
      verifyKey = await jose.importJWK(jwk, alg);
      signKey = verifyKey;
    } else {
      verifyKey = jose.createLocalJWKSet(JSON.parse(readFileSync(join(dir, 'jwks.json'), 'utf8')));
      signKey = await jose.importPKCS8(readFileSync(join(dir, 'private.pem'), 'utf8'), alg);
    }
    const { payload } = await jose.jwtVerify(token, verifyKey, { algorithms: [alg], issuer: 'jwtkeep', audience: 'peers' });
    if (payload.sub !== 'interop') throw new Error(`sub is ${payload.sub}`);
    const header = kid ? { alg, kid } : { alg };
    const ours = await new jose.SignJWT({ sub: 'from-jose' })
      .setProtectedHeader(header)
      .setIssuer('jose')
      .setAudience('jwtkeep')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(signKey);
    writeFileSync(join(dir, 'jose.token'), ours);
    console.log(`ok   jose ${alg}`);
  } catch (e) {
    failures += 1;
    console.log(`FAIL jose ${alg}: ${e.name}: ${e.message}`);
  }
}
process.exit(failures ? 1 : 0);
