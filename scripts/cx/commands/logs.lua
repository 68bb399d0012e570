--- `cx logs [validate|stats|migrate]` and `cx telemetry` (= `cx logs stats`): check, measure and
--- normalize the run log. Arguments are scanned by hand because the reference accepts flags
--- anywhere and `N` as a bare number; usage errors name the argument and exit 2.
local args = require "cx.args"
local json = require "cx.json"
local paths = require "cx.paths"
local validate = require "cx.logs.validate"
local telemetry = require "cx.logs.telemetry"
local render = require "cx.logs.render"
local migrate = require "cx.logs.migrate"
local policy_rules = require "cx.policy_rules"
local report_format = require "cx.report_format"
local core = require "cx.core"
local config = require "cx.config"
local printable = require "cx.printable"

local M = { summary = "validate, measure (stats) or migrate the run log" }

local USAGE = {
  logs = "Usage: cx logs <validate|migrate|stats>",
  validate = "Usage: cx logs validate [--strict] [--legacy-ok] [--json] [--format text|json|github|junit] [--log PATH]",
  stats = "Usage: cx logs stats [N] [--json] [--strict] [--severity] [--severity warn|critical] "
    .. "[--format text|json|github|junit] [--log PATH]",
  migrate = "Usage: cx logs migrate [--out PATH] [--in-place] [--log PATH]",
}

-- Text mode shows the first findings of each class, then counts them all (--json lists them all).
local SHOWN_PER_CLASS = 20

