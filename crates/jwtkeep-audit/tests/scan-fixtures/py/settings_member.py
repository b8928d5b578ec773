import jwt
class Settings:
    JWT_SECRET = "my-python-secret"  # jwtkeep:expect jwt-hardcoded-secret
settings = Settings()
def verify(token):
    return jwt.decode(token, settings.JWT_SECRET, algorithms=["HS256"])
