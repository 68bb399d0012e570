--- What `cx diag`, `cx scheduler` and `cx optimize` share on the command side: their flags
--- (reference diagnostics.md §1.1-1.2, plus --log and --format), reading the log window, the
--- output formats, and the strict gate's exit code.
local args = require "cx.args"
local json = require "cx.json"
local printable = require "cx.printable"
local report_format = require "cx.report_format"
local fields = require "cx.diag.fields"
local policy_rules = require "cx.policy_rules"

local command = {}

command.DEFAULT_WINDOW = 200

--- Print a usage error naming the bad argument; returns exit code 2.
function command.usage_error(name, message)
  io.stderr:write("cx ", name, ": ", printable.line(message), "\n", "Run 'cx ", name, " --help' for usage.\n")
  return 2
end

--- --severity accepts warn (normalised to warning), warning or critical, case-sensitive (an
--- argparse converter, shared with `cx policy run`).
function command.severity_value(text)
  if text == "warn" or text == "warning" then return "warning" end
  if text == "critical" then return "critical" end
  return nil, "--severity must be warning|critical, got '" .. text .. "'"
end

local window_value = args.converter("--window")

--- A positional window for optimize: an unsigned integer > 0.
local positive_value = args.converter("N")

command.FORMATS = { text = true, json = true, github = true, junit = true }

local function format_value(text)
  if command.FORMATS[text] then return text end
  return nil, "--format must be text|json|github|junit, got '" .. text .. "'"
end

--- --log and --format, shared with `cx policy run`.
function command.log_flags(p)
  p:option("--log", "Read this run log instead of .codex/cxlogs/runs.jsonl (e.g. one a CI job downloaded).")
    :argname("<path>")
  p:option("--format", "Output: text | json (same as --json) | github (workflow annotations) | junit (XML).")
    :argname("<fmt>"):convert(format_value)
end

--- The output format of parsed opts ({json, format}); nil and a message when they disagree.
function command.format_of(opts)
  if opts.json and opts.format and opts.format ~= "json" then
    return nil, "--json and --format " .. opts.format .. " disagree; give one"
  end
  return opts.format or (opts.json and "json" or "text")
end

local function gate_flags(p)
  command.log_flags(p)
  p:flag("--json", "Print one JSON document.")
  p:flag("--strict", "Exit 1 when the gate's severity reaches the --severity floor.")
  p:flag("--actions", "Add the actions.v1 list of suggested next commands.")
  p:option("--severity", "Floor of the --strict gate: warning (or warn) | critical.")
    :argname("<level>"):convert(command.severity_value)
end

--- The parser of diag and scheduler (the same flags; repeats allowed, the last value wins).
function command.window_parser(name, description)
  local p = args.parser(name, description,
    "Exit codes: 0 ok (whatever the severity without --strict), 1 failed --strict gate, 2 usage error.")
  gate_flags(p)
  p:option("--window", "How many of the last log rows to analyse.", tostring(command.DEFAULT_WINDOW))
    :argname("<N>"):convert(window_value)
  -- Caught here so the error can name the stray argument (argparse only says "too many").
  p:argument("extra"):args("*"):hidden(true)
  return p
end

--- The parser of optimize: an optional positional N (repeats allowed, the last wins), no --window.
function command.optimize_parser(description)
  local p = args.parser("optimize", description,
    "Exit codes: 0 ok, 1 failed --strict gate (which looks at actions only), 2 usage error.")
  gate_flags(p)
  p:argument("N", "How many of the last valid log rows to analyse (default 200)."):args("*"):convert(positive_value)
  return p
end

--- Parse diag/scheduler argv. Returns opts {json, strict, actions, severity, window, log, format}
--- or nil, 2.
function command.parse_window_args(name, parser, argv)
  local opts, code = args.parse(parser, argv)
  if not opts then return nil, code end
  if #opts.extra > 0 then return nil, command.usage_error(name, "unexpected argument '" .. opts.extra[1] .. "'") end
  opts.severity = opts.severity or "warning"
  local format, ferr = command.format_of(opts)
  if not format then return nil, command.usage_error(name, ferr) end
  opts.format = format
  return opts
end

local function log_path()
  local paths = require "cx.paths"
  local p, err = paths.resolve()
  if not p then return nil, err end
  return p.log_file
end

--- The last n parsed rows of the run log (untyped, tolerant: unparsable lines are skipped).
--- Returns rows, info {log_file, exists, skipped, torn}; a missing or unresolvable log gives no
--- rows (info.log_file "<unresolved>" when no path could be found), plus a message as third value
--- when an existing log could not be read.
function command.read_rows(n, path)
  local runlog = require "cx.runlog"
  local rows, info = runlog.read_window(n, path)
  if rows then return rows, info end
  -- No repository and no HOME is not an error for diag/scheduler: the reference prints
  -- "<unresolved>" and reports an empty window. A log that cannot be read is worth a warning.
  path = path or log_path()
  local empty = { log_file = path or "<unresolved>", exists = false, skipped = 0, torn = false }
  if not path then return {}, empty end
  return {}, empty, info
