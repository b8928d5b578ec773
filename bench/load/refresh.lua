-- wrk: each thread (one connection each) follows its own refresh chain:
-- every response's refresh_token is the next request's, so every request
-- is a real rotation (never a reuse, never the grace path). Failed
-- rotations are reported as "wrong".
-- TOKENS: one refresh token per thread, comma-separated.
local threads = {}
local n = 0
function setup(thread)
  n = n + 1
  thread:set("id", n)
  table.insert(threads, thread)
end

local token
wrong = 0
function init(args)
  local i = 0
  for t in string.gmatch(os.getenv("TOKENS"), "[^,]+") do
    i = i + 1
    if i == id then token = t end
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  return wrk.format(nil, nil, nil, '{"refresh_token":"' .. token .. '"}')
end

function response(status, headers, body)
  local next_token = body:match('"refresh_token":"([^"]+)"')
  if status == 200 and next_token then token = next_token else wrong = wrong + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get("wrong") or 0) end
  io.write(string.format("p50_us=%d p99_us=%d wrong=%d\n", latency:percentile(50), latency:percentile(99), total))
end
