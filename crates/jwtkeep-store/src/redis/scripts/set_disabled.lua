-- Disables or enables an existing user. KEYS: 1 user hash. ARGV: 1 '1' or '0', 2 now.
-- Returns 0 when there is no such user.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'disabled', ARGV[1], 'updated', ARGV[2])
return 1
