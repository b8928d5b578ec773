-- wrk: GET /verify as a proxy asks it, with one access token. Answers other
-- than 200 are counted and reported as "wrong".
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "../checked.lua")

wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.headers["X-Original-URI"] = "/orders"
wrk.headers["X-Original-Method"] = "GET"

function response(status, headers, body)
  if status ~= 200 then wrong = wrong + 1 end
end
