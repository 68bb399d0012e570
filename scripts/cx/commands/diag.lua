--- `cx diag`: the runtime's configuration facts plus the scheduler, retry and run-all blocks of the
--- last N log rows, with severity, reasons and findings from the scheduler rule policy, optional
--- actions, CI formats and a --strict gate.
local command = require "cx.diag.command"
local context = require "cx.diag.context"
local report = require "cx.diag.report"

local M = { summary = "diagnose configuration and the last N runs (severity, actions, CI gate)" }

function M.parser()
  return command.window_parser("diag", "Configuration facts and run-log diagnostics over the last N rows.")
end

-- The repository root and the decoded state.json, when the foundation modules can tell them.
local function repository()
  local paths = require "cx.paths"
  local p = paths.resolve()
  local root = p and p.root or nil
  local st = require "cx.state"
  local s, err, class = st.load()
  -- diagnostics go on, but never show defaults as if they were the user's preferences unsaid
  if err and class ~= "no_base" then
    io.stderr:write("cx diag: warning: ", err, " (preferences shown as defaults)\n")
  end
  return root, type(s) == "table" and s or nil
end

function M.run(argv)
  local opts, code = command.parse_window_args("diag", M.parser(), argv)
  if not opts then return code end
  local rows, info, err = command.read_rows(opts.window, opts.log)
  if err then io.stderr:write("cx diag: ", err, "\n") end
  local root, state = repository()
  local log_file = info.log_file
  local header = context.collect({
    repo_root = root,
    state = state,
    log_file = log_file ~= "<unresolved>" and log_file or nil,
  })
  local doc, eval, class = report.diag(rows,
    { window = opts.window, log_file = log_file, info = info, actions = opts.actions }, header)
  if not doc then
    io.stderr:write("cx diag: ", eval, "\n")
    return class == "usage" and 2 or 1
  end
  local problem = command.empty_problem(info, rows, err)
  local gate = command.gate(opts, eval.severity, eval.actions)
  -- the text renderer is loaded only for the text form (start-up cost of --json)
  local function text(d) return require("cx.diag.render").diag(d) end
  command.emit("cx diag", opts, doc, eval, text, false, problem, gate)
  return command.finish("diag", opts, gate, problem)
end

return M
