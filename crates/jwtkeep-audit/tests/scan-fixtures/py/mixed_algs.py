import jwt
def verify(token, key):
    return jwt.decode(token, key, algorithms=["HS256", "RS256"])  # jwtkeep:expect jwt-mixed-algorithms
