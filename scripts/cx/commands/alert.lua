--- `cx alert [N]` (`cxalert`): slow and token-heavy runs among the last N. What counts as a violation
--- is the alert policy (policies/alert.lua, overridable in .codex/policies/); CXALERT_MAX_MS and
--- CXALERT_MAX_EFF_IN override its thresholds for one run. A report, not a gate: exit 0.
local config = require "cx.config"
local runs = require "cx.analytics.runs"
local judge = require "cx.analytics.judge"
local window = require "cx.commands.window_args"

local M = { summary = "slow and token-heavy runs among the last N (alert policy)" }

M.DEFAULT_N = 50

function M.parser()
  return window.parser("alert", "Slow and token-heavy runs among the last N: threshold violations (the alert "
    .. "policy, policies/alert.lua), cache hit rate, the top 5 slowest and heaviest runs.", M.DEFAULT_N,
    { epilog = "Thresholds: max_ms (12000) and max_eff_in (8000) in the policy; CXALERT_MAX_MS and "
      .. "CXALERT_MAX_EFF_IN override them. Exit codes: 0 (a report, not a gate), 1 log or policy error, "
      .. "2 usage error." })
end

--- Thresholds from the environment (non-integers are ignored, as the reference falls back).
function M.env_thresholds()
  return { max_ms = config.parse_uint(os.getenv("CXALERT_MAX_MS")),
    max_eff_in = config.parse_uint(os.getenv("CXALERT_MAX_EFF_IN")) }
end

local function count(result, id)
  for _, f in ipairs(result.findings) do
    if f.id == id then return f.evidence_count end
  end
  return 0
end

local function top_lines(L, title, list, fmt)
  if #list == 0 then
    L[#L + 1] = title .. " n/a"
    return
  end
  L[#L + 1] = title
  for _, e in ipairs(list) do L[#L + 1] = string.format(fmt, e.value, e.tool, e.ts or "n/a") end
end

function M.run(argv)
  local opts, rows, info = window.read_typed("alert", M.parser(), argv, M.DEFAULT_N)
  if not opts then return rows end
  local result, err = judge.evaluate("alert", runs.alert_input(rows, opts.n), { thresholds = M.env_thresholds() })
  if not result then
    io.stderr:write("cx alert: ", err, "\n")
    return 1
  end
  local a = runs.alert(rows)
  local t = result.thresholds
  local L = { string.format("== cx alert (last %d runs) ==", opts.n), "Runs: " .. a.runs }
  if a.runs > 0 then L[#L + 1] = string.format("Thresholds: max_ms=%s, max_eff_in=%s", t.max_ms, t.max_eff_in) end
  L[#L + 1] = "Slow threshold violations: " .. count(result, "slow_runs")
  L[#L + 1] = "Token threshold violations: " .. count(result, "token_heavy_runs")
  L[#L + 1] = "Avg cache hit rate: " .. (a.cache_hit_pct and (a.cache_hit_pct .. "%") or "n/a")
  top_lines(L, "Top 5 slowest:", a.slowest, "- %dms | %s | %s")
  top_lines(L, "Top 5 heaviest:", a.heaviest, "- %d effective tokens | %s | %s")
  for _, f in ipairs(result.findings) do
    if f.id ~= "slow_runs" and f.id ~= "token_heavy_runs" then
      L[#L + 1] = string.format("Alert [%s] %s: %s", f.severity, f.id, f.reason)
    end
  end
  L[#L + 1] = "log_file: " .. info.log_file
  io.stdout:write(table.concat(L, "\n"), "\n")
  return 0
end

return M
