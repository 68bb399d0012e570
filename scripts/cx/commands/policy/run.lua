--- `cx policy run FILE|name`: evaluate one rule policy over a log window and gate on its severity.
--- A name evaluates the policy as cx does (shipped + .codex/policies override); a file path
--- evaluates that file (composed with the shipped policy of its name when it says extends = true).
local core = require "cx.core"
local json = require "cx.json"
local command = require "cx.diag.command"
local diag_input = require "cx.diag.input"
local report = require "cx.diag.report"
local policy_rules = require "cx.policy_rules"
local report_format = require "cx.report_format"

local M = {}

M.CONTRACT_VERSION = "policy-run.v1"

local function fail(msg, code)
  io.stderr:write("cx policy run: ", msg, "\n")
  return code or 1
end

local function text_of(doc)
  local files = {}
  for i, f in ipairs(doc.files) do files[i] = f.origin .. " " .. f.path end
  local out = {
    "== cx policy run ==",
    "policy: " .. doc.policy .. " (" .. table.concat(files, " + ") .. ")",
    "log_file: " .. doc.log_file,
    "window: " .. doc.window,
    "window_runs: " .. doc.window_runs,
    "severity: " .. doc.severity,
    "findings:",
  }
  if #doc.findings == 0 then out[#out + 1] = "- none" end
  for _, f in ipairs(doc.findings) do
    local ev = report_format.evidence_text(f)
    out[#out + 1] = string.format("- [%s] %s: %s%s", f.severity, f.id, f.message, ev ~= "" and " (" .. ev .. ")" or "")
  end
  out[#out + 1] = "actions:"
  if #doc.actions == 0 then out[#out + 1] = "- none" end
  for _, a in ipairs(doc.actions) do
    out[#out + 1] = string.format("- [%s] %s: %s -> %s", a.severity, a.id, a.rationale, a.command)
  end
  return table.concat(out, "\n") .. "\n"
end

--- opts: the parsed `policy run` options (policy, window, log, json, format, strict, severity).
function M.run(opts)
  opts.severity = opts.severity or "warning"
  local format, ferr = command.format_of(opts)
  if not format then return fail(ferr, 2) end
  opts.format = format
  local target = opts.policy
  local is_file = target:find("/", 1, true) ~= nil or target:match("%.lua$") ~= nil
  local name = is_file and target:match("([^/]*)%.lua$") or target
  if not name or not name:match("^[%w_%-]+$") then
    return fail("'" .. target .. "' is neither a policy name nor a path to <name>.lua", 2)
  end
  if is_file and not core.fs.exists(target) then return fail("no policy file at " .. target) end
  local rows, info, err = command.read_rows(opts.window, opts.log)
  if err then io.stderr:write("cx policy run: ", err, "\n") end
  local input, iopts = diag_input.for_policy(name, rows, info, opts.window)
  local r, rerr, class = policy_rules.evaluate(name, input,
    { file = is_file and target or nil, thresholds = iopts.thresholds })
  if not r then return fail(rerr, class == "usage" and 2 or 1) end
  local doc = {
    contract_version = M.CONTRACT_VERSION,
    policy = name,
    files = json.array(r.policy.files),
    log_file = info.log_file,
    window = opts.window,
    window_runs = #rows,
    severity = r.severity,
    findings = report.findings_json(r.findings),
    actions = json.array(r.actions),
    rules = json.array(r.rules),
    thresholds = r.thresholds,
  }
  local problem = command.empty_problem(info, rows, err)
  local gate = command.gate(opts, r.severity, r.actions)
  command.emit("cx policy run " .. name, opts, doc, { result = r }, text_of, false, problem, gate)
  return command.finish("policy run", opts, gate, problem)
end

return M
