--- actions.v1: what to run next for each finding (reference diagnostics.md §4). An action is a plain
--- table {id, severity ("warning"|"critical"), rationale, command}. Pure functions.
local stats = require "cx.diag.stats"
local rules = require "cx.diag.rules"

local actions = {}

actions.CONTRACT_VERSION = "actions.v1"

--- The diag/scheduler action for each reason key; {W} is replaced by the requested window.
actions.diag_table = {
  queue_p95_high = {
    severity = "warning",
    rationale = "Scheduler queue p95 latency is elevated.",
    command = "cx scheduler --json --window {W} --strict",
  },
  backend_skew_high = {
    severity = "warning",
    rationale = "Runs are concentrated on one backend; rebalance or benchmark policy.",
    command = "cx broker benchmark --window {W} --json",
  },
  worker_spread_low = {
    severity = "warning",
    rationale = "Worker distribution is narrow for current run volume.",
    command = "cx task run-plan --status pending --json",
  },
  retry_recovery_low = {
    severity = "critical",
    rationale = "Retry recovery rate is below target.",
    -- Not runnable as written (logs stats takes no value after --severity); contract data, verbatim.
    command = "cx logs stats 200 --json --strict --severity critical",
  },
  retry_pressure_high = {
    severity = "warning",
    rationale = "Retry attempt volume is elevated.",
    command = "cx optimize 200 --json --actions",
  },
  critical_halts_detected = {
    severity = "critical",
    rationale = "Task run-all critical halts were observed.",
    command = "cx task run-all --status pending",
  },
}

actions.diag_fallback = {
  severity = "warning",
  rationale = "Scheduler diagnostic anomaly detected.",
  command = "cx diag --json --window 200 --actions",
}

--- One action per diag/scheduler reason, in reason order. The id is the reason without its
--- ":value" suffix.
function actions.for_reasons(reasons, window)
  local out = {}
  for _, reason in ipairs(reasons) do
    local id = reason:match("^([^:]*)")
    local a = actions.diag_table[id] or actions.diag_fallback
    out[#out + 1] = {
      id = id,
      severity = a.severity,
      rationale = a.rationale,
      command = (a.command:gsub("{W}", tostring(window))),
    }
  end
  return out
end

--- optimize's actions from its scoreboard (§4.2), in the reference's order.
function actions.for_scoreboard(sb)
  local out = {}
  local top = sb.top_avg_duration_ms[1]
  if top and top[2] > 0 then
    out[#out + 1] = {
      id = "latency_hotspot",
      severity = "warning",
      rationale = string.format("Highest average duration is concentrated on %s (%dms).", top[1], top[2]),
      command = "cx optimize 200 --json --actions",
    }
  end
  local schema = sb.schema_failure_frequency.rate or 0
  if schema > 0.0 then
    out[#out + 1] = {
      id = "schema_failure_frequency",
      severity = schema > 0.05 and "critical" or "warning",
      rationale = string.format("Schema failure rate detected at %d%%.", stats.pct(schema)),
      command = "cx diag --json --strict --actions",
    }
  end
  local timeout = sb.timeout_frequency.rate or 0
  if timeout > 0.03 then
    out[#out + 1] = {
      id = "timeout_frequency",
      severity = "warning",
      rationale = string.format("Timeout frequency is elevated at %d%% of runs.", stats.pct(timeout)),
      command = "cx logs stats 200 --json --strict",
    }
  end
  local clip = sb.budget_clipping_frequency.rate or 0
  if clip > 0.30 then
    out[#out + 1] = {
      id = "budget_clipping_frequency",
      severity = "warning",
      rationale = string.format("Budget clipping occurs in %d%% of captured runs.", stats.pct(clip)),
      command = "cx budget",
    }
  end
  local delta = sb.cache_hit_trend.delta or 0
  if delta < -0.05 then
    out[#out + 1] = {
      id = "cache_hit_degradation",
      severity = "warning",
      rationale = string.format("Cache hit trend regressed by %d percentage points.", stats.pct(delta)),
      command = "cx promptlint 200",
    }
  end
  return out
end

--- The highest severity among actions, or nil when there are none.
function actions.highest(list)
  local top
  for _, a in ipairs(list) do top = top and rules.max_severity(top, a.severity) or a.severity end
  return top
end

return actions
