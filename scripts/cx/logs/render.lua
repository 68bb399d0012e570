--- Output of `logs stats` / `telemetry` (text, CI reports) and the CI reports of `logs validate`,
--- rendered from the documents of cx.logs.telemetry and the findings of cx.logs.validate. Returns
--- strings or report tables (cx.report_format); printing is the command's job. Everything from the
--- log (keys, ids, messages) is escaped: no control byte reaches the terminal.
local core = require "cx.core"
local json = require "cx.json"
local report_format = require "cx.report_format"
local rowkind = require "cx.logs.rowkind"

local esc = core.logcheck.escape

local render = {}

local function pct(x, n)
  return string.format("%.0f", 100 * x / math.max(n, 1))
end

local function list_or_none(list)
  if #list == 0 then return "<none>" end
  return esc(table.concat(list, ","))
end

local function histogram_text(h)
  local keys = {}
  for k in pairs(h) do keys[#keys + 1] = tonumber(k) end
  if #keys == 0 then return "<none>" end
  table.sort(keys)
  local parts = {}
  for _, k in ipairs(keys) do parts[#parts + 1] = k .. ":" .. h[tostring(k)] end
  return table.concat(parts, ",")
end

-- The reference's report (telemetry.v1): counters, retry / run-all / HTTP blocks, population of
-- the strict keys, key drift.
local function reference_lines(L, r)
  local function add(s) L[#L + 1] = s end
  local rt, ct = r.retry_telemetry, r.critical_telemetry
  add("retry_telemetry:")
  add("- rows_with_retry_metadata: " .. rt.rows_with_retry_metadata)
  add("- rows_after_retry: " .. rt.rows_after_retry)
  add("- rows_after_retry_success: " .. rt.rows_after_retry_success)
  add(string.format("- rows_after_retry_success_rate: %.2f", rt.rows_after_retry_success_rate))
  add("- tasks_with_retry: " .. rt.tasks_with_retry)
  add("- tasks_retry_recovered: " .. rt.tasks_retry_recovered)
  add(string.format("- tasks_retry_recovery_rate: %.2f", rt.tasks_retry_recovery_rate))
  add("- retry_attempt_histogram: " .. histogram_text(rt.attempt_histogram))
  add("critical_telemetry:")
  for _, k in ipairs({ "summary_rows", "halt_enabled_rows", "halted_rows", "critical_errors_total",
    "runs_with_critical_errors" }) do
    add("- " .. k .. ": " .. ct[k])
  end
  add("http_mode_stats:")
  if #r.http_mode_stats == 0 then add("- <none>") end
  for _, g in ipairs(r.http_mode_stats) do
    add(string.format("- format=%s parser_mode=%s runs=%d healthy=%d success_rate=%.2f "
      .. "schema_invalid=%d timed_out=%d policy_blocked=%d", esc(g.format), esc(g.parser_mode), g.runs,
      g.healthy_runs, g.success_rate, g.schema_invalid, g.timed_out, g.policy_blocked))
  end
  add("field_population:")
  for _, f in ipairs(r.fields) do
    add(string.format("- %s present=%d/%d (%s%%) non_null=%d/%d (%s%%)", f.field, f.present, f.total,
      pct(f.present, f.total), f.non_null, f.total, pct(f.non_null, f.total)))
  end
  add("contract_drift:")
  add("- new_keys_second_half: " .. list_or_none(r.contract_drift.new_keys_second_half))
  add("- missing_keys_second_half: " .. list_or_none(r.contract_drift.missing_keys_second_half))
end

-- "lines 3, 7 (+2 more)" / "offsets ..." / "" for an evidence list and its total.
local function rows_text(list, total)
  local parts = {}
  for _, e in ipairs(list or {}) do
    if #parts == 5 then break end
    parts[#parts + 1] = e.line and tostring(e.line) or (e.offset and ("@" .. e.offset)) or "?"
  end
  if #parts == 0 then return "" end
  total = total or #list
  local text = (total == 1 and "line " or "lines ") .. table.concat(parts, ", ")
  if total > #parts then text = text .. string.format(" (+%d more)", total - #parts) end
  return text
end

local function map_text(m, order)
  local parts = {}
  for _, k in ipairs(order) do
    if (m[k] or 0) > 0 then parts[#parts + 1] = k .. "=" .. m[k] end
  end
  return #parts > 0 and table.concat(parts, " ") or "<none>"
end

local function quality_lines(L, r)
  local function add(s) L[#L + 1] = s end
  local rk = r.row_kinds
  add("row_kinds:")
  add("- kinds: " .. map_text(rk.kinds, rowkind.KINDS))
  add("- contexts: " .. map_text(rk.contexts, rowkind.CONTEXTS))
  add("- outcomes: " .. map_text(rk.outcomes, rowkind.OUTCOMES))
  local c = r.completeness
  local count, gaps = { complete = 0, partial = 0, sparse = 0, absent = 0 }, {}
  for _, f in ipairs(c.fields) do
    if f.class ~= json.null then
      count[f.class] = count[f.class] + 1
      if f.class ~= "complete" then
        gaps[#gaps + 1] = string.format("- %s: %s %d/%d (%s%%) [%s]", esc(f.field), f.class, f.carried,
          f.expected_rows, pct(f.carried, f.expected_rows), esc(table.concat(f.groups, ",")))
      end
    end
  end
  add(string.format("completeness: complete=%d partial=%d sparse=%d absent=%d (fields the rows must carry; "
    .. "complete >= %s%%, partial >= %s%%)", count.complete, count.partial, count.sparse, count.absent,
    c.complete_min_pct, c.partial_min_pct))
  for _, line in ipairs(gaps) do add(line) end
  local n = r.nullability
  add(string.format("nullability: %d expectations, %d broken", n.expectations, n.broken))
  for _, x in ipairs(n.items) do
    if x.breaks > 0 then
      local where = rows_text(x.evidence, x.breaks)
      add(string.format("- %s.%s (%s): %d of %d rows lack it (null %d, absent %d)%s", esc(x.group), esc(x.field),
        x.expectation, x.breaks, x.rows, x.null, x.absent, where ~= "" and ": " .. where or ""))
    end
  end
  for _, name in ipairs(n.unknown_groups) do add("- unknown group in threshold '" .. esc(name) .. "'") end
  local d = r.drift
  add(string.format("drift: older %d rows, newer %d rows (population: >= %d rows a half, >= %s points)",
    d.older_rows, d.newer_rows, d.min_rows, d.population_pct))
  for _, x in ipairs(d.population) do add("- population " .. esc(x.group) .. ": " .. esc(x.diagnostic)) end
  for _, x in ipairs(d.keys_appeared) do add("- appeared: " .. esc(x.diagnostic)) end
  for _, x in ipairs(d.keys_vanished) do add("- vanished: " .. esc(x.diagnostic)) end
  for _, x in ipairs(d.type_changes) do add("- type: " .. esc(x.diagnostic)) end
  local q = r.quality_rollups
  local a, w, runs = q.attempts, q.workers, q.runs
  local function with_rows(text, list, total)
    local where = rows_text(list, total)
    return where ~= "" and (text .. " (" .. where .. ")") or text
  end
  add("quality_rollups:")
  add(with_rows(string.format("- queue: scheduled_rows=%d with_queue_ms=%d without_queue_ms=%d", q.queue.scheduled_rows,
    q.queue.with_queue_ms, q.queue.without_queue_ms), q.queue.evidence, q.queue.without_queue_ms))
  add(with_rows(string.format("- attempts: rows=%d retries=%d retries_without_reason=%d", a.attempt_rows, a.retries,
    a.retries_without_reason), a.retries_without_reason_evidence, a.retries_without_reason))
  add(with_rows(string.format("- attempts: started=%d started_not_finished=%d", a.started, a.started_not_finished),
    a.started_not_finished_evidence, a.started_not_finished))
  if a.attempts_over_max > 0 then
    add(with_rows("- attempts: over_max=" .. a.attempts_over_max, a.attempts_over_max_evidence, a.attempts_over_max))
  end
  local unfinished = {}
  for _, x in ipairs(w.workers) do
    if x.unfinished > 0 then unfinished[#unfinished + 1] = esc(x.worker_id) .. ":" .. x.unfinished end
  end
  add(string.format("- workers: seen=%d with_unfinished=%d%s", w.workers_seen, w.workers_with_unfinished,
    #unfinished > 0 and (" (" .. table.concat(unfinished, ",") .. ")") or ""))
  add(string.format("- runs: seen=%d with_summary=%d without_summary=%d open=%d", runs.runs_seen,
    runs.runs_with_summary, runs.runs_without_summary, runs.open_runs))
  for _, x in ipairs(runs.without_summary) do
    add(with_rows("  - no summary: " .. esc(x.run_id) .. " (" .. x.rows .. " rows)", x.evidence))
  end
end

local function finding_lines(L, r)
  L[#L + 1] = "quality_severity: " .. r.quality_severity
  if #r.findings == 0 then return end
  L[#L + 1] = "findings:"
  for _, f in ipairs(r.findings) do
    local ev = report_format.evidence_text(f)
    L[#L + 1] = string.format("- [%s] %s: %s%s", f.severity, f.id, esc(f.message),
      ev ~= "" and " (" .. esc(ev) .. ")" or "")
  end
end

--- The text report. severity_only: the reference's head and the severity block, then the
--- telemetry policy's severity and findings.
function render.stats_text(r, severity_only)
  local L = {
    "== cx logs stats ==",
    "log_file: " .. esc(r.log_file),
    "window_runs: " .. r.window_runs,
    "required_fields: " .. r.required_fields,
    "severity: " .. r.severity,
    "strict_violations: " .. r.strict_violations,
  }
  if not severity_only then
    reference_lines(L, r)
    quality_lines(L, r)
  end
  finding_lines(L, r)
  return table.concat(L, "\n") .. "\n"
end

--- The CI report (cx.report_format) of `logs stats`: one check per rule of the telemetry policy,
--- plus `strict_contract` (the reference's 33 strict keys present in every row). gate: nil or
--- {failed, message}; problem: why there is nothing to judge (an error under --strict, else a
--- notice).
function render.stats_ci(doc, result, floor, problem, gate, strict)
  local checks = report_format.checks_from_rules(result or {}, floor)
  if doc and doc.strict_violations then
    local v = doc.strict_violations
    table.insert(checks, 1, {
      id = "strict_contract", status = v > 0 and "fail" or "pass", severity = v > 0 and "critical" or "ok",
      message = v > 0 and string.format("%d of the %d strict keys are missing from some rows of the window", v,
        doc.required_fields) or nil,
      group = "telemetry", noted = v > 0,
    })
  end
  local rep = { suite = "cx logs stats", file = doc and doc.log_file, checks = checks, notes = {} }
  if problem then
    rep.notes[#rep.notes + 1] = { id = "run_log", level = strict and "error" or "notice", message = problem }
  end
  if gate and gate.failed then
    rep.notes[#rep.notes + 1] = { id = "gate", level = "error", message = gate.message }
  end
  return rep
end

--- The CI report of `logs validate`. findings: the findings kept (cx.logs.validate, at most a few
--- per class), summary: the run's summary. GitHub gets one annotation per finding kept; JUnit one
--- testcase per class. Errors fail only when the status is `fail` (in legacy mode they are the
--- reference's warnings, exit 0).
function render.validate_ci(file, findings, summary, classes, per_class)
  local failing = summary.status == "fail"
  local checks = {}
  for _, f in ipairs(findings) do
    local severity = (f.severity == "error" and failing) and "critical" or "warning"
    checks[#checks + 1] = { id = f.class, status = severity == "critical" and "fail" or "pass", severity = severity,
      message = (f.field and (f.field .. ": ") or "") .. f.message, line = f.line, noted = true }
  end
  local cases = {}
  local by_class = {}
  for _, f in ipairs(findings) do
    by_class[f.class] = by_class[f.class] or {}
    table.insert(by_class[f.class], f)
  end
  for _, class in ipairs(classes) do
    local n = summary.by_class[class] or 0
    local kept = by_class[class] or {}
    local case = { id = class, status = "pass", severity = "ok", group = "logs" }
    if n > 0 then
      local lines = {}
      for i, f in ipairs(kept) do
        if i > per_class then break end
        lines[#lines + 1] = string.format("line %d: %s%s", f.line, f.field and (f.field .. ": ") or "", f.message)
      end
      local errors = kept[1] and kept[1].severity == "error"
      case.status = (errors and failing) and "fail" or "pass"
      case.severity = (errors and failing) and "critical" or "warning"
      case.message = string.format("%d finding%s of class %s", n, n == 1 and "" or "s", class)
      case.line = kept[1] and kept[1].line
      case.details = table.concat(lines, "\n") .. (n > #lines and string.format("\n(+%d more)", n - #lines) or "")
    end
    cases[#cases + 1] = case
  end
  local notes = {}
  if failing then
    notes[1] = { id = "status", level = "error", message = string.format(
      "logs validate: %d error(s), %d warning(s): status fail", summary.issue_count, summary.warning_count) }
  end
  return { suite = "cx logs validate", file = file, checks = checks, notes = notes },
    { suite = "cx logs validate", file = file, checks = cases, notes = notes }
end

return render