function M.parser()
  local p = args.parser("logs", "Validate, measure or migrate the run log (.codex/cxlogs/runs.jsonl).",
    "Subcommands:\n" ..
    "  validate [--strict] [--legacy-ok] [--json] [--format F] [--log PATH]\n" ..
    "        check every line against the row contract (the default); findings read\n" ..
    "        `file:line: class: field: message`, the first " .. SHOWN_PER_CLASS .. " of each class in text\n" ..
    "  stats [N] [--json] [--strict] [--severity [warn|critical]] [--format F] [--log PATH]\n" ..
    "        telemetry over the last N rows (default 200), streamed: field population, drift,\n" ..
    "        completeness classes, nullability breaks and scheduler rollups judged by the\n" ..
    "        telemetry policy (policies/telemetry.lua, overridable in .codex/policies/);\n" ..
    "        --strict fails on strict-key violations or when the policy's severity reaches\n" ..
    "        --severity warn|critical (default warn); a bare --severity prints the severity only\n" ..
    "  migrate [--out PATH] [--in-place] [--log PATH]\n" ..
    "        rewrite rows with the full contract, losing no field\n" ..
    "--log PATH reads PATH instead of .codex/cxlogs/runs.jsonl. `cx telemetry ...` is `cx logs stats ...`.\n" ..
    "--format text|json|github|junit: --json, GitHub workflow annotations or JUnit XML.\n" ..
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

-- Calls fn(f) for each finding the run keeps, in line order. Returns true, or nil, message after a
-- read error.
local function each_finding(run, fn)
  while true do
    local f, err = run:next()
    if not f then
      if err then return nil, err end
      return true
    end
    fn(f)
  end
end

-- Text: the reference's counters, the findings kept (first SHOWN_PER_CLASS per class, line
-- order), one summary line per class that has findings, then the status line (none on failure,
-- as the reference).
local function render_validate_text(run, file, legacy_ok)
  local shown, by_class = {}, {}
  local ok, err = each_finding(run, function(f)
    shown[#shown + 1] = validate.format(f)
    by_class[f.class] = (by_class[f.class] or 0) + 1
  end)
  if not ok then return nil, err end
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
  local ok, err = each_finding(run, function(f)
    out(n == 0 and "\n    " or ",\n    ", json.encode({ class = f.class, field = f.field or json.null, file = f.file,
      line = f.line, message = f.message, severity = f.severity }))
    n = n + 1
  end)
  if not ok then
    out("\n  ]\n}\n") -- keep the document whole; the error goes to stderr
    return nil, err
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

local FORMATS = { text = true, json = true, github = true, junit = true }

-- `--format F` / `--format=F` at a (following: the next argument): the format and how many
-- arguments it took; nil when a is not --format; false and a usage message when F is bad.
local function format_arg(a, following)
  local v, took
  if a == "--format" then
    v, took = following, 2
  else
    v, took = a:match("^%-%-format=(.*)$"), 1
    if v == nil then return nil end
  end
  if v == nil or not FORMATS[v] then
    return false, "--format must be text|json|github|junit, got '" .. tostring(v or "") .. "'"
  end
  return v, took
end

-- The output format of --json and --format (nil and a message when they disagree).
local function format_of(as_json, format)
  if as_json and format and format ~= "json" then
    return nil, "--json and --format " .. format .. " disagree; give one"
  end
  return format or (as_json and "json" or "text")
end

-- scan_args for a command with the output flags (--json, --format F): those are taken here, the
-- rest go to on_arg. Returns true, the --log path, the format; or false, message.
local function scan_output_args(argv, on_arg)
  local as_json, format = false, nil
  local ok, given = scan_args(argv, function(a, following)
    local f, took = format_arg(a, following)
    if f == false then return nil, took end
    if f then
      format = f
      return took
    end
    if a == "--json" then
      as_json = true
      return 1
    end
    return on_arg(a, following)
  end)
  if not ok then return false, given end
  local fmt, ferr = format_of(as_json, format)
  if not fmt then return false, ferr end
  return true, given, fmt
end

local function print_ci(format, rep)
  if format == "github" then
    out(report_format.github(rep, core.fs.getcwd()))
  else
    out(report_format.junit(rep))
  end
end

-- github / junit: the findings kept (the first SHOWN_PER_CLASS of each class), then the report.
local function render_validate_ci(run, file, format)
  local kept = {}
  local ok, err = each_finding(run, function(f) kept[#kept + 1] = f end)
  if not ok then return nil, err end
  local s = run:summary()
  local annotations, cases = render.validate_ci(file, kept, s, validate.CLASSES, SHOWN_PER_CLASS)
  print_ci(format, format == "github" and annotations or cases)
  return s
end

local function run_validate(argv)
  local strict, legacy_flag = false, false
  local ok, given, format = scan_output_args(argv, function(a)
    if a == "--strict" then
      strict = true
    elseif a == "--legacy-ok" then
      legacy_flag = true
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
    keep_per_class = format == "json" and 0 or SHOWN_PER_CLASS,
    threads = config.uint("CX_LOGS_VALIDATE_THREADS"),
  })
  if not run and class == "not_found" then
    -- The reference's answer (exit 0); a strict gate must not pass on a log that is not there.
    if format == "json" then
      no_rows_json(file, legacy_ok, strict, "no_log_file")
    elseif format == "github" or format == "junit" then
      print_ci(format, { suite = "cx logs validate", checks = {}, notes = { { id = "run_log",
        level = strict and "error" or "notice", message = "no log file at " .. file } } })
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
  if format == "json" then
    s, err = render_validate_json(run, file, legacy_ok, strict)
  elseif format == "text" then
    s, err = render_validate_text(run, file, legacy_ok)
  else
    s, err = render_validate_ci(run, file, format)
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

local DEFAULT_WINDOW = 200

local function severity_level(text)
  if text == "warn" or text == "warning" then return "warning" end
  if text == "critical" then return "critical" end
  return nil
end

-- Flags of stats: N, --json, --format, --strict, --severity [LEVEL] (bare: the severity view, as
-- the reference; with a level: the --strict gate's floor), --log. Returns opts or nil, message.
local function stats_args(argv)
  local o = { n = DEFAULT_WINDOW, strict = false, severity_only = false, floor = "warning" }
  local ok, given, format = scan_output_args(argv, function(a, following)
    local level_text = a:match("^%-%-severity=(.*)$")
    if a == "--strict" then
      o.strict = true
    elseif a == "--severity" then
      local level = following and severity_level(following)
      if level then
        o.floor = level
        return 2
      end
      o.severity_only = true
    elseif level_text then
      o.floor = severity_level(level_text)
      if not o.floor then return nil, "--severity must be warn|warning|critical, got '" .. level_text .. "'" end
    elseif args.positive_int(a) then
      o.n = args.positive_int(a)
    else
      return nil, "invalid argument '" .. a .. "'"
    end
    return 1
  end)
  if not ok then return nil, given end
  o.log, o.format = given, format
  return o
end

-- The --strict gate: the reference's (a strict key missing from some row) and the telemetry
-- policy's severity against the floor. {failed, message}.
local function stats_gate(o, doc)
  local reasons = {}
  if doc.strict_violations > 0 then
    reasons[#reasons + 1] = doc.strict_violations .. " strict key(s) missing from some rows"
  end
  if doc.quality_severity and policy_rules.fails(doc.quality_severity, o.floor) then
    reasons[#reasons + 1] = string.format("telemetry severity %s reaches the --severity %s floor",
      doc.quality_severity, o.floor)
  end
  local failed = o.strict and #reasons > 0
  return { failed = failed, message = failed and ("gate failed: " .. table.concat(reasons, "; ")) or nil }
end

local function run_stats(argv)
  local o, uerr = stats_args(argv)
  if not o then return usage_error("stats", uerr) end
  local file = log_file("stats", o.log)
  if not file then return 1 end
  local doc, result, loc = telemetry.file(file, o.n)
  if not doc then
    io.stderr:write("cx logs stats: ", esc(result), "\n")
    return 1
  end
  local ci = o.format == "github" or o.format == "junit"
  if not loc.exists then
    local problem = "no log file at " .. file
    if ci then
      print_ci(o.format, render.stats_ci(nil, nil, o.floor, problem, nil, o.strict))
    elseif not o.strict then
      out("cx logs stats: no log file at ", esc(file), "\n")
    end
    if o.strict then
      io.stderr:write("cx logs stats: no log file at ", esc(file), "\n")
      return 1
    end
    return 0
  end
  for _, name in ipairs(doc.nullability.unknown_groups) do
    io.stderr:write("cx logs stats: policy telemetry: threshold '", esc(name), "' names no row group\n")
  end
  local gate = stats_gate(o, doc)
  local problem = o.strict and doc.window_runs == 0 and (file .. " holds no rows") or nil
  if o.format == "json" then
    out(json.pretty(doc), "\n")
  elseif ci then
    print_ci(o.format, render.stats_ci(doc, result, o.floor, problem, gate, o.strict))
  else
    out(render.stats_text(doc, o.severity_only))
  end
  if problem then
    io.stderr:write("cx logs stats: ", esc(problem), "\n")
    return 1
  end
  if gate.failed then
    io.stderr:write("cx logs stats: ", gate.message, "\n")
    return 1
  end
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
