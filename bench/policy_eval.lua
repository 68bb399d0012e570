-- The cost of one sandboxed policy evaluation (docs/policies.md "Cost"): a fresh Lua state, the
-- deadline armed, the chunks compiled, the driver run, the answer copied back. Measured here:
--   state        `return 1` as the only chunk (the fixed cost)
--   scheduler    the shipped scheduler policy over a 50-row window, as `cx diag --window 50` runs it
--   optimize     the shipped optimize policy over the same rows
-- Run after `make`: lua5.4 bench/policy_eval.lua [N]
package.cpath = "build/lib/?.so;" .. package.cpath
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
local core = require "cx.core"
local policy = require "cx.policy"
local policy_rules = require "cx.policy_rules"
local diag_input = require "cx.diag.input"
local metrics = require "cx.diag.metrics"
local optimize = require "cx.diag.optimize"
local runlog = require "cx.runlog"

local n = tonumber(arg[1]) or 200
local now = core.loop.monotonic_ms

local rows = {}
for i = 1, 50 do
  rows[i] = runlog.row("cxo", { duration_ms = 1000 + i, queue_ms = 100 * i, worker_id = "w" .. (i % 4),
    retry_attempt = 1, execution_id = "e" .. i })
end
local offsets = {}
for i = 1, 50 do offsets[i] = (i - 1) * 2000 end
local info = { log_file = "/nonexistent", offsets = offsets }
local opts = { policies_dir = "/nonexistent" }

local function time(label, fn)
  fn()
  local t0, c0 = now(), os.clock()
  for _ = 1, n do assert(fn()) end
  local ms, cpu = (now() - t0) / n, (os.clock() - c0) * 1000 / n
  print(string.format("%-12s %7.3f ms per evaluation, %6.3f ms CPU (%d runs)", label, ms, cpu, n))
  return ms
end

time("state", function() return policy.evaluate({ chunks = { { path = "/b.lua", text = "return 1" } } }) end)
time("input 50", function()
  return diag_input.scheduler(rows, info, 50, metrics.compute(rows))
end)
time("scheduler", function()
  return policy_rules.evaluate("scheduler", diag_input.scheduler(rows, info, 50, metrics.compute(rows)), opts)
end)
local sb = optimize.scoreboard(rows, optimize.thresholds(function() return nil end))
time("optimize", function()
  return policy_rules.evaluate("optimize", diag_input.optimize(rows, info, 50, sb), opts)
end)
