from datetime import datetime, timedelta, timezone

import jwt
from fastapi import Response

SECRET_KEY = "09d25e094faa6ca2556c818166b7a9563b93f7099f6f0f4caa6cf63b88e8d3e7" # jwtkeep:expect jwt-hardcoded-secret
ALGORITHM = "HS256"


def create_access_token(data: dict, expires_delta: timedelta | None = None):
    to_encode = data.copy()
    expire = datetime.now(timezone.utc) + (expires_delta or timedelta(minutes=15))
    to_encode.update({"exp": expire})
    encoded_jwt = jwt.encode(to_encode, SECRET_KEY, algorithm=ALGORITHM)
    return encoded_jwt


def login(response: Response, token: str):
    response.set_cookie(key="access_token", value=f"Bearer {token}", httponly=True) # jwtkeep:expect jwt-insecure-cookie
