-- wrk script: POST /oauth/introspect as the client in $BASIC, cycling through the tokens in
-- $TOKENS_FILE (one per line), each thread starting at a random offset; prints the answers
-- (active, inactive, or the status) at the end. An inactive answer is a failed run.
dofile("bench/counting.lua")
local tokens = {}
local basic = "Basic " .. os.getenv("BASIC")
local i = 0

function init(args)
  for line in io.lines(os.getenv("TOKENS_FILE")) do
    tokens[#tokens + 1] = "token=" .. line
  end
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  i = math.random(#tokens)
end

function request()
  i = i % #tokens + 1
  return wrk.format("POST", nil, {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Basic " .. os.getenv("BASIC"),
  }, tokens[i])
end

function classify(status, body)
  if status ~= 200 then
    return "status " .. status
  elseif string.find(body, '"active":true', 1, true) then
    return "active"
  end
  return "inactive"
end
