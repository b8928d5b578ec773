-- Records one revocation atomically, appends it to the feed and announces it.
-- KEYS: 1 deny key, 2 deny index, 3 subject cut-offs, 4 global cut-off, 5 feed
-- ARGV: 1 kind, 2 issuer or subject, 3 jti, 4 exp or before, 5 feed entry, 6 now, 7 channel
-- Kind 'consume' denies a token like 'token' but only if it is not denied
-- already; it returns '' when it was (a single-use token used twice). Kind
-- 'session' takes the session's deny key and index as KEYS 1 and 2.
local kind, value, now = ARGV[1], tonumber(ARGV[4]), tonumber(ARGV[6])
if kind == 'consume' then
  if redis.call('EXISTS', KEYS[1]) == 1 then return '' end
  kind = 'token'
end
if kind == 'token' then
  deny(KEYS[1], KEYS[2], cjson.encode({ARGV[2], ARGV[3]}), value)
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
elseif kind == 'session' then
  deny(KEYS[1], KEYS[2], ARGV[2], value)
elseif kind == 'subject' then
  local old = tonumber(redis.call('HGET', KEYS[3], ARGV[2]) or '-9223372036854775807')
  if old < value then redis.call('HSET', KEYS[3], ARGV[2], value) end
else
  local old = tonumber(redis.call('GET', KEYS[4]) or '-9223372036854775807')
  if old < value then redis.call('SET', KEYS[4], value) end
end
local id = redis.call('XADD', KEYS[5], '*', 'e', ARGV[5])
redis.call('PUBLISH', ARGV[7], id)
return id
