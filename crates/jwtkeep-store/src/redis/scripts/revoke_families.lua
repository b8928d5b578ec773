-- Revokes a subject's live families, ending their sessions, after a change
-- to the user in the same step: a new password, disabled, new scopes, or
-- deleted (the account, its name and its families' records go too).
-- KEYS: 1 subject's family set, 2 user hash, 3 sorted set of usernames
-- ARGV: 1 reason, 2 now, 3 key prefix, 4 new password hash (or ''),
--       5 the change: '', 'password', 'disable', 'scopes' or 'delete',
--       6 a family id to keep (or ''), 7 the new scopes (for 'scopes')
-- Returns the number of families revoked, or -1 when a user to change is absent.
local now, change = tonumber(ARGV[2]), ARGV[5]
if change ~= '' then
  if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
  if change == 'password' then redis.call('HSET', KEYS[2], 'hash', ARGV[4], 'updated', now) end
  if change == 'disable' then redis.call('HSET', KEYS[2], 'disabled', '1', 'updated', now) end
  if change == 'scopes' then redis.call('HSET', KEYS[2], 'scopes', ARGV[7], 'updated', now) end
end
local n = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[3] .. 'fam:' .. id
  local f = redis.call('HMGET', key, 'revoked_at', 'idle_exp', 'abs_exp')
  if not f[2] then
    redis.call('SREM', KEYS[1], id)
  elseif id ~= ARGV[6] and (not f[1] or f[1] == '')
      and now < tonumber(f[2]) and now < tonumber(f[3]) then
    redis.call('HSET', key, 'revoked_at', now, 'reason', ARGV[1])
    end_session(ARGV[3], id, access_secs_of(key), now)
    n = n + 1
  end
  if change == 'delete' then redis.call('DEL', key, key .. ':jtis') end
end
if change == 'delete' then
  local name = redis.call('HGET', KEYS[2], 'username')
  redis.call('DEL', KEYS[1], KEYS[2], ARGV[3] .. 'username:' .. name)
  redis.call('ZREM', KEYS[3], name)
end
return n
