-- wrk script for bench/intake (see bench/README.md).
--
--   wrk -s wrk_post.lua URL -- REQUESTS_FILE THREADS
--       POSTs pre-signed Twilio SMS webhooks. REQUESTS_FILE has one request a line:
--       the form-encoded body, a tab, the X-Twilio-Signature. Thread i sends lines
--       i, i+THREADS, i+2*THREADS, ... so no MessageSid is sent twice; a thread that runs
--       out starts its slice again and every such resend is counted as a duplicate.
--   wrk -s wrk_post.lua URL
--       GETs URL: the trivial baseline, measured with the same per-request Lua work.
--
-- done() prints one JSON line: requests, duration, 2xx, errors, duplicates, p50/p99 in ms.

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

-- Per-thread state; globals so that done() can read them with thread:get().
sent, ok, loaded = 0, 0, 0
local bodies, signatures = {}, {}
local headers, get_request

function init(args)
   if not args[1] then
      get_request = wrk.format("GET")
      return
   end
   local stride, n = tonumber(args[2]), 0
   for line in io.lines(args[1]) do
      if n % stride == id then
         local body, signature = line:match("^([^\t]*)\t(.*)$")
         bodies[#bodies + 1], signatures[#signatures + 1] = body, signature
      end
      n = n + 1
   end
   loaded = #bodies
   headers = {
      ["Host"] = wrk.headers["Host"],
      ["Content-Type"] = "application/x-www-form-urlencoded",
      ["User-Agent"] = "TwilioProxy/1.1",
   }
end

function request()
   sent = sent + 1
   if get_request then
      return get_request
   end
   local i = (sent - 1) % loaded + 1
   headers["X-Twilio-Signature"] = signatures[i]
   return wrk.format("POST", nil, headers, bodies[i])
end

function response(status, _headers, _body)
   if status >= 200 and status < 300 then
      ok = ok + 1
   end
end

function done(summary, latency, _requests)
   local total_sent, total_ok, duplicates = 0, 0, 0
   for _, t in ipairs(threads) do
      local s, l = t:get("sent"), t:get("loaded")
      total_sent, total_ok = total_sent + s, total_ok + t:get("ok")
      if l > 0 and s > l then
         duplicates = duplicates + s - l
      end
   end
   local e = summary.errors
   io.write(string.format(
      '{"requests": %d, "duration_s": %.3f, "sent": %d, "ok": %d, "duplicates": %d, '
         .. '"errors": {"non_2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}, '
         .. '"p50_ms": %.3f, "p99_ms": %.3f}\n',
      summary.requests, summary.duration / 1e6, total_sent, total_ok, duplicates,
      summary.requests - total_ok, e.connect, e.read, e.write, e.timeout,
      latency:percentile(50) / 1000, latency:percentile(99) / 1000
   ))
end
