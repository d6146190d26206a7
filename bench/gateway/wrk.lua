-- bench/gateway/wrk.lua - the wrk (4.x, LuaJIT) script of bench/gateway; see gateway.py.
--
-- Without PV_WRK_RATE: nothing changes wrk's closed loop (every connection sends its next request as
-- soon as the previous answer is read); only done() below is added.
--
-- With PV_WRK_RATE=<requests per second for ONE wrk thread>: paced closed loop. Each thread hands out
-- send times ("slots") every 1/rate seconds; a connection that is free asks delay() and waits until
-- the next slot not yet taken. wrk starts a request's clock when it is written, i.e. after the wait.
-- Slots missed by a short hiccup (all connections busy, or wrk itself descheduled on a busy machine)
-- are caught up, as far as free connections allow; slots more than LATE_MS behind are dropped rather
-- than sent in a burst: when the server is slower than the schedule for longer, the achieved rate
-- falls below the target, and gateway.py reports that. It is NOT an open loop (at most -c requests are in flight, and
-- a stalled server delays the following requests instead of letting them queue up), only a fixed
-- offered rate while the server keeps up. wrk's timers have millisecond resolution, so each request
-- goes out up to 1 ms before its slot; the schedule itself does not drift.
--
-- done(): one line "PVJSON {...}" on stdout: summary, errors and latency percentiles in microseconds
-- from wrk's own histogram (the one `wrk --latency` prints, with wrk's coordinated-omission
-- correction applied, see gateway.py).

local rate = tonumber(os.getenv("PV_WRK_RATE") or "")
local LATE_MS = 50.0

if rate and rate > 0 then
  local ffi = require("ffi")
  ffi.cdef [[
    typedef struct { long tv_sec; long tv_nsec; } pv_timespec_t;
    int clock_gettime(int clk_id, pv_timespec_t *tp);
  ]]
  local ts = ffi.new("pv_timespec_t")
  local CLOCK_MONOTONIC = 1
  local function now_ms()
    ffi.C.clock_gettime(CLOCK_MONOTONIC, ts)
    return tonumber(ts.tv_sec) * 1000.0 + tonumber(ts.tv_nsec) / 1e6
  end
  local interval = 1000.0 / rate
  local next_slot = nil

  function delay()
    local t = now_ms()
    if next_slot == nil or next_slot < t - LATE_MS then
      next_slot = t
    end
    local slot = next_slot
    next_slot = next_slot + interval
    local d = slot - t
    if d <= 0 then
      return 0
    end
    return math.floor(d)
  end
end

local function num(x)
  return string.format("%.0f", x)
end

function done(summary, latency, requests)
  local e = summary.errors
  local lat
  if summary.requests > 0 and latency.max > 0 then
    local ps = { "50", "75", "90", "95", "99", "99.9", "99.99" }
    local parts = {}
    for _, p in ipairs(ps) do
      parts[#parts + 1] = string.format('"%s":%s', p, num(latency:percentile(tonumber(p))))
    end
    lat = string.format('{"min":%s,"max":%s,"mean":%.1f,"stdev":%.1f,"percentiles":{%s}}',
      num(latency.min), num(latency.max), latency.mean, latency.stdev, table.concat(parts, ","))
  else
    lat = "null"
  end
  io.write(string.format(
    'PVJSON {"requests":%s,"duration_us":%s,"bytes":%s,"errors":{"connect":%s,"read":%s,"write":%s,"status":%s,"timeout":%s},"latency_us":%s,"paced_rate_per_thread":%s}\n',
    num(summary.requests), num(summary.duration), num(summary.bytes), num(e.connect), num(e.read),
    num(e.write), num(e.status), num(e.timeout), lat, rate and string.format("%.3f", rate) or "null"))
end
