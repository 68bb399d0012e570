--- Report builders: the JSON documents of `diag`, `scheduler` and `optimize` (reference
--- diagnostics.md §2). They run the metric, rule and action modules over a window of rows and
--- shape the result for cx.json: nil becomes JSON null and lists are marked as arrays, so every
--- contract key is present even for an empty window. Pure apart from the header facts passed in.
local json = require "cx.json"
local metrics = require "cx.diag.metrics"
local optimize = require "cx.diag.optimize"
local diag_input = require "cx.diag.input"
local policy_rules = require "cx.policy_rules"

local report = {}

report.DIAG = "diag.v1"
report.SCHEDULER = "scheduler.v1"
report.OPTIMIZE = "optimize.v1"
report.ACTIONS = "actions.v1"

--- The rule policies the reports evaluate: cx diag and cx scheduler share one (the reference
--- computes the same reasons and actions for both).
report.SCHEDULER_POLICY = "scheduler"
report.OPTIMIZE_POLICY = "optimize"

local null, array = json.null, json.array

local function opt(v)
  if v == nil then return null end
  return v
end

-- A list of pairs {a, b} as a JSON array of two-element arrays.
local function pairs_array(list)
  local out = {}
  for i, p in ipairs(list) do out[i] = array({ p[1], p[2] }) end
  return array(out)
end

local function copy_map(t)
  local out = {}
  for k, v in pairs(t) do out[k] = v end
  return out
end

local function actions_array(list)
  local out = {}
  for i, a in ipairs(list) do
    out[i] = { id = a.id, severity = a.severity, rationale = a.rationale, command = a.command }
  end
  return array(out)
end

--- The findings as the JSON reports carry them (an additive key): which rule fired, how severe,
--- why, and the rows that triggered it (log line, byte offset, execution id).
function report.findings_json(list)
  local out = {}
  for i, f in ipairs(list or {}) do
    local ev = {}
    for j, e in ipairs(f.evidence or {}) do
      ev[j] = { execution_id = e.execution_id, line = e.line, offset = e.offset } -- absent keys stay out
    end
    out[i] = {
      id = f.id,
      kind = f.kind,
      severity = f.severity,
      reason = f.reason,
      message = f.message,
      evidence = array(ev),
      evidence_count = f.evidence_count or #ev,
      policy = f.policy,
    }
  end
  return array(out)
end

local function scheduler_block(s)
  return {
    window_runs = s.window_runs,
    queue_rows = s.queue_rows,
    queue_ms_avg = opt(s.queue_ms_avg),
    queue_ms_p95 = opt(s.queue_ms_p95),
    workers_seen = array(copy_map(s.workers_seen)),
    worker_distribution = copy_map(s.worker_distribution),
    backend_distribution = copy_map(s.backend_distribution),
  }
end

local function retry_block(r)
  return {
    window_runs = r.window_runs,
    rows_with_retry_metadata = r.rows_with_retry_metadata,
    rows_after_retry = r.rows_after_retry,
    rows_after_retry_success = r.rows_after_retry_success,
    rows_after_retry_success_rate = r.rows_after_retry_success_rate + 0.0,
    tasks_with_retry = r.tasks_with_retry,
    tasks_retry_recovered = r.tasks_retry_recovered,
    tasks_retry_recovery_rate = r.tasks_retry_recovery_rate + 0.0,
    attempt_histogram = copy_map(r.attempt_histogram),
  }
end

