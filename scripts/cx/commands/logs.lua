--- `cx logs [validate|stats|migrate]` and `cx telemetry` (= `cx logs stats`): check, measure and
--- normalize the run log. Arguments are scanned by hand because the reference accepts flags
--- anywhere and `N` as a bare number; usage errors name the argument and exit 2.
local args = require "cx.args"
local json = require "cx.json"
local paths = require "cx.paths"
local runlog = require "cx.runlog"
local validate = require "cx.logs.validate"
local stats = require "cx.logs.stats"
local migrate = require "cx.logs.migrate"
local core = require "cx.core"
local printable = require "cx.printable"

local M = { summary = "validate, measure (stats) or migrate the run log" }

local USAGE = {
  logs = "Usage: cx logs <validate|migrate|stats>",
  validate = "Usage: cx logs validate [--strict] [--legacy-ok] [--json]",
  stats = "Usage: cx logs stats [N] [--json] [--strict] [--severity]",
  migrate = "Usage: cx logs migrate [--out PATH] [--in-place]",
}

local ISSUES_SHOWN = 20

function M.parser()
  local p = args.parser("logs", "Validate, measure or migrate the run log (.codex/cxlogs/runs.jsonl).",
    "Subcommands:\n" ..
    "  validate [--strict] [--legacy-ok] [--json]   check every row against the contract (default)\n" ..
    "  stats [N] [--json] [--strict] [--severity]   telemetry over the last N rows (default 200)\n" ..
    "  migrate [--out PATH] [--in-place]            rewrite rows with the full contract\n" ..
    "`cx telemetry ...` is `cx logs stats ...`.\n" ..
    "Exit codes: 0 ok (warnings included), 1 failed check or runtime error, 2 usage error.")
  p:argument("subcommand", "validate, stats or migrate."):args("?")
  p:argument("rest", "Arguments of the subcommand."):args("*")
  return p
end

local function out(...)
  io.stdout:write(...)
end

local function usage_error(sub, msg)
  io.stderr:write("cx logs ", sub, ": ", printable.line(msg), " (", USAGE[sub], ")\n")
  return 2
end

local function log_file(sub)
  local p, err = paths.resolve()
  if not p then
    io.stderr:write("cx logs ", sub, ": ", err, "\n")
    return nil
  end
  return p.log_file
end

-- validate ------------------------------------------------------------------------------------

