require 'jwt'

SECRET = 'ruby-secret' # jwtkeep:expect jwt-hardcoded-secret

def issue(user)
  JWT.encode({ sub: user.id, exp: Time.now.to_i + 900 }, SECRET, 'HS256')
end
