-- Revokes one family unless it is unknown or revoked already, and ends its session.
-- KEYS: 1 family hash. ARGV: 1 now, 2 reason, 3 key prefix, 4 family id.
-- Returns 1 when this call revoked it.
if not redis.call('HGET', KEYS[1], 'subject') then return 0 end
local r = redis.call('HGET', KEYS[1], 'revoked_at')
if r and r ~= '' then return 0 end
redis.call('HSET', KEYS[1], 'revoked_at', ARGV[1], 'reason', ARGV[2])
end_session(ARGV[3], ARGV[4], access_secs_of(KEYS[1]), tonumber(ARGV[1]))
return 1
