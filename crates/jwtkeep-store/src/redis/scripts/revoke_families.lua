-- Revokes a subject's live families, ending their sessions; optionally sets a
-- user's password, or disables the user, first.
-- KEYS: 1 subject's family set, 2 user hash
-- ARGV: 1 reason, 2 now, 3 key prefix, 4 new password hash (or ''),
--       5 '1' to disable the user (or ''), 6 a family id to keep (or '')
-- Returns the number of families revoked, or -1 when a user to change is absent.
local now = tonumber(ARGV[2])
if ARGV[4] ~= '' or ARGV[5] == '1' then
  if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
  if ARGV[4] ~= '' then redis.call('HSET', KEYS[2], 'hash', ARGV[4], 'updated', now) end
  if ARGV[5] == '1' then redis.call('HSET', KEYS[2], 'disabled', '1', 'updated', now) end
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
end
return n
