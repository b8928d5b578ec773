require 'jwt'

def issue(user)
  payload = { sub: user.id, admin: user.admin? }
  JWT.encode(payload, ENV['JWT_SECRET'], 'HS256') # jwtkeep:expect jwt-no-expiry
end
