require 'jwt'

HMAC_KEY = ENV.fetch('JWT_SECRET', 'dev-secret') # jwtkeep:expect jwt-secret-fallback

def verify(token)
  JWT.decode(token, HMAC_KEY, true, algorithm: 'HS256')
end
