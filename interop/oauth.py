"""Machine tokens as an OAuth library sees them: Authlib's OAuth 2 client
finds jwtkeep's token endpoint through the RFC 8414 metadata, obtains a
client credentials token and calls the service with it; PyJWT verifies the
token against the JWKS named by the metadata.

Usage: oauth.py ISSUER CLIENT SECRET [CA_FILE]
(over HTTPS, CA_FILE is the only CA the clients trust)
Prints one `ok ...` or `FAIL ...` line per check (run.sh counts them).
"""

import os
import ssl
import sys

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.integrations.base_client.errors import OAuthError


def main() -> int:
    issuer, client, secret = sys.argv[1:4]
    verify = sys.argv[4] if len(sys.argv) > 4 else True
    if issuer.startswith("http://"):
        # Authlib refuses plain HTTP unless told: this is a loopback test service.
        os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"
    failures = 0

    def check(name, condition, detail=""):
        nonlocal failures
        if condition:
            print(f"ok   oauth {name}")
        else:
            failures += 1
            print(f"FAIL oauth {name} {detail}")

    metadata = requests.get(
        f"{issuer}/.well-known/oauth-authorization-server", timeout=10, verify=verify
    ).json()
    check("metadata names the issuer", metadata.get("issuer") == issuer, metadata)
    check(
        "metadata offers client credentials with basic authentication",
        "client_credentials" in metadata.get("grant_types_supported", [])
        and "client_secret_basic" in metadata.get("token_endpoint_auth_methods_supported", []),
        metadata,
    )

    session = OAuth2Session(
        client,
        secret,
        scope="orders:read",
        token_endpoint_auth_method="client_secret_basic",
    )
    token = session.fetch_token(
        metadata["token_endpoint"], grant_type="client_credentials", verify=verify
    )
    check("authlib obtains a token", token.get("token_type") == "Bearer", token)
    check("the token carries the scope asked for", token.get("scope") == "orders:read", token)
    check("no refresh token", "refresh_token" not in token, token)

    access = token["access_token"]
    ssl_context = None if verify is True else ssl.create_default_context(cafile=verify)
    jwks = jwt.PyJWKClient(metadata["jwks_uri"], ssl_context=ssl_context)
    key = jwks.get_signing_key_from_jwt(access)
    header = jwt.get_unverified_header(access)
    claims = jwt.decode(
        access,
        key.key,
        algorithms=[header["alg"]],
        audience="jwtkeep",
        issuer=issuer,
        options={"require": ["exp", "iat", "sub", "jti"]},
    )
    check("PyJWT verifies it through the discovered jwks_uri", True)
    check("typ is at+jwt", header.get("typ") == "at+jwt", header)
    check(
        "sub and client_id are the client",
        claims.get("sub") == client and claims.get("client_id") == client,
        claims,
    )

    me = session.get(f"{issuer}/v1/auth/me", timeout=10, verify=verify)
    check("the service accepts it", me.status_code == 200, me.text)

    for name, who, pw, scope, error in [
        ("a wrong secret is invalid_client", client, "wrong-secret", None, "invalid_client"),
        ("a scope not allowed is invalid_scope", client, secret, "orders:delete", "invalid_scope"),
    ]:
        bad = OAuth2Session(who, pw, scope=scope, token_endpoint_auth_method="client_secret_basic")
        try:
            bad.fetch_token(
                metadata["token_endpoint"], grant_type="client_credentials", verify=verify
            )
            check(name, False, "a token was issued")
        except OAuthError as e:
            check(name, e.error == error, f"{e.error}: {e.description}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
