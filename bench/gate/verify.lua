-- wrk: GET /verify as a proxy asks it, with one access token. Answers other
-- than 200 are counted and reported as "wrong".
local threads = {}
function setup(thread) table.insert(threads, thread) end

wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["X-Original-URI"] = "/orders"
wrk.headers["X-Original-Method"] = "GET"

wrong = 0
function response(status, headers, body)
  if status ~= 200 then wrong = wrong + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get("wrong") or 0) end
  io.write(string.format("p50_us=%d p99_us=%d wrong=%d\n", latency:percentile(50), latency:percentile(99), total))
end
