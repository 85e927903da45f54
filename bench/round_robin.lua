-- wrk script: POST /oauth/token cycling through the Basic credentials in $CREDS_FILE (one
-- base64 id:secret per line), each thread starting at a random offset; prints the answers by
-- status at the end.
dofile("bench/counting.lua")
local creds = {}
local i = 0

function init(args)
  for line in io.lines(os.getenv("CREDS_FILE")) do
    creds[#creds + 1] = line
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  i = math.random(#creds)
end

function request()
  i = i % #creds + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic " .. creds[i],
  }, "grant_type=client_credentials")
end
