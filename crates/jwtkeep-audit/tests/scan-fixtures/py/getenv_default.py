import os
import jwt
KEY = os.getenv("JWT_SECRET", "dev-secret")  # jwtkeep:expect jwt-secret-fallback
def verify(token):
    return jwt.decode(token, KEY, algorithms=["HS256"])
