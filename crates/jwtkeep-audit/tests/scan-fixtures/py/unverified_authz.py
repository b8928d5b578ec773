import jwt
def is_admin(token):
    claims = jwt.decode(token, options={"verify_signature": False})  # jwtkeep:expect jwt-decode-without-verify
    return claims["role"] == "admin"  # jwtkeep:expect jwt-unverified-claims
