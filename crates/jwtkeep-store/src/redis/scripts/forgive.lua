-- Takes back one hit of the window starting at ARGV[1], if that window is
-- still the current one and holds any. KEYS: 1 window hash. ARGV: 1 window start.
if redis.call('HGET', KEYS[1], 'start') == ARGV[1] then
  local count = tonumber(redis.call('HGET', KEYS[1], 'count') or '0')
  if count > 0 then redis.call('HINCRBY', KEYS[1], 'count', -1) end
end
return 1
