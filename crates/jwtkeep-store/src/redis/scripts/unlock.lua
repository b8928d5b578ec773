-- Releases a lock only if the caller holds it. KEYS: 1 lock. ARGV: 1 holder.
if redis.call('HGET', KEYS[1], 'holder') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
