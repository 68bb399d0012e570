--- Anomaly rules, severity and strict gating (reference diagnostics.md §3.2, §3.3, §3.5).
--- Each rule list is plain data: {id =, check = function(input) -> fired, detail}. They are the
--- shipped defaults a policy script will later replace; everything here is pure.
local stats = require "cx.diag.stats"

local rules = {}

--- Severity ranks shared by diag, scheduler, optimize and their actions; unknown strings rank 0.
rules.RANK = { ok = 0, warning = 1, critical = 2 }

function rules.rank(severity)
  return rules.RANK[severity] or 0
end

--- The higher of two severities.
function rules.max_severity(a, b)
  if rules.rank(b) > rules.rank(a) then return b end
  return a
end

--- diag/scheduler reasons, evaluated in this order over the metric blocks of cx.diag.metrics.
rules.diag = {
  {
    id = "queue_p95_high",
    check = function(m)
      local p95 = m.scheduler.queue_ms_p95 or 0
      return m.scheduler.queue_rows >= 3 and p95 >= 2000, tostring(p95)
    end,
  },
  {
    id = "backend_skew_high",
    check = function(m)
      local total, top = 0, 0
      for _, n in pairs(m.scheduler.backend_distribution) do
        total = total + n
        if n > top then top = n end
      end
      return total >= 6 and top * 100 >= total * 90
    end,
  },
  {
    -- Zero workers count as narrow too, and window_runs includes rows without worker_id.
    id = "worker_spread_low",
    check = function(m)
      return m.scheduler.window_runs >= 6 and #m.scheduler.workers_seen <= 1
    end,
  },
  {
    id = "retry_recovery_low",
    check = function(m)
      return m.retry.rows_after_retry >= 3 and m.retry.rows_after_retry_success_rate < 0.50
    end,
  },
  {
    id = "retry_pressure_high",
    check = function(m)
      return m.retry.window_runs >= 10 and m.retry.rows_with_retry_metadata * 100 >= m.retry.window_runs * 30
    end,
  },
  {
    id = "critical_halts_detected",
    check = function(m)
      return m.critical.halted_rows > 0
    end,
  },
}

--- Evaluate rule list over input; returns the reasons as strings ("id" or "id:detail").
function rules.reasons(input, list)
  local out = {}
  for _, rule in ipairs(list or rules.diag) do
    local fired, detail = rule.check(input)
    if fired then out[#out + 1] = detail and (rule.id .. ":" .. detail) or rule.id end
  end
  return out
end

--- Severity from the number of reasons, whichever fired: 0 ok, 1 warning, 2 or more critical.
function rules.severity(reasons)
  if #reasons >= 2 then return "critical" end
  if #reasons == 1 then return "warning" end
  return "ok"
end

--- Whether a --strict run fails: the highest of the report's severity (nil for optimize, whose gate
--- looks at actions only) and its actions' severities reaches the floor ("warning" by default).
function rules.strict_fails(floor, severity, actions)
  local top = severity or "ok"
  for _, a in ipairs(actions or {}) do top = rules.max_severity(top, a.severity) end
  return rules.rank(top) >= rules.rank(floor or "warning") and rules.rank(top) > 0
end

--- Cache hit degraded between the window's halves: both halves known and second + 0.05 < first.
--- (The cache_hit_degradation action tests delta < -0.05 instead; both kept literally.)
function rules.cache_degraded(sb)
  local t = sb.cache_hit_trend
  return t.first_half ~= nil and t.second_half ~= nil and t.second_half + 0.05 < t.first_half
end

--- optimize anomalies over a scoreboard (cx.diag.optimize) and thresholds {max_ms, max_eff}:
--- {id =, check = function(sb, th) -> text or nil}, in the reference's order.
rules.optimize = {
  {
    id = "latency_concentration",
    check = function(sb, th)
      local top = sb.top_avg_duration_ms[1]
      if top and top[2] > th.max_ms // 2 then
        return string.format("High latency concentration: %s avg_duration_ms=%d", top[1], top[2])
      end
    end,
  },
  {
    id = "token_load_concentration",
    check = function(sb, th)
      local top = sb.top_avg_effective_input_tokens[1]
      if top and top[2] > th.max_eff // 2 then
        return string.format("High token load concentration: %s avg_effective_input_tokens=%d", top[1], top[2])
      end
    end,
  },
  {
    id = "cache_hit_degraded",
    check = function(sb)
      if rules.cache_degraded(sb) then
        -- The trailing comma is the reference's text, kept verbatim.
        return string.format("Cache hit degraded: first_half=%d%%, second_half=%d%%,",
          stats.pct(sb.cache_hit_trend.first_half), stats.pct(sb.cache_hit_trend.second_half))
      end
    end,
  },
  {
    id = "schema_failure_frequency",
    check = function(sb)
      local rate = sb.schema_failure_frequency.rate
      if rate and rate > 0.05 then return string.format("Schema failure frequency elevated: %d%%", stats.pct(rate)) end
    end,
  },
  {
    id = "budget_clipping_frequency",
    check = function(sb)
      local rate = sb.budget_clipping_frequency.rate
      if rate and rate > 0.30 then
        return string.format("Budget clipping frequent: %d%% of captured runs", stats.pct(rate))
      end
    end,
  },
  {
    id = "timeout_frequency",
    check = function(sb)
      local rate = sb.timeout_frequency.rate
      if rate and rate > 0.03 then return string.format("Timeout frequency elevated: %d%% of runs", stats.pct(rate)) end
    end,
  },
  {
    id = "retry_pressure",
    check = function(sb)
      local rate = sb.retry_health.rows_after_retry_rate
      if rate and rate > 0.10 then
        return string.format("Retry pressure elevated: %d%% of runs are attempt>1", stats.pct(rate))
      end
    end,
  },
  {
    id = "retry_recovery_weak",
    check = function(sb)
      local rate = sb.retry_health.tasks_recovery_rate
      if rate and rate < 0.70 then
        return string.format("Retry recovery weak: only %d%% of timed-out tasks recover", stats.pct(rate))
      end
    end,
  },
}

--- The anomaly strings of a scoreboard, in order. An empty window has none.
function rules.anomalies(sb, th, list)
  local out = {}
  if sb.runs == 0 then return out end
  for _, rule in ipairs(list or rules.optimize) do
    local text = rule.check(sb, th)
    if text then out[#out + 1] = text end
  end
  return out
end

return rules
