require 'jwt'

def admin?(token)
  decoded = JWT.decode(token, nil, false) # jwtkeep:expect jwt-decode-without-verify
  decoded[0]['role'] == 'admin' # jwtkeep:expect jwt-unverified-claims
end
