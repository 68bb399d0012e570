-- Bench driver: runs N jobs through cx.core.loop, CONCURRENCY at a time, and exits non-zero if any
-- failed. Usage: lua5.4 bench/loop_driver.lua http URL N CONCURRENCY
--                lua5.4 bench/loop_driver.lua proc N CONCURRENCY ARGV...
local core = require "cx.core"

local mode = arg[1]
local start_job, n, concurrency
if mode == "http" then
  local url = arg[2]
  n, concurrency = tonumber(arg[3]), tonumber(arg[4])
  start_job = function(loop)
    return loop:http { url = url, total_timeout_ms = 30000 }
  end
elseif mode == "proc" then
  n, concurrency = tonumber(arg[2]), tonumber(arg[3])
  local argv = table.move(arg, 4, #arg, 1, {})
  start_job = function(loop)
    return loop:spawn { argv = argv, timeout_ms = 30000 }
  end
else
  io.stderr:write("usage: loop_driver.lua http URL N C | proc N C ARGV...\n")
  os.exit(2)
end

local loop = core.loop.new()
local started, finished, failed = 0, 0, 0
while finished < n do
  while started < n and loop:pending() < concurrency do
    assert(start_job(loop))
    started = started + 1
  end
  for _, c in ipairs(loop:wait()) do
    finished = finished + 1
    if not c.ok then
      failed = failed + 1
      io.stderr:write("job failed: ", tostring(c.class), " ", tostring(c.error), "\n")
    end
  end
end
loop:close()
os.exit(failed == 0 and 0 or 1)
