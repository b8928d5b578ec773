"""PyJWT's side of the interoperability check.

For every algorithm directory under WORK: verify the token jwtkeep signed
(keys from jwtkeep's JWKS, or its oct JWK for HMAC), then sign a token of
our own for jwtkeep to verify. Prints one line per check; exits 1 on any
failure.
"""
import json
import pathlib
import sys
import time

import jwt

work = pathlib.Path(sys.argv[1])
failures = 0
for d in sorted(p for p in work.iterdir() if p.is_dir()):
    alg = d.name
    try:
        token = (d / "jwtkeep.token").read_text().strip()
        kid = jwt.get_unverified_header(token).get("kid")
        if alg.startswith("HS"):
            key = jwt.PyJWK(json.loads((d / "secret.jwk.json").read_text())).key
            signing_key = key
        else:
            keys = jwt.PyJWKSet.from_json((d / "jwks.json").read_text())
            key = next(k for k in keys.keys if k.key_id == kid).key
            signing_key = (d / "private.pem").read_text()
        claims = jwt.decode(token, key, algorithms=[alg], audience="peers", issuer="jwtkeep")
        assert claims["sub"] == "interop", claims
        now = int(time.time())
        ours = jwt.encode(
            {"iss": "pyjwt", "aud": "jwtkeep", "sub": "from-pyjwt", "iat": now, "exp": now + 300},
            signing_key,
            algorithm=alg,
            headers={"kid": kid} if kid else None,
        )
        (d / "pyjwt.token").write_text(ours)
        print(f"ok   pyjwt {alg}")
    except Exception as e:  # report every algorithm, then fail
        failures += 1
        print(f"FAIL pyjwt {alg}: {type(e).__name__}: {e}")
sys.exit(1 if failures else 0)
