require 'jwt'

def verify(token, key)
  JWT.decode(token, key, true, { algorithms: ['HS256', 'RS256'] }) # jwtkeep:expect jwt-mixed-algorithms
end
