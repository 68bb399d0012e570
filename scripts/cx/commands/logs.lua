--- `cx logs [validate|stats|migrate]` and `cx telemetry` (= `cx logs stats`): check, measure and
--- normalize the run log. Arguments are scanned by hand because the reference accepts flags
--- anywhere and `N` as a bare number; usage errors name the argument and exit 2.
local args = require "cx.args"
local json = require "cx.json"
local paths = require "cx.paths"
local validate = require "cx.logs.validate"
local stats = require "cx.logs.stats"
local migrate = require "cx.logs.migrate"
local core = require "cx.core"
local config = require "cx.config"
local printable = require "cx.printable"

local M = { summary = "validate, measure (stats) or migrate the run log" }

local USAGE = {
  logs = "Usage: cx logs <validate|migrate|stats>",
  validate = "Usage: cx logs validate [--strict] [--legacy-ok] [--json] [--log PATH]",
  stats = "Usage: cx logs stats [N] [--json] [--strict] [--severity] [--log PATH]",
  migrate = "Usage: cx logs migrate [--out PATH] [--in-place] [--log PATH]",
}

-- Text mode shows the first findings of each class, then counts them all (--json lists them all).
local SHOWN_PER_CLASS = 20

function M.parser()
  local p = args.parser("logs", "Validate, measure or migrate the run log (.codex/cxlogs/runs.jsonl).",
    "Subcommands:\n" ..
    "  validate [--strict] [--legacy-ok] [--json] [--log PATH]\n" ..
    "        check every line against the row contract (the default); findings read\n" ..
    "        `file:line: class: field: message`, the first " .. SHOWN_PER_CLASS .. " of each class in text\n" ..
    "  stats [N] [--json] [--strict] [--severity] [--log PATH]\n" ..
    "        telemetry over the last N rows (default 200), streamed\n" ..
    "  migrate [--out PATH] [--in-place] [--log PATH]\n" ..
    "        rewrite rows with the full contract, losing no field\n" ..
    "--log PATH reads PATH instead of .codex/cxlogs/runs.jsonl. `cx telemetry ...` is `cx logs stats ...`.\n" ..
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

-- `--log PATH` / `--log=PATH` at argv[i]: returns the path and how many arguments it took, or nil
-- when argv[i] is not --log, or false when the path is missing.
local function log_option(argv, i)
  local a = argv[i]
  if a == "--log" then
    local v = argv[i + 1]
    if v == nil or v == "" then return false end
    return v, 2
  end
  if a:match("^%-%-log=") then
    local v = a:sub(7)
    if v == "" then return false end
    return v, 1
  end
  return nil
end

-- The arguments of a subcommand: `--log PATH` anywhere, every other one handed to
-- on_arg(arg, next_arg), which returns how many it used (1 or 2) or nil, a usage message.
-- Returns true and the --log path (or nil), or false and the usage message.
local function scan_args(argv, on_arg)
  local given, i = nil, 1
  while i <= #argv do
    local path, took = log_option(argv, i)
    if path == false then return false, "--log needs a PATH" end
    if path then
      given, i = path, i + took
    else
      local used, msg = on_arg(argv[i], argv[i + 1])
      if not used then return false, msg end
      i = i + used
    end
  end
  return true, given
end

local function log_file(sub, given)
  if given then return given end
  local p, err = paths.resolve()
  if not p then
    io.stderr:write("cx logs ", sub, ": ", err, "\n")
    return nil
  end
  return p.log_file
end

-- validate ------------------------------------------------------------------------------------

local esc = core.logcheck.escape

local function header_lines(s, file, legacy_ok)
  local L = {
    "== cx logs validate ==",
    "log_file: " .. esc(file),
    "entries_scanned: " .. s.entries_scanned,
    "legacy_ok: " .. tostring(legacy_ok),
  }
  if legacy_ok then L[#L + 1] = "legacy_entries: " .. s.legacy_entries end
  L[#L + 1] = "corrupted_entries: " .. s.corrupted_entries
  L[#L + 1] = "issue_count: " .. s.issue_count
  L[#L + 1] = "invalid_json_entries: " .. s.invalid_json_entries
  L[#L + 1] = "warning_count: " .. s.warning_count
  return L
end

-- Text: the reference's counters, the findings kept (first SHOWN_PER_CLASS per class, line
-- order), one summary line per class that has findings, then the status line (none on failure,
-- as the reference).
local function render_validate_text(run, file, legacy_ok)
  local shown, by_class = {}, {}
  while true do
    local f, err = run:next()
    if not f then
      if err then return nil, err end
      break
    end
    shown[#shown + 1] = validate.format(f)
    by_class[f.class] = (by_class[f.class] or 0) + 1
  end
  local s = run:summary()
  local L = header_lines(s, file, legacy_ok)
  for _, line in ipairs(shown) do L[#L + 1] = line end
  if s.issue_count + s.warning_count > 0 then
    L[#L + 1] = string.format("findings: %d error%s, %d warning%s", s.issue_count,
      s.issue_count == 1 and "" or "s", s.warning_count, s.warning_count == 1 and "" or "s")
    for _, class in ipairs(validate.CLASSES) do
      local n = s.by_class[class]
      if n > 0 then
        local kept = by_class[class] or 0
        L[#L + 1] = string.format("- %s: %d%s", class, n, kept < n and string.format(" (first %d shown)", kept) or "")
      end
    end
  end
  if s.status ~= "fail" then L[#L + 1] = "status: " .. s.status end
  out(table.concat(L, "\n"), "\n")
  return s
end

-- JSON: streamed, so memory stays bounded however many findings there are: the run's identity,
-- then "findings" (every one, one compact object per line), then the counters and the status.
local function render_validate_json(run, file, legacy_ok, strict)
  out("{\n  \"contract_version\": ", json.encode(validate.CONTRACT_VERSION), ",\n  \"log_file\": ",
    json.encode(file), ",\n  \"strict\": ", tostring(strict), ",\n  \"legacy_ok\": ", tostring(legacy_ok),
    ",\n  \"findings\": [")
  local n = 0
  while true do
    local f, err = run:next()
    if not f then
      if err then
        out("\n  ]\n}\n") -- keep the document whole; the error goes to stderr
        return nil, err
      end
      break
    end
    out(n == 0 and "\n    " or ",\n    ", json.encode({ class = f.class, field = f.field or json.null, file = f.file,
      line = f.line, message = f.message, severity = f.severity }))
    n = n + 1
  end
  out(n == 0 and "],\n" or "\n  ],\n")
  local s = run:summary()
  local keys = { "entries_scanned", "legacy_entries", "corrupted_entries", "issue_count", "invalid_json_entries",
    "torn_entries", "warning_count", "lines", "bytes" }
  for _, k in ipairs(keys) do out("  \"", k, "\": ", tostring(s[k]), ",\n") end
  out("  \"classes\": ", json.encode(s.by_class), ",\n  \"status\": ", json.encode(s.status), "\n}\n")
  return s
end

local function no_rows_json(file, legacy_ok, strict, status)
  local doc = { contract_version = validate.CONTRACT_VERSION, log_file = file, strict = strict,
    legacy_ok = legacy_ok, findings = json.array({}), status = status }
  out(json.pretty(doc), "\n")
end

local function run_validate(argv)
  local strict, legacy_flag, as_json = false, false, false
  local ok, given = scan_args(argv, function(a)
    if a == "--strict" then
      strict = true
    elseif a == "--legacy-ok" then
      legacy_flag = true
    elseif a == "--json" then
      as_json = true
    else
      return nil, "unknown argument '" .. a .. "'"
    end
    return 1
  end)
  if not ok then return usage_error("validate", given) end
  local legacy_ok = legacy_flag or not strict
  local file = log_file("validate", given)
  if not file then return 1 end
  local run, err, class = validate.open(file, {
    legacy_ok = legacy_ok,
    keep_per_class = as_json and 0 or SHOWN_PER_CLASS,
    threads = config.uint("CX_LOGS_VALIDATE_THREADS"),
  })
  if not run and class == "not_found" then
    -- The reference's answer (exit 0); a strict gate must not pass on a log that is not there.
    if as_json then
      no_rows_json(file, legacy_ok, strict, "no_log_file")
    elseif not strict then
      out("cx logs validate: no log file at ", esc(file), "\n")
    end
    if strict then
      io.stderr:write("cx logs validate: no log file at ", esc(file), "\n")
      return 1
    end
    return 0
  end
  if not run then
    io.stderr:write("cx logs validate: ", esc(err), "\n")
    return 1
  end
  local s
  if as_json then
    s, err = render_validate_json(run, file, legacy_ok, strict)
  else
    s, err = render_validate_text(run, file, legacy_ok)
  end
  run:close()
  if not s then
    io.stderr:write("cx logs validate: ", esc(err), "\n")
    return 1
  end
  if strict and s.entries_scanned == 0 and s.issue_count == 0 then
    io.stderr:write("cx logs validate: ", esc(file), " holds no rows\n")
    return 1
  end
  return s.status == "fail" and 1 or 0
end

-- stats ---------------------------------------------------------------------------------------

local function pct(x, n)
  return string.format("%.0f", 100 * x / math.max(n, 1))
end

-- Keys come from the rows: escaped like any data on the terminal.
local function list_or_none(list)
  if #list == 0 then return "<none>" end
  return core.logcheck.escape(table.concat(list, ","))
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
    "log_file: " .. esc(r.log_file),
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
  out(table.concat(L, "\n"), "\n")
end

local DEFAULT_WINDOW = 200

local function run_stats(argv)
  local n, as_json, strict, severity_only = DEFAULT_WINDOW, false, false, false
  local ok, given = scan_args(argv, function(a)
    if a == "--json" then
      as_json = true
    elseif a == "--strict" then
      strict = true
    elseif a == "--severity" then
      severity_only = true
    elseif args.positive_int(a) then
      n = args.positive_int(a)
    else
      return nil, "invalid argument '" .. a .. "'"
    end
    return 1
  end)
  if not ok then return usage_error("stats", given) end
  local file = log_file("stats", given)
  if not file then return 1 end
  local report, info = stats.file(file, n)
  if not report then
    io.stderr:write("cx logs stats: ", esc(info), "\n")
    return 1
  end
  if not info.exists then
    if strict then
      io.stderr:write("cx logs stats: no log file at ", esc(file), "\n")
      return 1
    end
    out("cx logs stats: no log file at ", esc(file), "\n")
    return 0
  end
  if as_json then out(json.pretty(report), "\n") else render_stats(report, severity_only) end
  if strict and report.window_runs == 0 then
    io.stderr:write("cx logs stats: ", esc(file), " holds no rows\n")
    return 1
  end
  if strict and report.strict_violations > 0 then return 1 end
  return 0
end

-- migrate -------------------------------------------------------------------------------------

local function run_migrate(argv)
  local opts = {}
  local ok, given = scan_args(argv, function(a, following)
    if a == "--in-place" then
      opts.in_place = true
    elseif a == "--out" then
      if following == nil or following == "" then return nil, "--out needs a PATH" end
      opts.out = following
      return 2
    elseif a:match("^%-%-out=") then
      opts.out = a:sub(7)
      if opts.out == "" then return nil, "--out needs a PATH" end
    else
      return nil, "unknown flag '" .. a .. "'"
    end
    return 1
  end)
  if not ok then return usage_error("migrate", given) end
  local file = log_file("migrate", given)
  if not file then return 1 end
  if not core.fs.exists(file) then
    io.stderr:write("cx logs migrate: no log file at ", esc(file), "\n")
    return 1
  end
  local s, err = migrate.run(file, opts)
  if not s then
    io.stderr:write("cx logs migrate: ", err, "\n")
    return 1
  end
  local L = {
    "== cx logs migrate ==",
    "in: " .. esc(s.input),
    "out: " .. esc(s.output),
    "entries_in: " .. s.entries_in,
    "entries_out: " .. s.entries_out,
    "invalid_json_skipped: " .. s.invalid_json_skipped,
    "legacy_normalized: " .. s.legacy_normalized,
    "modern_normalized: " .. s.modern_normalized,
    "rejected: " .. s.rejected,
  }
  if s.rejects then L[#L + 1] = "rejects: " .. esc(s.rejects) end
  if s.backup then
    L[#L + 1] = "backup: " .. esc(s.backup)
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
