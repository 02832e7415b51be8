-- Replays the requests bench/serve.py wrote, one a line: METHOD \t PATH \t BODY \t Header: value \t ...
-- (wrk -t1 ... -- <file>). The list is sent in order and starts over at its end, counting a wrap
-- (for single-use entries, a quiz attempt, a wrap means it ran out); statuses are counted.
local thread
function setup(t) thread = t end

function init(args)
  prepared, index, wraps, statuses = {}, 0, 0, {}
  for line in io.lines(args[1]) do
    local f, headers = {}, {}
    for field in (line .. "\t"):gmatch("([^\t]*)\t") do table.insert(f, field) end
    for k = 4, #f do
      local name, value = f[k]:match("^([^:]+):%s*(.*)$")
      if name then headers[name] = value end
    end
    table.insert(prepared, wrk.format(f[1], f[2], headers, f[3] ~= "" and f[3] or nil))
  end
end

function request()
  index = index + 1
  if index > #prepared then index, wraps = 1, wraps + 1 end
  return prepared[index]
end

function response(status, headers, body) statuses[status] = (statuses[status] or 0) + 1 end

function done(summary, latency, requests)
  local parts = {}
  for status, n in pairs(thread:get("statuses") or {}) do table.insert(parts, status .. "=" .. n) end
  io.write(string.format("BENCH wraps=%d\nBENCH statuses=%s\n", thread:get("wraps") or 0, table.concat(parts, ",")))
end
