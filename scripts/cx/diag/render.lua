--- Text output of `diag`, `scheduler` and `optimize` (reference diagnostics.md §1.1, §5.5), rendered
--- from the JSON-shaped reports of cx.diag.report. Returns strings; printing is the command's job.
local json = require "cx.json"
local stats = require "cx.diag.stats"
local report_format = require "cx.report_format"

local render = {}

local function absent(v)
  return v == nil or v == json.null
end

local function int_or_na(v)
  if absent(v) then return "n/a" end
  return tostring(v)
end

local function pct_or_na(v)
  if absent(v) then return "n/a" end
  return stats.pct(v) .. "%"
end

-- "k=v" pairs of a map, keys sorted as strings, or "<none>".
local function map_line(t, sep)
  local keys = stats.sorted_keys(t)
  if #keys == 0 then return "<none>" end
  local parts = {}
  for i, k in ipairs(keys) do parts[i] = k .. sep .. tostring(t[k]) end
  return table.concat(parts, ",")
end

local function list_line(t)
  if #t == 0 then return "<none>" end
  return table.concat(t, ",")
end

local function action_lines(out, list)
  if #list == 0 then
    out[#out + 1] = "- none"
    return
  end
  for _, a in ipairs(list) do
    out[#out + 1] = string.format("- [%s] %s: %s -> %s", a.severity, a.id, a.rationale, a.command)
  end
end

-- One line per finding with the rows that triggered it (cx's addition; absent when none fired).
local function finding_lines(out, findings)
  if not findings or #findings == 0 then return end
  out[#out + 1] = "findings:"
  for _, f in ipairs(findings) do
    local ev = report_format.evidence_text(f)
    out[#out + 1] = string.format("- [%s] %s: %s%s", f.severity, f.id, f.message, ev ~= "" and " (" .. ev .. ")" or "")
  end
end

-- The scheduler/retry/critical lines through severity and actions, shared by diag and scheduler.
local function blocks(out, doc)
  local s, r, c = doc.scheduler, doc.retry, doc.critical
  local lines = {
    "scheduler_window_runs: " .. s.window_runs,
    "scheduler_queue_rows: " .. s.queue_rows,
    "scheduler_queue_ms_avg: " .. int_or_na(s.queue_ms_avg),
    "scheduler_queue_ms_p95: " .. int_or_na(s.queue_ms_p95),
    "scheduler_workers_seen: " .. list_line(s.workers_seen),
    "scheduler_worker_distribution: " .. map_line(s.worker_distribution, "="),
    "scheduler_backend_distribution: " .. map_line(s.backend_distribution, "="),
    "retry_rows_with_metadata: " .. r.rows_with_retry_metadata,
    "retry_rows_after_retry: " .. r.rows_after_retry,
    "retry_rows_after_retry_success: " .. r.rows_after_retry_success,
    "retry_rows_after_retry_success_rate: " .. stats.fmt2(r.rows_after_retry_success_rate),
    "retry_tasks_with_retry: " .. r.tasks_with_retry,
    "retry_tasks_recovered: " .. r.tasks_retry_recovered,
    "retry_tasks_recovery_rate: " .. stats.fmt2(r.tasks_retry_recovery_rate),
    "retry_attempt_histogram: " .. map_line(r.attempt_histogram, "="),
    "critical_summary_rows: " .. c.summary_rows,
    "critical_halt_enabled_rows: " .. c.halt_enabled_rows,
    "critical_halted_rows: " .. c.halted_rows,
    "critical_errors_total: " .. c.critical_errors_total,
    "critical_runs_with_errors: " .. c.runs_with_critical_errors,
    "scheduler_window_requested: " .. doc.scheduler_window_requested,
    "severity: " .. doc.severity,
  }
  for _, l in ipairs(lines) do out[#out + 1] = l end
  if #doc.severity_reasons > 0 then out[#out + 1] = "severity_reasons: " .. table.concat(doc.severity_reasons, ",") end
  finding_lines(out, doc.findings)
  if doc.actions then
    out[#out + 1] = "actions:"
    action_lines(out, doc.actions)
  end
end

local function finish(out)
  return table.concat(out, "\n") .. "\n"
end

--- `cx scheduler` text.
function render.scheduler(doc)
  local out = { "== cxscheduler ==", "log_file: " .. doc.log_file }
  blocks(out, doc)
  return finish(out)
end

--- `cx diag` text.
function render.diag(doc)
  local out = {
    "== cxdiag ==",
    "timestamp: " .. doc.timestamp,
    "version: " .. doc.version,
    "mode: " .. doc.mode,
    "backend: " .. doc.backend,
    "active_model: " .. doc.active_model,
    "capture_provider_config: " .. doc.capture_provider_config,
    "capture_provider_resolved: " .. doc.capture_provider_resolved,
    "capture_external_dependencies: " .. doc.capture_external_dependencies,
    "budget_chars: " .. doc.budget_chars,
    "budget_lines: " .. doc.budget_lines,
    "clip_mode: " .. doc.clip_mode,
    "clip_footer: " .. (doc.clip_footer and "1" or "0"),
    "log_file: " .. doc.log_file,
    "last_run_id: " .. doc.last_run_id,
    "schema_registry_dir: " .. doc.schema_registry_dir,
    "schema_registry_files: " .. doc.schema_registry_files,
  }
  blocks(out, doc)
  local rt = doc.routing_trace
  out[#out + 1] = string.format("routing_trace: sample='%s' route=%s reason=%s", rt.sample, rt.route, rt.reason)
  return finish(out)
end

local function pair_lines(out, list, suffix)
  for _, p in ipairs(list) do out[#out + 1] = string.format("- %s: %s%s", p[1], tostring(p[2]), suffix) end
end

local function retry_health_line(rh)
  return string.format("retry_health: rows_after_retry=%d (%s), success=%d (%s), tasks_recovered=%d/%d (%s)",
    rh.rows_after_retry, pct_or_na(rh.rows_after_retry_rate), rh.rows_after_retry_success,
    pct_or_na(rh.rows_after_retry_success_rate), rh.tasks_recovered, rh.tasks_with_timeout,
    pct_or_na(rh.tasks_recovery_rate))
end

local function histogram_line(hist)
  if #hist == 0 then return "retry_attempt_histogram: <none>" end
  local parts = {}
  for i, p in ipairs(hist) do parts[i] = p[1] .. ":" .. p[2] end
  return "retry_attempt_histogram: " .. table.concat(parts, ",")
end

local function cache_trend_line(t)
  if absent(t.first_half) or absent(t.second_half) then return "cache_trend: n/a" end
  return string.format("cache_trend: first_half=%d%%, second_half=%d%%, delta=%dpp", stats.pct(t.first_half),
    stats.pct(t.second_half), stats.round((t.second_half - t.first_half) * 100))
end

--- `cx optimize` text. An empty window prints the reference's short scoreboard.
function render.optimize(doc)
  local sb = doc.scoreboard
  local empty = doc.runs == 0
  local out = {
    string.format("== cx optimize (last %d runs) ==", doc.window),
    "Section A: Scoreboard",
    "runs: " .. doc.runs,
    "alerts: " .. sb.alerts,
    "cache_hit_rate: " .. pct_or_na(sb.cache_hit_rate),
  }
  if not empty then out[#out + 1] = cache_trend_line(sb.cache_hit_trend) end
  out[#out + 1] = "top_by_avg_duration_ms:"
  pair_lines(out, sb.top_avg_duration_ms, "ms")
  out[#out + 1] = "top_by_avg_effective_tokens:"
  pair_lines(out, sb.top_avg_effective_input_tokens, "")
  local tf = sb.timeout_frequency
  if empty then
    out[#out + 1] = "timeout_frequency: n/a"
    out[#out + 1] = "retry_health: n/a"
  else
    out[#out + 1] = "budget_clipping_frequency: " .. pct_or_na(sb.budget_clipping_frequency.rate)
    out[#out + 1] = string.format("timeout_frequency: %s (%d runs)", pct_or_na(tf.rate), tf.timeout_runs)
    if #tf.top_labels > 0 then
      out[#out + 1] = "timeout_top_labels:"
      pair_lines(out, tf.top_labels, "")
    end
    out[#out + 1] = retry_health_line(sb.retry_health)
    out[#out + 1] = histogram_line(sb.retry_health.attempt_histogram)
    out[#out + 1] = "capture_provider_compression:"
    if #sb.capture_provider_compression == 0 then out[#out + 1] = "- n/a" end
    for _, c in ipairs(sb.capture_provider_compression) do
      local ratio = absent(c.processed_over_raw) and "n/a" or stats.fmt2(c.processed_over_raw)
      out[#out + 1] = string.format("- %s: processed/raw=%s", c.provider, ratio)
    end
  end
  out[#out + 1] = ""
  out[#out + 1] = "Section B: Anomaly Alerts"
  if #doc.anomalies == 0 then out[#out + 1] = "- none" end
  for _, a in ipairs(doc.anomalies) do out[#out + 1] = "- " .. a end
  out[#out + 1] = ""
  out[#out + 1] = "Section C: Actionable Recommendations"
  if #doc.recommendations == 0 then out[#out + 1] = "- none" end
  for _, r in ipairs(doc.recommendations) do out[#out + 1] = "- " .. r end
  out[#out + 1] = "log_file: " .. doc.log_file
  if doc.actions then
    out[#out + 1] = ""
    out[#out + 1] = "Actions:"
    action_lines(out, doc.actions)
  end
  return finish(out)
end

return render
