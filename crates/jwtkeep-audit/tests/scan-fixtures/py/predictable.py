import os
import jwt
SECRET = f"{os.environ['APP_NAME']}-secret"  # jwtkeep:expect jwt-predictable-secret
def verify(token):
    return jwt.decode(token, SECRET, algorithms=["HS256"])
