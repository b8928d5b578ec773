import jwt
from pydantic_settings import BaseSettings


class Settings(BaseSettings):
    app_name: str = "shop"
    jwt_secret: str = "dev-secret-change-me"  # jwtkeep:expect jwt-secret-fallback
    jwt_algorithm: str = "HS256"


settings = Settings()


def verify(token: str) -> dict:
    return jwt.decode(token, settings.jwt_secret, algorithms=[settings.jwt_algorithm])
