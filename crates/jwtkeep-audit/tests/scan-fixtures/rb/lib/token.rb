require 'jwt'
require_relative 'keys'

def issue(payload)
  payload[:exp] = Time.now.to_i + 60
  JWT.encode(payload, Keys::HMAC, 'HS256')
end

def check(token)
  JWT.decode(token, Rails.application.credentials.jwt_secret, true, algorithm: 'HS256')
end
