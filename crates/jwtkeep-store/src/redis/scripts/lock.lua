-- Takes or renews a lock. KEYS: 1 lock. ARGV: 1 holder, 2 expires at, 3 now
local v = redis.call('HMGET', KEYS[1], 'holder', 'expires')
if v[1] and v[1] ~= ARGV[1] and tonumber(v[2]) > tonumber(ARGV[3]) then return 0 end
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'expires', ARGV[2])
redis.call('EXPIREAT', KEYS[1], tonumber(ARGV[2]) + 1)
return 1
