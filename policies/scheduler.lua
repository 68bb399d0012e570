-- Scheduler rules: what `cx diag` and `cx scheduler` report as severity_reasons, the actions they
-- suggest, and the severity gate (docs/diagnostics.md). Both commands evaluate this one policy, so
-- their reasons and actions agree, as in the reference.
--
-- Every rule is about = "scheduled": it judges only rows the task scheduler wrote (a worker, a
-- queue wait, a retry attempt, a run-all), so plain `cx cxo` use raises nothing here. Its input:
--   input.rows     excerpts of the scheduled rows ({line, offset, execution_id, queue_ms, ...})
--   input.metrics  the scheduler / retry / critical blocks over those rows (docs/diagnostics.md)
--   input.window   the requested window; input.all is the unscoped input (every row, all metrics)
-- A check returns nil (nothing found) or { reason, severity, message, evidence = {rows...} }.
--
-- Override in .codex/policies/scheduler.lua with `extends = true` (see policies/examples/).

local function rows_where(rows, keep)
  local out = {}
  for _, r in ipairs(rows) do
    if keep(r) then out[#out + 1] = r end
  end
  return out
end

local function int(v)
  return math.type(v) == "integer" and v >= 0 and v or nil
end

return {
  thresholds = {
    queue_min_rows = 3, -- queue_p95_high needs this many rows with queue_ms
    queue_p95_ms = 2000, -- ... and a p95 at or above this
    skew_min_rows = 6, -- backend_skew_high needs this many rows naming a backend
    skew_top_pct = 90, -- ... and the busiest backend carrying at least this share
    spread_min_rows = 6, -- worker_spread_low needs this many scheduled rows
    spread_max_workers = 1, -- ... and at most this many distinct workers
    retry_min_rows = 3, -- retry_recovery_low needs this many rows after a retry
    retry_success_min = 0.50, -- ... and a success rate below this
    pressure_min_rows = 10, -- retry_pressure_high needs this many scheduled rows
    pressure_pct = 30, -- ... and at least this share of them being retries (attempt > 1)
  },

  rules = {
    {
      id = "queue_p95_high",
      about = "scheduled",
      severity = "warning",
      check = function(input, t)
        local s = input.metrics.scheduler
        local p95 = s.queue_ms_p95 or 0
        if s.queue_rows < t.queue_min_rows or p95 < t.queue_p95_ms then return nil end
        return {
          reason = "queue_p95_high:" .. p95,
          message = string.format("Scheduler queue p95 is %d ms (threshold %d ms) over %d queued rows.", p95,
            t.queue_p95_ms, s.queue_rows),
          evidence = rows_where(input.rows, function(r) return (int(r.queue_ms) or -1) >= t.queue_p95_ms end),
        }
      end,
      action = {
        rationale = "Scheduler queue p95 latency is elevated.",
        command = "cx scheduler --json --window {W} --strict",
      },
    },
    {
      id = "backend_skew_high",
      about = "scheduled",
      severity = "warning",
      check = function(input, t)
        local total, top, top_name = 0, 0, nil
        for name, n in pairs(input.metrics.scheduler.backend_distribution) do
          total = total + n
          if n > top or (n == top and top_name and name < top_name) then top, top_name = n, name end
        end
        if total < t.skew_min_rows or top * 100 < total * t.skew_top_pct then return nil end
        return {
          message = string.format("%d of %d scheduled runs went to backend '%s'.", top, total, top_name),
          evidence = rows_where(input.rows, function(r)
            local b = type(r.backend_selected) == "string" and r.backend_selected or r.backend_used
            return b == top_name
          end),
        }
      end,
      action = {
        rationale = "Runs are concentrated on one backend; rebalance or benchmark policy.",
        command = "cx broker benchmark --window {W} --json",
      },
    },
    {
      -- Zero workers count as narrow too, as in the reference.
      id = "worker_spread_low",
      about = "scheduled",
      severity = "warning",
      check = function(input, t)
        local s = input.metrics.scheduler
        if s.window_runs < t.spread_min_rows or #s.workers_seen > t.spread_max_workers then return nil end
        return {
          message = string.format("%d scheduled runs used %d distinct worker(s).", s.window_runs, #s.workers_seen),
          evidence = input.rows,
        }
      end,
      action = {
        rationale = "Worker distribution is narrow for current run volume.",
        command = "cx task run-plan --status pending --json",
      },
    },
    {
      id = "retry_recovery_low",
      about = "scheduled",
      severity = "warning", -- the finding counts like any reason; its action is critical
      check = function(input, t)
        local r = input.metrics.retry
        if r.rows_after_retry < t.retry_min_rows or r.rows_after_retry_success_rate >= t.retry_success_min then
          return nil
        end
        return {
          message = string.format("Only %d of %d retried runs succeeded.", r.rows_after_retry_success,
            r.rows_after_retry),
          evidence = rows_where(input.rows, function(row)
            return (int(row.retry_attempt) or 0) > 1
              and (row.timed_out == true or row.schema_valid == false or row.policy_blocked == true)
          end),
        }
      end,
      action = {
        severity = "critical",
        rationale = "Retry recovery rate is below target.",
        command = "cx logs stats 200 --json --strict --severity critical",
      },
    },
    {
      -- Retries are rows with attempt > 1 (the reference counted every row carrying an attempt,
      -- so any run-all of ten tasks raised it).
      id = "retry_pressure_high",
      about = "scheduled",
      severity = "warning",
      check = function(input, t)
        local r = input.metrics.retry
        if r.window_runs < t.pressure_min_rows or r.rows_after_retry * 100 < r.window_runs * t.pressure_pct then
          return nil
        end
        return {
          message = string.format("%d of %d scheduled runs were retries.", r.rows_after_retry, r.window_runs),
          evidence = rows_where(input.rows, function(row) return (int(row.retry_attempt) or 0) > 1 end),
        }
      end,
      action = {
        rationale = "Retry attempt volume is elevated.",
        command = "cx optimize 200 --json --actions",
      },
    },
    {
      id = "critical_halts_detected",
      about = "scheduled",
      severity = "warning", -- as the reference: one reason is a warning report; the action is critical
      check = function(input)
        local c = input.metrics.critical
        if c.halted_rows == 0 then return nil end
        return {
          message = string.format("%d run-all run(s) stopped before every task finished.", c.halted_rows),
          evidence = rows_where(input.rows, function(r)
            local s, done, failed = int(r.run_all_scheduled), int(r.run_all_complete), int(r.run_all_failed)
            return r.tool == "cxtask_runall" and s and done and failed and done + failed < s
          end),
        }
      end,
      action = {
        severity = "critical",
        rationale = "Task run-all critical halts were observed.",
        command = "cx task run-all --status pending",
      },
    },
  },

  -- The gate: how many reasons fired, not which (the reference's rule): 0 ok, 1 warning, 2+
  -- critical. A rule of your own with severity = "critical" raises it to critical by itself.
  severity = function(findings)
    local rank = { ok = 0, warning = 1, critical = 2 }
    local n, top = 0, "ok"
    for _, f in ipairs(findings) do
      if f.severity ~= "ok" then n = n + 1 end
      if rank[f.severity] > rank[top] then top = f.severity end
    end
    local counted = n >= 2 and "critical" or n == 1 and "warning" or "ok"
    return rank[counted] > rank[top] and counted or top
  end,
}
