-- wrk: POST one user's login (argon2id on every request).
wrk.method = "POST"
wrk.body = os.getenv("LOGIN")
wrk.headers["Content-Type"] = "application/json"
function done(summary, latency, requests)
  io.write(string.format("p50_us=%d p99_us=%d wrong=%d\n", latency:percentile(50), latency:percentile(99), summary.errors.status))
end