local function render_validate(r)
  local lines = {
    "== cx logs validate ==",
    "log_file: " .. r.log_file,
    "entries_scanned: " .. r.entries_scanned,
    "legacy_ok: " .. tostring(r.legacy_ok),
  }
  if r.legacy_ok then lines[#lines + 1] = "legacy_entries: " .. r.legacy_entries end
  lines[#lines + 1] = "corrupted_entries: " .. r.corrupted_entries
  lines[#lines + 1] = "issue_count: " .. r.issue_count
  lines[#lines + 1] = "invalid_json_entries: " .. r.invalid_json_entries
  if r.issue_count == 0 then
    lines[#lines + 1] = "status: ok"
  else
    for i = 1, math.min(ISSUES_SHOWN, #r.issues) do lines[#lines + 1] = "- " .. r.issues[i].message end
    if r.issue_count > ISSUES_SHOWN then
      lines[#lines + 1] = "- ... and " .. (r.issue_count - ISSUES_SHOWN) .. " more"
    end
    -- The reference prints no status line on failure; the exit code carries it.
    if r.status == "ok_with_warnings" then lines[#lines + 1] = "status: ok_with_warnings" end
  end
  out(table.concat(lines, "\n"), "\n")
end

local function run_validate(argv)
  local strict, legacy_flag, as_json = false, false, false
  for _, a in ipairs(argv) do
    if a == "--strict" then
      strict = true
    elseif a == "--legacy-ok" then
      legacy_flag = true
    elseif a == "--json" then
      as_json = true
    else
      return usage_error("validate", "unknown argument '" .. a .. "'")
    end
  end
  local legacy_ok = legacy_flag or not strict
  local file = log_file("validate")
  if not file then return 1 end
  local report, err, class = validate.file(file, { legacy_ok = legacy_ok })
  if not report and class == "not_found" then
    if as_json then
      report = validate.result(validate.new({ log_file = file, legacy_ok = legacy_ok }))
      report.status = "no_log_file"
      out(json.pretty(report), "\n")
    else
      out("cx logs validate: no log file at ", file, "\n")
    end
    return 0
  end
  if not report then
    io.stderr:write("cx logs validate: ", err, "\n")
    return 1
  end
  if as_json then out(json.pretty(report), "\n") else render_validate(report) end
  return report.status == "fail" and 1 or 0
end

-- stats ---------------------------------------------------------------------------------------

local function pct(x, n)
  return string.format("%.0f", 100 * x / math.max(n, 1))
end

local function list_or_none(list)
  if #list == 0 then return "<none>" end
  return table.concat(list, ",")
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

local function render_stats(r, severity_only)
  local L = {
    "== cx logs stats ==",
    "log_file: " .. r.log_file,
    "window_runs: " .. r.window_runs,
    "required_fields: " .. r.required_fields,
    "severity: " .. r.severity,
    "strict_violations: " .. r.strict_violations,
  }
  if not severity_only then
    local rt, ct = r.retry_telemetry, r.critical_telemetry
    local function add(s) L[#L + 1] = s end
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
        .. "schema_invalid=%d timed_out=%d policy_blocked=%d", g.format, g.parser_mode, g.runs,
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
  out(table.concat(L, "\n"), "\n")
end

local DEFAULT_WINDOW = 200

local function run_stats(argv)
  local n, as_json, strict, severity_only = DEFAULT_WINDOW, false, false, false
  for _, a in ipairs(argv) do
    if a == "--json" then
      as_json = true
    elseif a == "--strict" then
      strict = true
    elseif a == "--severity" then
      severity_only = true
    elseif args.positive_int(a) then
      n = args.positive_int(a)
    else
      return usage_error("stats", "invalid argument '" .. a .. "'")
    end
  end
  local file = log_file("stats")
  if not file then return 1 end
  local rows, info = runlog.read_window(n, file)
  if not rows then
    io.stderr:write("cx logs stats: ", info, "\n")
    return 1
  end
  if not info.exists then
    out("cx logs stats: no log file at ", file, "\n")
    return 0
  end
  local report = stats.compute(rows, file)
  if as_json then out(json.pretty(report), "\n") else render_stats(report, severity_only) end
  if strict and report.strict_violations > 0 then return 1 end
  return 0
end

-- migrate -------------------------------------------------------------------------------------

local function run_migrate(argv)
  local file = log_file("migrate")
  if not file then return 1 end
  if not core.fs.exists(file) then
    io.stderr:write("cx logs migrate: no log file at ", file, "\n")
    return 1
  end
  local opts, i = {}, 1
  while i <= #argv do
    local a = argv[i]
    if a == "--in-place" then
      opts.in_place = true
    elseif a == "--out" then
      if argv[i + 1] == nil or argv[i + 1] == "" then return usage_error("migrate", "--out needs a PATH") end
      opts.out = argv[i + 1]
      i = i + 1
    elseif a:match("^%-%-out=") then
      opts.out = a:sub(7)
      if opts.out == "" then return usage_error("migrate", "--out needs a PATH") end
    else
      return usage_error("migrate", "unknown flag '" .. a .. "'")
    end
    i = i + 1
  end
  local s, err = migrate.run(file, opts)
  if not s then
    io.stderr:write("cx logs migrate: ", err, "\n")
    return 1
  end
  local L = {
    "== cx logs migrate ==",
    "in: " .. s.input,
    "out: " .. s.output,
    "entries_in: " .. s.entries_in,
    "entries_out: " .. s.entries_out,
    "invalid_json_skipped: " .. s.invalid_json_skipped,
    "legacy_normalized: " .. s.legacy_normalized,
    "modern_normalized: " .. s.modern_normalized,
  }
  if s.backup then
    L[#L + 1] = "backup: " .. s.backup
    L[#L + 1] = "status: replaced"
  else
    L[#L + 1] = "status: wrote"
  end
  out(table.concat(L, "\n"), "\n")
  return 0
end

-- dispatch ------------------------------------------------------------------------------------

local SUBCOMMANDS = { validate = run_validate, stats = run_stats, migrate = run_migrate }

--- name is the registry name the CLI resolved ("logs", or "telemetry" for the alias).
function M.run(argv, name)
  for _, a in ipairs(argv) do
    if a == "--help" or a == "-h" then
      out(M.parser():get_help(), "\n")
      return 0
    end
  end
  local rest = {}
  if name == "telemetry" then
    for i = 1, #argv do rest[i] = argv[i] end
    return run_stats(rest)
  end
  local sub = argv[1]
  local first = 2
  if sub == nil or sub:sub(1, 1) == "-" then
    sub, first = "validate", 1
  end
  local handler = SUBCOMMANDS[sub]
  if not handler then
    io.stderr:write("cx logs: unknown subcommand '", printable.line(sub), "' (", USAGE.logs, ")\n")
    return 2
  end
  for i = first, #argv do rest[#rest + 1] = argv[i] end
  return handler(rest)
end

return M
