-- Shared by every scenario (the harness puts it in front of the scenario's script): parameters from
-- the command line after `--` as key=value, a per-thread id, non-2xx statuses counted by code, and
-- one JSON line at the end that the harness reads.

local threads = {}
local counter = 0
params = {}

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
  table.insert(threads, thread)
end

function init(args)
  for _, arg in ipairs(args) do
    local key, value = arg:match("^([%w_]+)=(.*)$")
    if key then params[key] = value end
  end
  math.randomseed(tonumber(params.seed or "1") * 1000 + thread_id)
  statuses = {}
  if prepare then prepare() end
end

function response(status, headers, body)
  if status >= 300 then
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local codes = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses") or {}) do
      codes[#codes + 1] = string.format('"%d":%d', status, count)
    end
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests":%d,"duration_us":%d,"connect":%d,"read":%d,"write":%d,"status":%d,'
      .. '"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,"statuses":{%s}}\n',
    summary.requests, summary.duration, errors.connect, errors.read, errors.write, errors.status,
    errors.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    latency.mean, table.concat(codes, ",")))
end
