import datetime

import jwt

from .settings import settings


def issue(user_id):
    exp = datetime.datetime.utcnow() + datetime.timedelta(minutes=15)
    payload = {"sub": user_id, "exp": exp}
    return jwt.encode(payload, settings.JWT_SECRET, algorithm=settings.JWT_ALGORITHM)
