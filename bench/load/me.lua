-- wrk: GET the caller's own record with one access token (Bearer). Answers
-- other than 200 with the subject are counted and reported as "wrong".
local threads = {}
function setup(thread) table.insert(threads, thread) end

wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")

wrong = 0
function response(status, headers, body)
  if status ~= 200 or not body:find('"sub":"', 1, true) then wrong = wrong + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get("wrong") or 0) end
  io.write(string.format("p50_us=%d p99_us=%d wrong=%d\n", latency:percentile(50), latency:percentile(99), total))
end
