import os
import jwt
SECRET = os.environ["JWT_SECRET"]
def issue(uid, now):
    return jwt.encode({"sub": uid, "exp": now + 900}, SECRET, algorithm="HS256")
