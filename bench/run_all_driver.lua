-- Helpers of bench/run_all.sh (through the cx.core module `make` builds):
--   tasks FILE N OBJECTIVE     a tasks.json of N pending tasks (no dependencies, no locks)
--   ideal N WORKERS            the mock's own latency over those N tasks divided by WORKERS, in ms
--                              (CX_MOCK_LATENCY_MS and CX_MOCK_SEED as the run sees them)
--   check REPO N               every one of the N tasks complete, and N attempts in the run log
local json = require "cx.json"

local cmd = arg[1]

local function id(i)
  return string.format("task_%05d", i)
end

if cmd == "tasks" then
  local file, n, objective = arg[2], tonumber(arg[3]), arg[4]
  local out = {}
  for i = 1, n do
    out[i] = { id = id(i), role = "implementer", objective = objective, context_ref = "", status = "pending",
      created_at = "2025-01-01T00:00:00Z", updated_at = "2025-01-01T00:00:00Z" }
  end
  local f = assert(io.open(file, "wb"))
  f:write(json.pretty(json.array(out)), "\n")
  f:close()
elseif cmd == "ideal" then
  local mock = require "cx.adapters.mock"
  local n, workers = tonumber(arg[2]), tonumber(arg[3])
  local sum = 0
  for i = 1, n do sum = sum + mock.latency_ms({ task = id(i), n = 1 }) end
  print(string.format("%.0f", sum / workers))
elseif cmd == "check" then
  local repo, n = arg[2], tonumber(arg[3])
  local f = assert(io.open(repo .. "/.codex/tasks.json", "rb"))
  local tasks = json.decode(f:read("a"))
  f:close()
  local complete = 0
  for _, t in ipairs(tasks) do
    if t.status == "complete" then complete = complete + 1 end
  end
  local rows = 0
  for line in io.lines(repo .. "/.codex/cxlogs/runs.jsonl") do
    if line:find('"task_id":"task_', 1, true) then rows = rows + 1 end
  end
  if complete ~= n or rows ~= n then
    io.stderr:write(string.format("run_all_driver: %d of %d tasks complete, %d attempt rows\n", complete, n, rows))
    os.exit(1)
  end
else
  io.stderr:write("usage: run_all_driver.lua tasks FILE N OBJECTIVE | ideal N WORKERS | check REPO N\n")
  os.exit(2)
end
