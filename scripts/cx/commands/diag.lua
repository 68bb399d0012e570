--- `cx diag`: the runtime's configuration facts plus the scheduler, retry and run-all blocks of the
--- last N log rows, with severity, reasons, optional actions and a --strict CI gate.
local json = require "cx.json"
local command = require "cx.diag.command"
local context = require "cx.diag.context"
local report = require "cx.diag.report"
local render = require "cx.diag.render"

local M = { summary = "diagnose configuration and the last N runs (severity, actions, CI gate)" }

function M.parser()
  return command.window_parser("diag", "Configuration facts and run-log diagnostics over the last N rows.")
end

-- The repository root and the decoded state.json, when the foundation modules can tell them.
local function repository()
  local ok, paths = pcall(require, "cx.paths")
  local p = ok and paths.resolve() or nil
  local root = p and (p.repo_root or p.root) or nil
  local state
  local sok, st = pcall(require, "cx.state")
  if sok and type(st.load) == "function" then
    local s, err, class = st.load()
    if type(s) == "table" then state = s end
    -- diagnostics go on, but never show defaults as if they were the user's preferences unsaid
    if err and class ~= "no_base" then
      io.stderr:write("cx diag: warning: ", err, " (preferences shown as defaults)\n")
    end
  end
  return root, state
end

function M.run(argv)
  local opts, code = command.parse_window_args("diag", M.parser(), argv)
  if not opts then return code end
  local rows, info, err = command.read_rows(opts.window)
  if err then -- a log that is there but cannot be read (a FIFO, a symlink ...) is a failure
    io.stderr:write("cx diag: ", err, "\n")
    return 1
  end
  local root, state = repository()
  local log_file = info.log_file
  local header = context.collect({
    repo_root = root,
    state = state,
    log_file = log_file ~= "<unresolved>" and log_file or nil,
  })
  local doc, eval = report.diag(rows, { window = opts.window, log_file = log_file, actions = opts.actions }, header)
  if opts.json then
    io.stdout:write(json.pretty(doc), "\n")
  else
    io.stdout:write(render.diag(doc))
  end
  return command.gate_code(opts, eval.severity, eval.actions)
end

return M
