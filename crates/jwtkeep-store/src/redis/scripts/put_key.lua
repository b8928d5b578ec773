-- Stores a new signing key and lists it under its purpose.
-- KEYS: 1 key hash, 2 the purpose's set of kids
-- ARGV: 1 alg, 2 created, 3 published, 4 active from, 5 active until (or ''),
--       6 verify until (or ''), 7 public JWK (or ''), 8 sealed private key, 9 kid
-- Returns 0 when the purpose holds this kid already.
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'alg', ARGV[1], 'created', ARGV[2], 'published', ARGV[3],
  'active_from', ARGV[4], 'active_until', ARGV[5], 'verify_until', ARGV[6],
  'public_jwk', ARGV[7], 'sealed', ARGV[8])
redis.call('SADD', KEYS[2], ARGV[9])
return 1
