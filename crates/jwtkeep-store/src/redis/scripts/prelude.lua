-- Shared by every script that denies tokens or ends sessions (prepended to
-- each when the scripts are loaded).

-- Denies `member` (a token or a session) until `till`: a key expiring then,
-- and the index snapshots read. A later `till` wins.
local function deny(key, index, member, till)
  local old = tonumber(redis.call('GET', key) or '0')
  if old < till then
    redis.call('SET', key, till, 'EXAT', till)
    redis.call('ZADD', index, till, member)
  end
end

-- Ends family `id`'s session: every token carrying it is denied until the
-- last access token the family issued has expired (mirrors
-- families::session_denial: at most a day, plus a 300-second margin), and
-- the denial goes on the feed and is announced.
local function end_session(prefix, id, access_secs, now)
  local till = now + math.min(math.max(access_secs, 1), 86400) + 300
  deny(prefix .. 'sdeny:' .. id, prefix .. 'sdenyidx', id, till)
  local entry = '{"kind":"session","session":' .. cjson.encode(id)
    .. ',"until":' .. string.format('%d', till) .. '}'
  local xid = redis.call('XADD', prefix .. 'revlog', '*', 'e', entry)
  redis.call('PUBLISH', prefix .. 'revocations', xid)
end

-- A family's access-token lifetime (families stored before it was recorded: the longest).
local function access_secs_of(family_key)
  return tonumber(redis.call('HGET', family_key, 'access_secs') or '86400')
end
