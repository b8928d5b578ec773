require 'jwt'

def issue(user)
  payload = { sub: user.id }
  payload[:exp] = Time.now.to_i + 900
  JWT.encode(payload, ENV.fetch('JWT_SECRET'), 'HS256')
end
