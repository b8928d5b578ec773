-- wrk: POST a form-encoded introspection of one access token, with the
-- client's Basic credentials when AUTH is set (jwtkeep needs them). Answers
-- other than {"active":true,...} are counted and reported as "wrong".
local threads = {}
function setup(thread) table.insert(threads, thread) end

wrk.method = "POST"
wrk.body = "token=" .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local auth = os.getenv("AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end

wrong = 0
function response(status, headers, body)
  if status ~= 200 or not body:find('"active":true', 1, true) then wrong = wrong + 1 end
end

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get("wrong") or 0) end
  io.write(string.format("p50_us=%d p99_us=%d wrong=%d\n", latency:percentile(50), latency:percentile(99), total))
end
