-- wrk script for `make bench-http` (duban.bench.http): one random request per call from a file the
-- harness wrote, one line per request: METHOD \t PATH \t HEADER-NAME \t HEADER-VALUE \t BODY
-- (body may be empty; a JSON body gets Content-Type: application/json). Every request carries
-- "Connection: close". Args (after --): request-file label endpoint concurrency
-- Prints one JSON line: requests, rps, latency percentiles (ms), non-2xx and socket errors.
file, LABEL, ENDPOINT, CONC = nil, nil, nil, nil
local reqs = {}
local threads = {}
non2xx = 0

function setup(thread)
  table.insert(threads, thread)
end

local function split(line)
  local out, start = {}, 1
  while true do
    local i = string.find(line, "\t", start, true)
    if not i then table.insert(out, string.sub(line, start)); break end
    table.insert(out, string.sub(line, start, i - 1))
    start = i + 1
  end
  return out
end

function init(args)
  file, LABEL, ENDPOINT, CONC = args[1], args[2], args[3], args[4]
  for line in io.lines(file) do
    local f = split(line)
    local headers = { ["Connection"] = "close" }
    if f[3] and f[3] ~= "" then headers[f[3]] = f[4] end
    local body = f[5]
    if body == "" then body = nil end
    if body then headers["Content-Type"] = "application/json" end
    table.insert(reqs, wrk.format(f[1], f[2], headers, body))
  end
  math.randomseed(os.time())
end

function request()
  return reqs[math.random(1, #reqs)]
end

function response(status, headers, body)
  if status < 200 or status > 299 then non2xx = non2xx + 1 end
end

function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("non2xx") or 0) end
  -- init() ran in the threads' Lua states; done() runs in the main one: read the arguments back
  LABEL, ENDPOINT, CONC = threads[1]:get("LABEL"), threads[1]:get("ENDPOINT"), threads[1]:get("CONC")
  local e = summary.errors
  io.write(string.format(
    '{"label":"%s","endpoint":"%s","concurrency":%s,"duration_s":%.1f,"requests":%d,"rps":%.2f,' ..
    '"p50_ms":%.1f,"p95_ms":%.1f,"p99_ms":%.1f,"mean_ms":%.1f,"max_ms":%.1f,"non2xx":%d,"sock_err":%d}\n',
    LABEL, ENDPOINT, CONC, summary.duration / 1e6, summary.requests, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.mean / 1000, latency.max / 1000, bad, e.connect + e.read + e.write + e.timeout))
end
