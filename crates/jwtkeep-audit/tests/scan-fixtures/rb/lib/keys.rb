module Keys
  HMAC = 'required-relative-secret' # jwtkeep:expect jwt-hardcoded-secret
end
