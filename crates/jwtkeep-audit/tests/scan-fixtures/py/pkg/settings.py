import os


class Settings:
    DEBUG = os.getenv("DEBUG") == "1"
    JWT_SECRET = "my-super-secret"  # jwtkeep:expect jwt-hardcoded-secret
    JWT_ALGORITHM = "HS256"


settings = Settings()
