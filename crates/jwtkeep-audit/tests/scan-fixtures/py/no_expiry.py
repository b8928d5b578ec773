import os
import jwt
def issue(user):
    payload = {"sub": user.id, "role": user.role}
    return jwt.encode(payload, os.environ["JWT_SECRET"], algorithm="HS256")  # jwtkeep:expect jwt-no-expiry