end

--- optimize's window: the last n rows that pass the typed check (cx.diag.fields.typed_ok). Reads
--- more rows while invalid ones leave the window short and the log has more. path: the log to read
--- (default: the resolved run log). Returns rows, info, dropped ({count, field, value, execution_id}:
--- how many rows were discarded, and the first offending field with its value and row, so the user
--- can find it) or nil, message.
function command.read_typed_rows(n, path)
  local runlog = require "cx.runlog"
  local want = n
  while true do
    local rows, info = runlog.read_window(want, path)
    if not rows then return nil, info end
    local typed, offsets, dropped, first, first_row = {}, {}, 0, nil, nil
    for i, row in ipairs(rows) do
      local ok, field = fields.typed_ok(row)
      if ok then
        typed[#typed + 1] = row
        offsets[#typed] = info.offsets and info.offsets[i]
      else
        dropped = dropped + 1
        if not first then first, first_row = field, row end
      end
    end
    local short = n - #typed
    if short <= 0 or #rows < want or want > math.maxinteger - short then
      local start = math.max(1, #typed - n + 1)
      local out = table.move(typed, start, #typed, 1, {})
      info.offsets = table.move(offsets, start, #typed, 1, {})
      local value, id
      if type(first_row) == "table" and not json.is_array(first_row) then
        local ok, text = pcall(json.encode, first_row[first])
        value = ok and text or nil
        id = type(first_row.execution_id) == "string" and first_row.execution_id or nil
      end
      return out, info, { count = dropped, field = first, value = value, execution_id = id }
    end
    want = want + short
  end
end

--- Why a --strict gate cannot pass on this window, or nil: a missing, unreadable or empty log is
--- a failure, never a silent pass (a CI job pointed at the wrong path must go red).
function command.empty_problem(info, rows, read_err)
  local path = info.log_file or "<unresolved>"
  if path == "<unresolved>" then return "no run log: no git repository and no HOME (use --log PATH)" end
  if read_err then return "cannot read the run log " .. path .. ": " .. tostring(read_err) end
  if not info.exists then return "no run log at " .. path end
  if #rows == 0 then
    local skipped = (info.skipped or 0) > 0 and string.format(" (%d unparsable lines skipped)", info.skipped) or ""
    return "the run log " .. path .. " has no rows to judge" .. skipped
  end
  return nil
end

--- The CI report (cx.report_format) of a rule evaluation. gate: nil, or the gate's verdict
--- {failed, severity, floor} under --strict; problem: why --strict has nothing to judge.
function command.ci_report(suite, log_file, result, floor, problem, gate)
  local rep = {
    suite = suite,
    file = log_file ~= "<unresolved>" and log_file or nil,
    checks = report_format.checks_from_rules(result or {}, floor),
    notes = {},
  }
  if problem then rep.notes[#rep.notes + 1] = { id = "run_log", level = "error", message = problem } end
  if gate and gate.failed then
    rep.notes[#rep.notes + 1] = { id = "gate", level = "error", message = string.format(
      "gate failed: severity %s reaches the --severity %s floor", gate.severity, gate.floor) }
  end
  return rep
end

--- Print a report in the chosen format: text (render(doc)), json (pretty unless compact), github
--- or junit (from the rule evaluation eval.result; gate = command.gate(...) adds its verdict).
function command.emit(suite, opts, doc, eval, render, compact, problem, gate)
  local f = opts.format
  if f == "json" then
    io.stdout:write(compact and json.encode(doc) or json.pretty(doc), "\n")
  elseif f == "github" or f == "junit" then
    local rep = command.ci_report(suite, doc.log_file, eval.result, opts.strict and opts.severity or "warning",
      opts.strict and problem or nil, gate)
    local cwd = require("cx.core").fs.getcwd()
    io.stdout:write(f == "github" and report_format.github(rep, cwd) or report_format.junit(rep))
  else
    io.stdout:write(render(doc))
  end
end

--- The exit code once the report is out: the gate's, or 1 with a message when --strict has no log.
function command.finish(name, opts, gate, problem)
  if opts.strict and problem then
    io.stderr:write("cx ", name, ": ", problem, " (--strict)\n")
    return 1
  end
  return gate.failed and 1 or 0
end

--- The --strict gate: {failed, severity, floor}. Its severity is the higher of the report's (nil
--- for optimize, whose gate looks at actions only) and its actions' (present only with --actions).
--- Without --strict it never fails.
function command.gate(opts, severity, action_list)
  local top = policy_rules.max(severity or "ok", policy_rules.highest(action_list))
  return { failed = opts.strict == true and policy_rules.fails(top, opts.severity), severity = top,
    floor = opts.severity or "warning" }
end

return command
