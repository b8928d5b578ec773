-- wrk: POST a form-encoded introspection of one access token, with the
-- client's Basic credentials when AUTH is set (jwtkeep needs them). Answers
-- other than {"active":true,...} are counted and reported as "wrong".
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "../checked.lua")

wrk.method = "POST"
wrk.body = "token=" .. os.getenv("TOKEN")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
local auth = os.getenv("AUTH")
if auth and auth ~= "" then wrk.headers["Authorization"] = auth end

function response(status, headers, body)
  if status ~= 200 or not body:find('"active":true', 1, true) then wrong = wrong + 1 end
end
