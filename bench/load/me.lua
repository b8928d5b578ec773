-- wrk: GET the caller's own record with one access token (Bearer). Answers
-- other than 200 with the subject are counted and reported as "wrong".
dofile(debug.getinfo(1, "S").source:match("^@(.*/)") .. "../checked.lua")

wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")

function response(status, headers, body)
  if status ~= 200 or not body:find('"sub":"', 1, true) then wrong = wrong + 1 end
end
