-- Claims a username, writes the user and lists it, in one step.
-- KEYS: 1 username -> id, 2 user hash, 3 sorted set of usernames
-- ARGV: 1 id, 2 username, 3 password hash, 4 now, 5 admin ('1' or '0'), 6 scopes
-- Returns 0 when the username is taken.
if redis.call('SET', KEYS[1], ARGV[1], 'NX') == false then return 0 end
redis.call('HSET', KEYS[2], 'username', ARGV[2], 'hash', ARGV[3], 'disabled', '0',
  'admin', ARGV[5], 'scopes', ARGV[6], 'created', ARGV[4], 'updated', ARGV[4])
redis.call('ZADD', KEYS[3], 0, ARGV[2])
return 1
