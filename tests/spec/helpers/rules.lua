--- Test helper: evaluate the shipped rule policies (policies/scheduler.lua, policies/optimize.lua)
--- over rows, as cx diag / cx optimize do, without any repository override.
local metrics = require "cx.diag.metrics"
local diag_input = require "cx.diag.input"
local optimize = require "cx.diag.optimize"
local policy_rules = require "cx.policy_rules"

local M = {}

M.NO_REPO = { policies_dir = "/nonexistent/policies" }

--- The scheduler policy's result over rows (window defaults to #rows).
function M.scheduler(rows, window, opts)
  local input = diag_input.scheduler(rows, {}, window or #rows, metrics.compute(rows))
  return assert(policy_rules.evaluate("scheduler", input, opts or M.NO_REPO))
end

--- The reasons (severity_reasons) the scheduler policy gives for rows.
function M.reasons(rows)
  local out = {}
  for i, f in ipairs(M.scheduler(rows).findings) do out[i] = f.reason end
  return out
end

--- The optimize policy's result over typed rows; th = {max_ms, max_eff} as the environment sets.
function M.optimize(rows, th, window)
  local sb = optimize.scoreboard(rows, optimize.thresholds(function() return nil end))
  local opts = { policies_dir = M.NO_REPO.policies_dir, thresholds = th }
  return assert(policy_rules.evaluate("optimize", diag_input.optimize(rows, {}, window or 200, sb), opts))
end

--- The reasons of the findings of one kind ("anomaly", "recommendation", "action").
function M.of_kind(result, kind)
  local out = {}
  for _, f in ipairs(result.findings) do
    if f.kind == kind then out[#out + 1] = f.reason end
  end
  return out
end

return M
