-- Shared by the wrk scripts of bench/ (each loads it with dofile): every
-- thread is numbered (`id`, from 1) and kept; each script counts the answers
-- it finds wrong in `wrong`; at the end one line gives the latency
-- percentiles and the wrong answers of all threads, which run.sh reads.
local threads = {}
local n = 0
function setup(thread)
  n = n + 1
  thread:set("id", n)
  table.insert(threads, thread)
end

wrong = 0

function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + (t:get("wrong") or 0) end
  io.write(string.format("p50_us=%d p99_us=%d wrong=%d\n", latency:percentile(50), latency:percentile(99), total))
end