--- The shared part of diag and scheduler: blocks, then the scheduler rule policy (shipped, plus
--- the repository's override) for severity, reasons, findings and (opts.actions) actions.
--- opts: window (requested), log_file, info (cx.runlog.read_window's, for row offsets and line
--- numbers), actions (bool), rules (options of cx.policy_rules.evaluate: policies_dir, file ...).
--- Returns the JSON-shaped document and the evaluation {metrics, reasons, severity, actions,
--- result}, or nil, message, class when the policy fails.
function report.evaluate(rows, opts)
  local m = metrics.compute(rows)
  local info = opts.info or { log_file = opts.log_file }
  local r, err, class = policy_rules.evaluate(report.SCHEDULER_POLICY,
    diag_input.scheduler(rows, info, opts.window, m), opts.rules)
  if not r then return nil, err, class end
  local reasons = {}
  for i, f in ipairs(r.findings) do reasons[i] = f.reason end
  local eval = { metrics = m, reasons = reasons, severity = r.severity, result = r }
  local doc = {
    log_file = opts.log_file,
    scheduler_window_requested = opts.window,
    scheduler = scheduler_block(m.scheduler),
    retry = retry_block(m.retry),
    critical = copy_map(m.critical),
    severity = r.severity,
    severity_reasons = array(copy_map(reasons)),
    findings = report.findings_json(r.findings),
  }
  if opts.actions then
    eval.actions = r.actions
    doc.actions = actions_array(r.actions)
    doc.actions_contract_version = report.ACTIONS
  end
  return doc, eval
end

--- `scheduler --json`.
function report.scheduler(rows, opts)
  local doc, eval, class = report.evaluate(rows, opts)
  if not doc then return nil, eval, class end
  doc.contract_version = report.SCHEDULER
  return doc, eval
end

--- `diag --json`: the scheduler report plus the header facts (cx.diag.context.collect()).
function report.diag(rows, opts, header)
  local doc, eval, class = report.evaluate(rows, opts)
  if not doc then return nil, eval, class end
  doc.contract_version = report.DIAG
  for _, k in ipairs({
    "timestamp", "version", "mode", "backend", "active_model", "capture_provider_config",
    "capture_provider_resolved", "capture_external_dependencies", "budget_chars", "budget_lines", "clip_mode",
    "clip_footer", "last_run_id", "schema_registry_dir", "schema_registry_files",
  }) do
    doc[k] = header[k]
  end
  local rt = header.routing_trace
  doc.routing_trace = { sample = rt.sample, route = rt.route, reason = rt.reason }
  return doc, eval
end

local function scoreboard_json(sb)
  local rh, tf = sb.retry_health, sb.timeout_frequency
  local compression = {}
  for i, c in ipairs(sb.capture_provider_compression) do
    compression[i] = {
      provider = c.provider,
      runs = c.runs,
      raw_sum = c.raw_sum,
      processed_sum = c.processed_sum,
      clipped_sum = c.clipped_sum,
      processed_over_raw = opt(c.processed_over_raw),
      clipped_over_raw = opt(c.clipped_over_raw),
    }
  end
  return {
    runs = sb.runs,
    alerts = sb.alerts,
    alerts_pct = sb.alerts_pct + 0.0,
    top_avg_duration_ms = pairs_array(sb.top_avg_duration_ms),
    top_avg_effective_input_tokens = pairs_array(sb.top_avg_effective_input_tokens),
    cache_hit_rate = opt(sb.cache_hit_rate),
    cache_hit_trend = {
      first_half = opt(sb.cache_hit_trend.first_half),
      second_half = opt(sb.cache_hit_trend.second_half),
      delta = opt(sb.cache_hit_trend.delta),
    },
    schema_failure_frequency = {
      schema_runs = sb.schema_failure_frequency.schema_runs,
      schema_failures = sb.schema_failure_frequency.schema_failures,
      rate = opt(sb.schema_failure_frequency.rate),
    },
    timeout_frequency = {
      timeout_runs = tf.timeout_runs,
      rate = opt(tf.rate),
      top_labels = pairs_array(tf.top_labels),
    },
    retry_health = {
      rows_after_retry = rh.rows_after_retry,
      rows_after_retry_success = rh.rows_after_retry_success,
      rows_after_retry_rate = opt(rh.rows_after_retry_rate),
      rows_after_retry_success_rate = opt(rh.rows_after_retry_success_rate),
      tasks_with_timeout = rh.tasks_with_timeout,
      tasks_recovered = rh.tasks_recovered,
      tasks_recovery_rate = opt(rh.tasks_recovery_rate),
      attempt_histogram = pairs_array(rh.attempt_histogram),
    },
    capture_provider_compression = array(compression),
    budget_clipping_frequency = {
      captured_runs = sb.budget_clipping_frequency.captured_runs,
      clipped_runs = sb.budget_clipping_frequency.clipped_runs,
      rate = opt(sb.budget_clipping_frequency.rate),
    },
  }
end

--- `optimize --json`. opts: window (requested N), log_file, info, actions (bool), thresholds
--- ({max_ms, max_eff} from CXALERT_*; only those set), rules (cx.policy_rules options). An empty
--- window keeps every scoreboard key (zeros, empty lists, nulls) where the reference prints only
--- {"runs":0}: additive, and the contract keys stay. Returns doc, eval or nil, message, class.
function report.optimize(rows, opts)
  local env = opts.thresholds or {}
  local th = { max_ms = env.max_ms or optimize.DEFAULT_MAX_MS, max_eff = env.max_eff or optimize.DEFAULT_MAX_EFF }
  local sb = optimize.scoreboard(rows, th)
  local rule_opts = {}
  for k, v in pairs(opts.rules or {}) do rule_opts[k] = v end
  rule_opts.thresholds = env
  local info = opts.info or { log_file = opts.log_file }
  local r, err, class = policy_rules.evaluate(report.OPTIMIZE_POLICY,
    diag_input.optimize(rows, info, opts.window, sb), rule_opts)
  if not r then return nil, err, class end
  -- A policy may tune the alert thresholds: the scoreboard's alerts follow the ones it used.
  local used = { max_ms = r.thresholds.max_ms, max_eff = r.thresholds.max_eff }
  if math.type(used.max_ms) == "integer" and math.type(used.max_eff) == "integer"
    and (used.max_ms ~= th.max_ms or used.max_eff ~= th.max_eff) then
    sb.alerts = optimize.count_alerts(rows, used)
    sb.alerts_pct = sb.runs > 0 and (sb.alerts / sb.runs) * 100.0 or 0.0
  end
  local anomalies, recs = {}, {}
  for _, f in ipairs(r.findings) do
    if f.kind == "anomaly" then
      anomalies[#anomalies + 1] = f.reason
    elseif f.kind == "recommendation" then
      recs[#recs + 1] = f.reason
    end
  end
  if sb.runs == 0 then
    recs = { optimize.NO_RUNS }
  elseif #recs == 0 then
    recs = { optimize.NO_ANOMALIES }
  end
  local eval = { scoreboard = sb, anomalies = anomalies, recommendations = recs, result = r }
  local doc = {
    contract_version = report.OPTIMIZE,
    window = opts.window,
    runs = sb.runs,
    log_file = opts.log_file,
    scoreboard = scoreboard_json(sb),
    anomalies = array(copy_map(anomalies)),
    recommendations = array(copy_map(recs)),
    findings = report.findings_json(r.findings),
  }
  if opts.actions then
    eval.actions = r.actions
    doc.actions = actions_array(r.actions)
    doc.actions_contract_version = report.ACTIONS
  end
  return doc, eval
end

return report
