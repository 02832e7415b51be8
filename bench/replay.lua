-- Replays prepared requests written by bench/serve.py, one a line:
--   METHOD <TAB> PATH <TAB> BODY <TAB> Header: value <TAB> ...
-- (headers carry the session cookie or bearer token, bodies the form). wrk args: -- <file>.
-- Run with one wrk thread: the list is sent in order, starting over at its end and counting a
-- wrap (for single-use entries, a quiz attempt, a wrap means the list ran out). Each response's
-- status is counted and printed at the end.

local function split(line)
  local fields = {}
  for f in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(fields, f) end
  return fields
end

function init(args)
  prepared = {}
  for line in io.lines(args[1]) do
    local f = split(line)
    local headers = {}
    for k = 4, #f do
      local name, value = f[k]:match("^([^:]+):%s*(.*)$")
      if name then headers[name] = value end
    end
    table.insert(prepared, wrk.format(f[1], f[2], headers, f[3] ~= "" and f[3] or nil))
  end
  index, wraps, statuses = 0, 0, {}
end

function request()
  index = index + 1
  if index > #prepared then
    index, wraps = 1, wraps + 1
  end
  return prepared[index]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

local thread
function setup(t) thread = t end

function done(summary, latency, requests)
  io.write(string.format("BENCH wraps=%d\n", thread:get("wraps") or 0))
  local parts = {}
  for status, n in pairs(thread:get("statuses") or {}) do table.insert(parts, status .. "=" .. n) end
  io.write("BENCH statuses=" .. table.concat(parts, ",") .. "\n")
end
