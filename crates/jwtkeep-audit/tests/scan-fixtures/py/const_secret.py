import jwt
SECRET = "changeme"  # jwtkeep:expect jwt-hardcoded-secret
def issue(uid, now):
    return jwt.encode({"sub": uid, "exp": now + 900}, SECRET, algorithm="HS256")
