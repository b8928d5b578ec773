-- Counts one hit in a fixed window. KEYS: 1 window hash. ARGV: 1 window start, 2 window end
local start = redis.call('HGET', KEYS[1], 'start')
local count
if start == ARGV[1] then
  count = redis.call('HINCRBY', KEYS[1], 'count', 1)
else
  redis.call('HSET', KEYS[1], 'start', ARGV[1], 'count', 1)
  count = 1
end
redis.call('EXPIREAT', KEYS[1], tonumber(ARGV[2]) + 1)
return count
