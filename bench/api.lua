-- wrk script for `make bench` (bench/run_bench.py). One script, one scenario per run:
--
--   wrk -t2 -c32 -d10s -s bench/api.lua https://127.0.0.1:PORT -- SCENARIO USERS_FILE [PATH]
--
-- SCENARIO: list | get | create | toggle | mix | fixed (GET of PATH, for the front ceiling).
-- USERS_FILE: one line per user, "<token> <task id>,<task id>,..." (written by run_bench.py).
-- Every request picks a user at random (so tokens rotate over all of them) and, for
-- task routes, one of that user's tasks. mix = 35% list, 35% get, 20% toggle, 10% create.
-- done() prints one line "BENCH_JSON {...}" with requests/s, latency percentiles (µs),
-- socket errors and the count of every status code seen.

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("thread_no", counter)
  table.insert(threads, thread)
end

local scenario, fixed_path
local tokens, task_ids = {}, {}
local nusers = 0
statuses = {}  -- global: read by done() through thread:get
local create_no = 0

function init(args)
  scenario = args[1]
  local users_file = args[2]
  fixed_path = args[3] or "/"
  if not scenario or not users_file then
    error("usage: -- SCENARIO USERS_FILE [PATH]")
  end
  for line in io.lines(users_file) do
    local token, ids = line:match("^(%S+)%s+(%S*)")
    if token then
      nusers = nusers + 1
      tokens[nusers] = "Bearer " .. token
      local list = {}
      for id in ids:gmatch("[^,]+") do list[#list + 1] = id end
      task_ids[nusers] = list
    end
  end
  if nusers == 0 then error("no users in " .. users_file) end
  math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
end

local json_headers = function(auth)
  return { ["Authorization"] = auth, ["Content-Type"] = "application/json" }
end

local function pick()
  local u = math.random(nusers)
  local ids = task_ids[u]
  local id = ids[math.random(#ids)]
  return tokens[u], id
end

local function req_list()
  local auth = tokens[math.random(nusers)]
  return wrk.format("GET", "/api/tasks", { ["Authorization"] = auth })
end

local function req_get()
  local auth, id = pick()
  return wrk.format("GET", "/api/tasks/" .. id, { ["Authorization"] = auth })
end

local function req_toggle()
  local auth, id = pick()
  return wrk.format("PATCH", "/api/tasks/" .. id .. "/complete", { ["Authorization"] = auth })
end

local function req_create()
  local auth = tokens[math.random(nusers)]
  create_no = create_no + 1
  local body = string.format(
    '{"title":"Bench task %d-%d","description":"Created by make bench: buy milk, call the bank",'
      .. '"priority":"high","due_at":"2026-12-24T18:00:00Z","tags":["bench","errands"]}',
    thread_no or 0, create_no)
  return wrk.format("POST", "/api/tasks", json_headers(auth), body)
end

local function req_fixed()
  return wrk.format("GET", fixed_path, { ["Authorization"] = tokens[math.random(nusers)] })
end

function request()
  if scenario == "list" then return req_list()
  elseif scenario == "get" then return req_get()
  elseif scenario == "toggle" then return req_toggle()
  elseif scenario == "create" then return req_create()
  elseif scenario == "fixed" then return req_fixed()
  elseif scenario == "mix" then
    local r = math.random(100)
    if r <= 35 then return req_list()
    elseif r <= 70 then return req_get()
    elseif r <= 90 then return req_toggle()
    else return req_create() end
  end
  error("unknown scenario " .. tostring(scenario))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local merged, non2xx = {}, 0
  for _, t in ipairs(threads) do
    local s = t:get("statuses") or {}
    for code, n in pairs(s) do
      merged[code] = (merged[code] or 0) + n
      if code < 200 or code > 299 then non2xx = non2xx + 1 * n end
    end
  end
  local parts = {}
  for code, n in pairs(merged) do parts[#parts + 1] = string.format('"%d":%d', code, n) end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"bytes":%d,'
      .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,'
      .. '"non2xx":%d,"statuses":{%s},'
      .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
    summary.requests, secs, summary.requests / secs, summary.bytes,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean,
    non2xx, table.concat(parts, ","),
    e.connect, e.read, e.write, e.status, e.timeout))
end
