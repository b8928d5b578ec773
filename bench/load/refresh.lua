-- wrk: refresh chains, every request a real rotation (never a reuse, never
-- the grace path). TOKENS holds one refresh token per chain, comma-separated;
-- each thread takes every THREADS-th one. A thread keeps its chains' current
-- tokens in a pool: a request takes one out, and its answer puts the
-- successor back, so no chain ever has two requests in flight. With more
-- chains than connections (64 over 32), a connection never waits for a
-- chain. Failed rotations are reported as "wrong" (that chain ends).
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "../checked.lua")

local pool = {}
function init(args)
  local i = 0
  for t in string.gmatch(os.getenv("TOKENS"), "[^,]+") do
    if i % tonumber(os.getenv("THREADS") or "1") == id - 1 then table.insert(pool, t) end
    i = i + 1
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  local token = table.remove(pool, 1) or "none-left"
  return wrk.format(nil, nil, nil, '{"refresh_token":"' .. token .. '"}')
end

function response(status, headers, body)
  local next_token = body:match('"refresh_token":"([^"]+)"')
  if status == 200 and next_token then table.insert(pool, next_token) else wrong = wrong + 1 end
end
