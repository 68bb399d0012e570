--- `cx scheduler`: queue latency, worker/backend spread, retries and run-all halts over the last
--- N log rows, with severity, reasons and findings from the scheduler rule policy, optional
--- actions, CI formats and a --strict gate.
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
  local rows, info, err = command.read_rows(opts.window, opts.log)
  if err then io.stderr:write("cx scheduler: ", err, "\n") end
  local doc, eval, class = report.scheduler(rows,
    { window = opts.window, log_file = info.log_file, info = info, actions = opts.actions })
  if not doc then
    io.stderr:write("cx scheduler: ", eval, "\n")
    return class == "usage" and 2 or 1
  end
  local problem = command.empty_problem(info, rows, err)
  local gate = command.gate(opts, eval.severity, eval.actions)
  command.emit("cx scheduler", opts, doc, eval, render.scheduler, false, problem, gate)
  return command.finish("scheduler", opts, gate, problem)
end

return M
