-- Replays a list of prepared requests written by bench/load.py, one line per request:
--   METHOD <TAB> PATH <TAB> BODY <TAB> Header: value <TAB> Header: value ...
-- (headers carry the session cookie or bearer token, bodies the form: CSRF token,
-- pre-computed quiz answers). wrk args: -- <file> <threads>.
-- Each wrk thread takes every n-th line (line i goes to thread i % n), so no two
-- threads ever send the same entry; a thread that reaches the end of its share
-- starts over and counts a wrap (for single-use entries, such as an attempt that
-- can be submitted once, a wrap means the pool ran out and the run is flagged).
-- With BENCH_STATUSES=1 each response's status is counted and printed at the end.

local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    table.insert(fields, field)
  end
  return fields
end

function init(args)
  local path, nthreads = args[1], tonumber(args[2] or "1")
  prepared = {}
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local f = split(line)
      local headers = {}
      for k = 4, #f do
        local name, value = f[k]:match("^([^:]+):%s*(.*)$")
        if name then headers[name] = value end
      end
      local body = nil
      if f[3] ~= nil and f[3] ~= "" then body = f[3] end
      table.insert(prepared, wrk.format(f[1], f[2], headers, body))
    end
    i = i + 1
  end
  index, wraps, statuses = 0, 0, {}
end

function request()
  index = index + 1
  if index > #prepared then
    index = 1
    wraps = wraps + 1
  end
  return prepared[index]
end

if os.getenv("BENCH_STATUSES") == "1" then
  function response(status, headers, body)
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, requests)
  local wrapped, counts = 0, {}
  for _, thread in ipairs(threads) do
    wrapped = wrapped + (thread:get("wraps") or 0)
    local s = thread:get("statuses")
    if s then
      for status, n in pairs(s) do counts[status] = (counts[status] or 0) + n end
    end
  end
  io.write(string.format("BENCH wraps=%d\n", wrapped))
  local parts = {}
  for status, n in pairs(counts) do table.insert(parts, status .. "=" .. n) end
  io.write("BENCH statuses=" .. table.concat(parts, ",") .. "\n")
end
