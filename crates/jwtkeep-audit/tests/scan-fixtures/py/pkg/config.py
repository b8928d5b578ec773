import os

TOKEN_KEY = os.environ.get("TOKEN_KEY", "insecure-dev-key")  # jwtkeep:expect jwt-secret-fallback
REFRESH_KEY = os.environ["REFRESH_KEY"]
