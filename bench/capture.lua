-- wrk script: POST /oauth/token like token.lua, and keeps every 100th access token in the file
-- $CAPTURE (one per line): the 1% bench/status_lists.sh revokes. One thread (-t1): wrk's
-- threads have separate Lua states.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.headers["Authorization"] = "Basic " .. os.getenv("BASIC")
wrk.body = "grant_type=client_credentials"
local seen, out = 0, nil
function response(status, headers, body)
  seen = seen + 1
  if status == 200 and seen % 100 == 0 then
    out = out or io.open(os.getenv("CAPTURE"), "a")
    local token = body:match('"access_token":"([^"]+)"')
    if token then out:write(token, "\n") end
  end
end
function done() if out then out:close() end end
