import jwt

from pkg.config import TOKEN_KEY, REFRESH_KEY


def check(token):
    return jwt.decode(token, TOKEN_KEY, algorithms=["HS256"])


def check_refresh(token):
    return jwt.decode(token, REFRESH_KEY, algorithms=["HS256"])
