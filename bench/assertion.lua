-- wrk script: POST /oauth/token with private_key_jwt, each request a new assertion from
-- $ASSERTIONS_FILE (one per line; thread k of n takes lines k, k+n, …: every assertion is
-- used once); prints the answers by status at the end (401s mean the file ran out).
dofile("bench/counting.lua")
local assertions = {}
local i = 0

local base_setup = setup
local next_index = 0
function setup(thread)
  thread:set("index", next_index)
  next_index = next_index + 1
  base_setup(thread)
end

function init(args)
  local threads = tonumber(os.getenv("THREADS") or "2")
  local n = 0
  for line in io.lines(os.getenv("ASSERTIONS_FILE")) do
    if n % threads == (index or 0) then
      assertions[#assertions + 1] = line
    end
    n = n + 1
  end
end

function request()
  i = i % #assertions + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
  }, "grant_type=client_credentials&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=" .. assertions[i])
end
