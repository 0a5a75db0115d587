-- wrk script for bench/ussd (see bench/README.md).
--
--   wrk -tN -cN -s wrk_ussd.lua URL -- SESSIONS_FILE N
--       Simulates USSD sessions, one at a time per connection. wrk does not tell request()
--       which connection it serves, so it runs one connection per thread (-t = -c) and the
--       session state lives in the thread. SESSIONS_FILE has one session a line: its fixed
--       form fields (sessionId, phoneNumber, networkCode, serviceCode) url-encoded, then
--       the reporter's answers, tab-separated. Hop k posts text = the first k-1 answers
--       joined by "*". Thread i walks sessions i, i+N, i+2N, ...; a thread that runs out
--       starts its slice again and every such session is counted as reused.
--   wrk -tN -cN -s wrk_ussd.lua URL
--       GETs URL: the trivial baseline, measured with the same per-request Lua work.
--
-- A hop must answer 200 with "CON " (a screen expecting input) or "END " (the session's last
-- hop); anything else is bad, and END before the last hop or CON on it is unexpected. After
-- either, or a hop left unanswered (socket error), the session is dropped and a new one starts.
-- done() prints one JSON line: counts, and p50/p99 in ms overall (wrk's histogram) and per
-- step (timed in Lua around each request).

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clock_id, bench_timespec *tp);
]])
local clock = ffi.new("bench_timespec")
local function now_us()
   ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
   return tonumber(clock.tv_sec) * 1e6 + tonumber(clock.tv_nsec) / 1e3
end

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

-- Per-thread state; globals so that done() can read them with thread:get().
sent, ok, bad, unexpected, lost, started, completed, reused = 0, 0, 0, 0, 0, 0, 0, 0
-- Latencies in microseconds, one flat table per step (lat_open, ..., lat_get): this wrk's
-- thread:get() crashes on nested tables.
local steps = { "open", "category", "place", "time", "send", "get" }
for _, name in ipairs(steps) do _G["lat_" .. name] = {} end
local sessions, headers, get_request = {}, nil, nil
local session, hop, step, started_at, next_session = nil, 0, nil, 0, 0

local function urlencode(text)
   return (text:gsub("[^%w%-%._~]", function(c) return string.format("%%%02X", c:byte()) end))
end

local function step_name(n, hops)
   if n == 1 then return "open" end
   if n == hops then return "send" end
   if n == hops - 1 then return "time" end
   if n == 2 then return "category" end
   return "place"
end

function init(args)
   if not args[1] then
      get_request = wrk.format("GET")
      return
   end
   local stride, n = tonumber(args[2]), 0
   for line in io.lines(args[1]) do
      if n % stride == id then
         local fields = {}
         for field in (line .. "\t"):gmatch("([^\t]*)\t") do fields[#fields + 1] = field end
         sessions[#sessions + 1] = fields
      end
      n = n + 1
   end
   headers = {
      ["Host"] = wrk.headers["Host"],
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["User-Agent"] = "AfricasTalking-USSD-bench",
   }
end

function request()
   if step and sent == 1 and id == 0 then
      -- wrk calls request() once on thread 0 before connecting, to inspect it: nothing was sent.
      sent, started, next_session, session, step = 0, 0, 0, nil, nil
   end
   sent = sent + 1
   if step then -- the previous hop was never answered
      lost, session = lost + 1, nil
   end
   if get_request then
      step, started_at = "get", now_us()
      return get_request
   end
   if not session or hop > #session then
      next_session = next_session + 1
      if next_session > #sessions then reused = reused + 1 end
      session, hop, started = sessions[(next_session - 1) % #sessions + 1], 1, started + 1
   end
   step = step_name(hop, #session)
   local body = session[1] .. "&text=" .. urlencode(table.concat(session, "*", 2, hop))
   started_at = now_us()
   return wrk.format("POST", nil, headers, body)
end

function response(status, _headers, body)
   local elapsed, name = now_us() - started_at, step
   step = nil
   table.insert(_G["lat_" .. name], elapsed)
   local kind = status == 200 and body:sub(1, 4) or ""
   if get_request then
      if status == 200 then ok = ok + 1 else bad = bad + 1 end
   elseif kind ~= "CON " and kind ~= "END " then
      bad, session = bad + 1, nil
   elseif (kind == "END ") ~= (hop == #session) then
      unexpected, session = unexpected + 1, nil
   else
      ok = ok + 1
      if hop == #session then completed = completed + 1 end
      hop = hop + 1
   end
end

local function percentile(sorted, p)
   return sorted[math.max(1, math.ceil(#sorted * p / 100))] / 1000
end

function done(summary, latency, _requests)
   local names = { "sent", "ok", "bad", "unexpected", "lost", "started", "completed", "reused" }
   local totals, merged = {}, {}
   for _, name in ipairs(names) do totals[name] = 0 end
   for _, name in ipairs(steps) do merged[name] = {} end
   for _, t in ipairs(threads) do
      for _, name in ipairs(names) do totals[name] = totals[name] + t:get(name) end
      for _, name in ipairs(steps) do
         for _, v in ipairs(t:get("lat_" .. name)) do table.insert(merged[name], v) end
      end
   end
   local parts = {}
   for _, name in ipairs(names) do parts[#parts + 1] = string.format('"%s": %d', name, totals[name]) end
   local step_parts = {}
   for _, name in ipairs(steps) do
      local values = merged[name]
      if #values > 0 then
         table.sort(values)
         step_parts[#step_parts + 1] = string.format('"%s": {"count": %d, "p50_ms": %.3f, "p99_ms": %.3f}',
            name, #values, percentile(values, 50), percentile(values, 99))
      end
   end
   local e = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_s": %.3f, %s, '
         .. '"errors": {"bad_answer": %d, "unexpected_answer": %d, "connect": %d, "read": %d, '
         .. '"write": %d, "timeout": %d}, "p50_ms": %.3f, "p99_ms": %.3f, "steps": {%s}}\n',
      summary.requests, summary.duration / 1e6, table.concat(parts, ", "),
      totals.bad, totals.unexpected, e.connect, e.read, e.write, e.timeout,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000, table.concat(step_parts, ", ")
   ))
end
