--- `require "cx"`: the public Lua API of cx (docs/lua-api.md). A small facade over the modules the
--- CLI uses: run a prompt through the selected adapter and log it, read a log window, build the
--- diagnostics reports, evaluate rule policies, gate on a severity. Every function returns its
--- result, or nil, message, class; none raises on bad input. The modules behind it stay reachable
--- (cx.json, cx.paths, cx.runlog, cx.policy, ...) for embedders who need more.
local core = require "cx.core"

local cx = { version = core.version }

local lazy = {
  core = "cx.core", json = "cx.json", paths = "cx.paths", config = "cx.config", state = "cx.state",
  runlog = "cx.runlog", log_contract = "cx.log_contract", adapters = "cx.adapters", execute = "cx.execute",
  structured = "cx.structured", quarantine = "cx.quarantine", policy = "cx.policy", policy_rules = "cx.policy_rules",
  report_format = "cx.report_format", schema_registry = "cx.schema.registry",
  schema_validator = "cx.schema.validator",
}

local function usage(message)
  return nil, message, "usage"
end

--- Run `prompt` through the adapter cx would use here (CX_PROVIDER_ADAPTER / state preferences)
--- and append its row to the run log. opts: mode ("plain" | "agent" | "jsonl", default "plain"),
--- tool (the row's tool name, default "cx_lua"), log (false: do not write the row).
--- Returns { ok, text, class, reason, row } (a failed provider call is ok = false, not an error)
--- or nil, message, class for bad arguments.
function cx.run(prompt, opts)
  if type(prompt) ~= "string" then return usage("cx.run: prompt must be a string") end
  opts = opts or {}
  local adapters, execute, config = require "cx.adapters", require "cx.execute", require "cx.config"
  local mode = opts.mode or "plain"
  if not adapters.modes[mode] then return usage("cx.run: unknown mode '" .. tostring(mode) .. "'") end
  local started = core.loop.monotonic_ms()
  local d = execute.descriptor()
  local fields = adapters.telemetry(d)
  local filtered = execute.filter_prompt(prompt, false)
  for k, v in pairs(execute.prompt_fields(prompt, filtered)) do fields[k] = v end
  local r = adapters.run(d, { prompt = filtered, mode = mode, timeout_secs = config.llm_timeout_secs() })
  for k, v in pairs(execute.result_fields(r)) do fields[k] = v end
  fields.schema_enforced = false
  fields.duration_ms = execute.elapsed_ms(started)
  local runlog = require "cx.runlog"
  local row = runlog.row(opts.tool or "cx_lua", fields)
  if opts.log ~= false then runlog.append(row) end
  return { ok = r.ok, text = r.text, jsonl = r.jsonl, class = r.class, reason = r.reason, row = row }
end

--- The last n rows of the run log (this repository's, or opts.log), decoded; rows that are not
--- JSON are skipped. Returns rows, info {log_file, exists, skipped, offsets} or nil, message, class.
function cx.log_window(n, opts)
  opts = opts or {}
  if math.type(n) ~= "integer" or n < 1 then return usage("cx.log_window: n must be a positive integer") end
  local rows, info = require("cx.runlog").read_window(n, opts.log)
  if not rows then return nil, info, "io" end
  return rows, info
end

local function check_rows(fname, rows, opts)
  if type(rows) ~= "table" then return usage("cx.diag." .. fname .. ": rows must be a list of decoded rows") end
  if opts ~= nil and type(opts) ~= "table" then return usage("cx.diag." .. fname .. ": opts must be a table") end
  return true
end

local function report_opts(rows, opts)
  opts = opts or {}
  return {
    window = math.tointeger(opts.window) or #rows,
    log_file = opts.log_file or "<memory>",
    info = opts.info,
    actions = opts.actions ~= false,
    thresholds = opts.thresholds,
    rules = opts.rules,
  }
end

--- The diagnostics reports over decoded rows, as `cx diag|scheduler|optimize --json --actions`
--- print them (actions included unless opts.actions == false). opts: window, log_file, info (a
--- log_window info, for line numbers), rules (cx.policy_rules options: policies_dir ...).
--- Each returns the document and the evaluation ({severity, actions, result = rule result}) or
--- nil, message, class.
cx.diag = {}

function cx.diag.diag(rows, opts)
  local ok, err, class = check_rows("diag", rows, opts)
  if not ok then return nil, err, class end
  local header = require("cx.diag.context").collect({})
  return require("cx.diag.report").diag(rows, report_opts(rows, opts), header)
end

function cx.diag.scheduler(rows, opts)
  local ok, err, class = check_rows("scheduler", rows, opts)
  if not ok then return nil, err, class end
  return require("cx.diag.report").scheduler(rows, report_opts(rows, opts))
end

function cx.diag.optimize(rows, opts)
  local ok, err, class = check_rows("optimize", rows, opts)
  if not ok then return nil, err, class end
  local typed = {}
  local fields = require "cx.diag.fields"
  for _, row in ipairs(rows) do
    if fields.typed_ok(row) then typed[#typed + 1] = row end
  end
  return require("cx.diag.report").optimize(typed, report_opts(rows, opts))
end

--- Evaluate rule policy `name` (shipped + this repository's override, or opts.file) over decoded
--- rows, with the input cx policy run gives it. opts: window, info, policies_dir, file, limits.
--- Returns the rule result {severity, findings, actions, rules, thresholds, policy} or nil,
--- message, class.
function cx.evaluate(name, rows, opts)
  if type(name) ~= "string" then return usage("cx.evaluate: name must be a policy name") end
  if type(rows) ~= "table" then return usage("cx.evaluate: rows must be a list of decoded rows") end
  opts = opts or {}
  local input, iopts = require("cx.diag.input").for_policy(name, rows, opts.info or {}, opts.window or #rows)
  return require("cx.policy_rules").evaluate(name, input, {
    policies_dir = opts.policies_dir, file = opts.file, limits = opts.limits, thresholds = iopts.thresholds,
  })
end

--- The gate: does `what` (a severity string, or a report/result with .severity and .actions) pass
--- the `floor` ("warning" by default)? Returns passed (boolean) and the severity it judged.
function cx.gate(what, floor)
  local rules = require "cx.policy_rules"
  local severity = "ok"
  if type(what) == "string" then
    severity = what
  elseif type(what) == "table" then
    severity = rules.max(what.severity or "ok", rules.highest(what.actions))
  end
  return not rules.fails(severity, floor), severity
end

--- Run the cx command line with an argument list; returns the exit code.
function cx.main(argv)
  return require("cx.cli").main(argv)
end

return setmetatable(cx, {
  __index = function(t, k)
    local name = lazy[k]
    if not name then return nil end
    local m = require(name)
    rawset(t, k, m)
    return m
  end,
})
