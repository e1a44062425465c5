-- The wrk script of the HTTP part of the benchmark (see run.ts).
--
--   wrk -s bench/wrk.lua http://127.0.0.1:PORT/ -- [COOKIE_FILE]
--
-- Without COOKIE_FILE every request is `GET /` without a cookie (new
-- visitors). With it, requests take turns on the `name=value` cookies of the
-- file, one a line (returning visitors: with 32 connections and more than 32
-- cookies, no two requests in flight share a session). The requests are
-- formatted once, in init(), so that every run costs wrk the same per
-- request. done() prints one line: `WRK_RESULT {json}`.

local requests = {}
local count = 0
local turn = 0

function init(args)
  local file = args[1]
  if file ~= nil and file ~= "" then
    for line in io.lines(file) do
      if line ~= "" then
        count = count + 1
        requests[count] = wrk.format("GET", "/", { ["Cookie"] = line })
      end
    end
  end
  if count == 0 then
    count = 1
    requests[1] = wrk.format("GET", "/")
  end
end

function request()
  turn = turn % count + 1
  return requests[turn]
end

function done(summary, latency, _)
  local errors = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests":%d,"durationUs":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latencyUs":{"p50":%d,"p99":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    errors.connect, errors.read, errors.write, errors.status, errors.timeout,
    latency:percentile(50), latency:percentile(99), latency.mean))
end
