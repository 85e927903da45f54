-- Shared by the wrk scripts: counts answers by status (and by whatever `classify` returns for
-- a body) in every thread and prints the totals when the run is done ("status 200: 1234").
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

counts = {}

function count(label)
  counts[label] = (counts[label] or 0) + 1
end

function response(status, headers, body)
  if classify then
    count(classify(status, body))
  else
    count("status " .. status)
  end
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for label, n in pairs(thread:get("counts")) do
      total[label] = (total[label] or 0) + n
    end
  end
  for label, n in pairs(total) do
    io.write(string.format("%s: %d\n", label, n))
  end
end
