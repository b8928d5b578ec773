import os
import jwt
def issue(uid, now):
    """Signs a token.

    >>> jwt.encode({"sub": 1}, "secret", algorithm="HS256")
    """
    return jwt.encode({"sub": uid, "exp": now + 900}, os.environ["JWT_SECRET"], algorithm="HS256")
