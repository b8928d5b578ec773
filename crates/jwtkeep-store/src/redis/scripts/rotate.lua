-- Rotates a refresh family atomically. Mirrors families::decide step for step.
-- KEYS: 1 family hash, 2 family's used jtis
-- ARGV: 1 presented jti, 2 successor jti, 3 now, 4 key prefix, 5 family id
-- A reuse revokes the family and ends its session.
local f = redis.call('HMGET', KEYS[1], 'subject', 'current', 'previous', 'rotated',
  'idle_exp', 'abs_exp', 'idle_secs', 'grace_secs', 'revoked_at')
if not f[1] then return {'unknown'} end
local presented, successor, now = ARGV[1], ARGV[2], tonumber(ARGV[3])
local rotated, idle_exp, abs_exp = tonumber(f[4]), tonumber(f[5]), tonumber(f[6])
if f[9] and f[9] ~= '' then return {'revoked'} end
if now >= idle_exp or now >= abs_exp then return {'expired'} end
if presented == f[2] then
  if redis.call('SISMEMBER', KEYS[2], successor) == 1 then return {'successor_used'} end
  local next_idle = now + tonumber(f[7])
  redis.call('HSET', KEYS[1], 'current', successor, 'previous', presented, 'rotated', now,
    'idle_exp', next_idle)
  redis.call('SADD', KEYS[2], successor)
  return {'rotated', successor, tostring(next_idle), tostring(abs_exp), tostring(now)}
end
if f[3] == presented and now - rotated < tonumber(f[8]) then
  return {'grace', f[2], tostring(idle_exp), tostring(abs_exp), f[4]}
end
if redis.call('SISMEMBER', KEYS[2], presented) == 1 then
  redis.call('HSET', KEYS[1], 'revoked_at', now, 'reason', 'reuse')
  end_session(ARGV[4], ARGV[5], access_secs_of(KEYS[1]), now)
  return {'reuse', f[1]}
end
return {'unknown'}
