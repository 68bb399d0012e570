--- `cx scheduler`: queue latency, worker/backend spread, retries and run-all halts over the last
--- N log rows, with severity, reasons, optional actions and a --strict CI gate.
local json = require "cx.json"
local command = require "cx.diag.command"
local report = require "cx.diag.report"
local render = require "cx.diag.render"

local M = { summary = "scheduler health of the last N runs (queue, workers, retries, halts)" }

function M.parser()
  return command.window_parser("scheduler", "Scheduler health over the last N rows of the run log.")
end

function M.run(argv)
  local opts, code = command.parse_window_args("scheduler", M.parser(), argv)
  if not opts then return code end
  local rows, info, err = command.read_rows(opts.window)
  if err then -- a log that is there but cannot be read (a FIFO, a symlink ...) is a failure
    io.stderr:write("cx scheduler: ", err, "\n")
    return 1
  end
  local doc, eval = report.scheduler(rows, { window = opts.window, log_file = info.log_file, actions = opts.actions })
  if opts.json then
    io.stdout:write(json.pretty(doc), "\n")
  else
    io.stdout:write(render.scheduler(doc))
  end
  return command.gate_code(opts, eval.severity, eval.actions)
end

return M
