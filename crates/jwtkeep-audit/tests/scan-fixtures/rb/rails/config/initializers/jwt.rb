JWT_SECRET = 'rails-initializer-secret' # jwtkeep:expect jwt-hardcoded-secret
