-- Sets when an existing key stops signing and verifying.
-- KEYS: 1 key hash. ARGV: 1 active until (or ''), 2 verify until (or '').
-- Returns 0 when there is no such key.
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'active_until', ARGV[1], 'verify_until', ARGV[2])
return 1
