--- What `cx diag`, `cx scheduler` and `cx optimize` share on the command side: their flags
--- (reference diagnostics.md §1.1-1.2), reading the log window, and the strict gate's exit code.
local args = require "cx.args"
local json = require "cx.json"
local printable = require "cx.printable"
local fields = require "cx.diag.fields"

local command = {}

command.DEFAULT_WINDOW = 200

--- Print a usage error naming the bad argument; returns exit code 2.
function command.usage_error(name, message)
  io.stderr:write("cx ", name, ": ", printable.line(message), "\n", "Run 'cx ", name, " --help' for usage.\n")
  return 2
end

-- --severity accepts warn (normalised to warning), warning or critical, case-sensitive.
local function severity_value(text)
  if text == "warn" or text == "warning" then return "warning" end
  if text == "critical" then return "critical" end
  return nil, "--severity must be warning|critical, got '" .. text .. "'"
end

local window_value = args.converter("--window")

--- A positional window for optimize: an unsigned integer > 0.
local positive_value = args.converter("N")

local function gate_flags(p)
  p:flag("--json", "Print one JSON document.")
  p:flag("--strict", "Exit 1 when the gate's severity reaches the --severity floor.")
  p:flag("--actions", "Add the actions.v1 list of suggested next commands.")
  p:option("--severity", "Floor of the --strict gate: warning (or warn) | critical.")
    :argname("<level>"):convert(severity_value)
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

--- Parse diag/scheduler argv. Returns opts {json, strict, actions, severity, window} or nil, 2.
function command.parse_window_args(name, parser, argv)
  local opts, code = args.parse(parser, argv)
  if not opts then return nil, code end
  if #opts.extra > 0 then return nil, command.usage_error(name, "unexpected argument '" .. opts.extra[1] .. "'") end
  opts.severity = opts.severity or "warning"
  return opts
end

local function log_path()
  local ok, paths = pcall(require, "cx.paths")
  if not ok then return nil, "cx.paths is not available" end
  local p, err = paths.resolve()
  if not p then return nil, err end
  return p.log_file
end

--- The last n parsed rows of the run log (untyped, tolerant: unparsable lines are skipped).
--- Returns rows, info {log_file, exists, skipped, torn}; a missing or unresolvable log gives no
--- rows (info.log_file "<unresolved>" when no path could be found), plus a message as third value
--- when an existing log could not be read.
function command.read_rows(n)
  local runlog = require "cx.runlog"
  local rows, info = runlog.read_window(n)
  if rows then return rows, info end
  -- No repository and no HOME is not an error for diag/scheduler: the reference prints
  -- "<unresolved>" and reports an empty window. A log that cannot be read is worth a warning.
  local path = log_path()
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
    local typed, dropped, first, first_row = {}, 0, nil, nil
    for _, row in ipairs(rows) do
      local ok, field = fields.typed_ok(row)
      if ok then
        typed[#typed + 1] = row
      else
        dropped = dropped + 1
        if not first then first, first_row = field, row end
      end
    end
    local short = n - #typed
    if short <= 0 or #rows < want or want > math.maxinteger - short then
      local start = math.max(1, #typed - n + 1)
      local out = table.move(typed, start, #typed, 1, {})
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

--- Exit code of a finished report: 1 when --strict and the gate fails, else 0.
function command.gate_code(opts, severity, action_list)
  if not opts.strict then return 0 end
  local rules = require "cx.diag.rules"
  if rules.strict_fails(opts.severity, severity, action_list) then return 1 end
  return 0
end

return command
