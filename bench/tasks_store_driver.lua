-- Bench driver: the task store over a tasks.json of N tasks (generated like `task add` records).
-- Prints one line per operation: "<name> <median ms> <runs>". Usage:
--   lua5.4 bench/tasks_store_driver.lua REPO_DIR N RUNS
local core = require "cx.core"
local json = require "cx.json"
local record = require "cx.tasks.record"
local store = require "cx.tasks.store"

local root, n, runs = arg[1], tonumber(arg[2]), tonumber(arg[3])
local s = assert(store.open({ root = root }))
local now = record.now()
local tasks = {}
for i = 1, n do
  tasks[i] = record.new(record.format_id(i), {
    objective = "Implement chunk " .. i .. " for: a moderately long objective that says what to do",
    role = "implementer", context_ref = "diff_chunk_" .. i, run_mode = i % 3 == 0 and "parallel" or "sequential",
    depends_on = json.array(i > 1 and { record.format_id(i - 1) } or {}),
    resource_keys = json.array({ "repo:read" }),
  }, now)
end
assert(core.fs.mkdir_p(s.dir))
assert(core.fs.write_atomic(s.path, store.encode(tasks)))

local function median(f)
  local times = {}
  for r = 1, runs do
    local t0 = core.loop.monotonic_ms()
    f(r)
    times[r] = core.loop.monotonic_ms() - t0
  end
  table.sort(times)
  return times[(runs + 1) // 2]
end

local size = core.fs.stat(s.path).size
print(string.format("file %d %d", n, size))
print(string.format("load %.1f %d", median(function() assert(s:load()) end), runs))
print(string.format("update_noop %.1f %d", median(function()
  assert(s:update(function() return true end))
end), runs))
print(string.format("claim_1 %.1f %d", median(function(r)
  assert(s:claim({ record.format_id(r) }, { run_id = "bench" }))
end), runs))
local batch = {}
for i = 1, 100 do batch[i] = { id = record.format_id(i), status = "complete" } end
print(string.format("finish_100 %.1f %d", median(function() assert(s:finish(batch)) end), runs))
