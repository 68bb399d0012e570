-- optimize rules: the anomaly alerts, the recommendations and the actions of `cx optimize`
-- (docs/diagnostics.md), over the scoreboard of the last N valid rows.
--
-- Three kinds of rule, told apart by `kind`:
--   "anomaly"         its reason is a line of the report's `anomalies`
--   "recommendation"  its reason is a line of `recommendations` (severity ok: advice, not a problem)
--   "action"          it carries the actions.v1 item `--actions` prints; only these gate
--                     `optimize --strict`, as in the reference
-- Input: input.scoreboard (the report's scoreboard; absent values are nil), input.rows (excerpts of
-- the typed rows, each with line, offset, execution_id ...), input.window.
-- Thresholds max_ms / max_eff follow CXALERT_MAX_MS / CXALERT_MAX_EFF_IN when those are set.

-- round(x * 100), half away from zero (the reference's integer percentages)
local function pct(x)
  local v = x * 100
  local neg = v < 0
  if neg then v = -v end
  local i = math.floor(v)
  if v - i >= 0.5 then i = i + 1 end
  i = math.tointeger(i) or i
  return neg and -i or i
end

local function rows_where(rows, keep)
  local out = {}
  for _, r in ipairs(rows) do
    if keep(r) then out[#out + 1] = r end
  end
  return out
end

local function tool_of(r)
  return type(r.tool) == "string" and r.tool or "unknown"
end

local function cache_degraded(sb, t)
  local trend = sb.cache_hit_trend
  return trend.first_half ~= nil and trend.second_half ~= nil and trend.second_half + t.cache_drop < trend.first_half
end

local function timed_out(r) return r.timed_out == true end
local function schema_failed(r)
  return r.schema_enforced == true and r.schema_valid == false and r.failure_class ~= "interrupted"
end
local function retried(r) return math.type(r.retry_attempt) == "integer" and r.retry_attempt > 1 end

-- An anomaly rule: fires(sb, t) -> text or nil; evidence(rows, sb, t) -> rows.
local function anomaly(id, fires, evidence)
  return {
    id = id,
    kind = "anomaly",
    severity = "warning",
    check = function(input, t)
      local sb = input.scoreboard
      if sb.runs == 0 then return nil end
      local text = fires(sb, t)
      if not text then return nil end
      return { reason = text, evidence = evidence and evidence(input.rows, sb, t) or nil }
    end,
  }
end

local function recommendation(id, fires)
  return {
    id = id,
    kind = "recommendation",
    severity = "ok",
    check = function(input, t)
      local sb = input.scoreboard
      if sb.runs == 0 then return nil end
      local text = fires(sb, t)
      return text and { reason = text } or nil
    end,
  }
end

-- An action rule on one scoreboard rate: it fires when the rate (absent: 0) is over t[limit].
local function rate_action(id, section, limit, text, keep, command)
  return {
    id = id,
    kind = "action",
    severity = "warning",
    check = function(input, t)
      local rate = input.scoreboard[section].rate or 0
      if rate <= t[limit] then return nil end
      return { reason = string.format(text, pct(rate)), evidence = rows_where(input.rows, keep) }
    end,
    action = { command = command },
  }
end

return {
  thresholds = {
    max_ms = 12000, -- alert threshold of a run's duration (CXALERT_MAX_MS)
    max_eff = 8000, -- alert threshold of a run's effective input tokens (CXALERT_MAX_EFF_IN)
    cache_drop = 0.05, -- cache hit rate drop between the window's halves
    schema_rate = 0.05, -- schema failure rate for the anomaly and for a critical action
    clip_rate = 0.30, -- budget clipping rate
    timeout_rate = 0.03, -- timeout rate
    retry_rows_rate = 0.10, -- share of rows that are retries (attempt > 1)
    recovery_rate_min = 0.70, -- share of timed-out tasks that later recover
    latency_hotspot_ms = 4000, -- the slowest tool's average duration that makes it a hotspot
  },

  rules = {
    anomaly("latency_concentration", function(sb, t)
      local top = sb.top_avg_duration_ms[1]
      if top and top[2] > t.max_ms // 2 then
        return string.format("High latency concentration: %s avg_duration_ms=%d", top[1], top[2])
      end
    end, function(rows, sb)
      return rows_where(rows, function(r) return tool_of(r) == sb.top_avg_duration_ms[1][1] end)
    end),
    anomaly("token_load_concentration", function(sb, t)
      local top = sb.top_avg_effective_input_tokens[1]
      if top and top[2] > t.max_eff // 2 then
        return string.format("High token load concentration: %s avg_effective_input_tokens=%d", top[1], top[2])
      end
    end, function(rows, sb)
      return rows_where(rows, function(r) return tool_of(r) == sb.top_avg_effective_input_tokens[1][1] end)
    end),
    anomaly("cache_hit_degraded", function(sb, t)
      if cache_degraded(sb, t) then
        -- The trailing comma is the reference's text, kept verbatim.
        return string.format("Cache hit degraded: first_half=%d%%, second_half=%d%%,",
          pct(sb.cache_hit_trend.first_half), pct(sb.cache_hit_trend.second_half))
      end
    end),
    anomaly("schema_failures_elevated", function(sb, t)
      local rate = sb.schema_failure_frequency.rate
      if rate and rate > t.schema_rate then
        return string.format("Schema failure frequency elevated: %d%%", pct(rate))
      end
    end, function(rows) return rows_where(rows, schema_failed) end),
    anomaly("budget_clipping_frequent", function(sb, t)
      local rate = sb.budget_clipping_frequency.rate
      if rate and rate > t.clip_rate then
        return string.format("Budget clipping frequent: %d%% of captured runs", pct(rate))
      end
    end, function(rows) return rows_where(rows, function(r) return r.clipped == true end) end),
    anomaly("timeout_frequency_elevated", function(sb, t)
      local rate = sb.timeout_frequency.rate
      if rate and rate > t.timeout_rate then
        return string.format("Timeout frequency elevated: %d%% of runs", pct(rate))
      end
    end, function(rows) return rows_where(rows, timed_out) end),
    anomaly("retry_pressure_elevated", function(sb, t)
      local rate = sb.retry_health.rows_after_retry_rate
      if rate and rate > t.retry_rows_rate then
        return string.format("Retry pressure elevated: %d%% of runs are attempt>1", pct(rate))
      end
    end, function(rows) return rows_where(rows, retried) end),
    anomaly("retry_recovery_weak", function(sb, t)
      local rate = sb.retry_health.tasks_recovery_rate
      if rate and rate < t.recovery_rate_min then
        return string.format("Retry recovery weak: only %d%% of timed-out tasks recover", pct(rate))
      end
    end, function(rows)
      return rows_where(rows, function(r) return timed_out(r) and r.retry_attempt ~= nil end)
    end),

    recommendation("lean_mode", function(sb)
      local top = sb.top_avg_effective_input_tokens[1]
      if top then
        return string.format("%s exceeds average token threshold (%d); recommend lean mode.", top[1], top[2])
      end
    end),
    recommendation("prompt_drift", function(sb, t)
      if cache_degraded(sb, t) then return "Cache hit rate degraded; inspect prompt drift." end
    end),
    recommendation("deterministic_mode", function(sb)
      if sb.schema_failure_frequency.schema_failures > 0 then
        -- The reference names the top token tool here, not the failing one; kept for compatibility.
        local top = sb.top_avg_effective_input_tokens[1]
        return string.format("Schema failures detected for %s; enforce deterministic mode.",
          top and top[1] or "schema command")
      end
    end),
    recommendation("timeout_tuning", function(sb)
      local tf = sb.timeout_frequency
      if tf.timeout_runs > 0 then
        local label = tf.top_labels[1] and tf.top_labels[1][1] or "long-running command"
        return string.format("Timeouts detected around '%s'; increase CX_CMD_TIMEOUT_SECS/CX_TIMEOUT_* " ..
          "or reduce prompt/capture scope.", label)
      end
    end),
    recommendation("retry_volume", function(sb, t)
      local rate = sb.retry_health.rows_after_retry_rate
      if rate and rate > t.retry_rows_rate then
        return string.format("Retry attempt volume is high (%d%% rows with attempt>1); reduce flaky commands " ..
          "and narrow captured context per task.", pct(rate))
      end
    end),
    recommendation("retry_recovery", function(sb, t)
      local rate = sb.retry_health.tasks_recovery_rate
      if rate and rate < t.recovery_rate_min then
        return string.format("Retry recovery is low (%d%%); tune timeout overrides per command label and " ..
          "split heavy objectives into smaller tasks.", pct(rate))
      end
    end),

    {
      -- The reference fired on any duration > 0, so --strict failed on every log; now it needs
      -- the slowest tool's average over latency_hotspot_ms.
      id = "latency_hotspot",
      kind = "action",
      severity = "warning",
      check = function(input, t)
        local top = input.scoreboard.top_avg_duration_ms[1]
        if not top or top[2] <= t.latency_hotspot_ms then return nil end
        return {
          reason = string.format("Highest average duration is concentrated on %s (%dms).", top[1], top[2]),
          evidence = rows_where(input.rows, function(r) return tool_of(r) == top[1] end),
        }
      end,
      action = { command = "cx optimize 200 --json --actions" },
    },
    {
      id = "schema_failure_frequency",
      kind = "action",
      severity = "warning",
      check = function(input, t)
        local rate = input.scoreboard.schema_failure_frequency.rate or 0
        if rate <= 0.0 then return nil end
        return {
          severity = rate > t.schema_rate and "critical" or "warning",
          reason = string.format("Schema failure rate detected at %d%%.", pct(rate)),
          evidence = rows_where(input.rows, schema_failed),
        }
      end,
      action = { command = "cx diag --json --strict --actions" },
    },
    rate_action("timeout_frequency", "timeout_frequency", "timeout_rate",
      "Timeout frequency is elevated at %d%% of runs.", timed_out, "cx logs stats 200 --json --strict"),
    rate_action("budget_clipping_frequency", "budget_clipping_frequency", "clip_rate",
      "Budget clipping occurs in %d%% of captured runs.", function(r) return r.clipped == true end, "cx budget"),
    {
      id = "cache_hit_degradation",
      kind = "action",
      severity = "warning",
      check = function(input, t)
        local delta = input.scoreboard.cache_hit_trend.delta or 0
        if delta >= -t.cache_drop then return nil end
        return { reason = string.format("Cache hit trend regressed by %d percentage points.", pct(delta)) }
      end,
      action = { command = "cx promptlint 200" },
    },
  },

  -- The gate looks at actions only, as in the reference: the highest action severity.
  severity = function(findings)
    local rank = { ok = 0, warning = 1, critical = 2 }
    local top = "ok"
    for _, f in ipairs(findings) do
      if f.kind == "action" and rank[f.severity] > rank[top] then top = f.severity end
    end
    return top
  end,
}
