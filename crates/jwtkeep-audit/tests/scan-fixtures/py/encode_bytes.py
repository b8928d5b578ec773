import jwt
key = "bytes-secret-value".encode("utf-8")  # jwtkeep:expect jwt-hardcoded-secret
def verify(token):
    return jwt.decode(token, key=key, algorithms=["HS256"])
