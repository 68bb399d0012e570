--- `cx optimize [N]`: scoreboard, anomalies, recommendations and findings of the optimize rule
--- policy over the last N valid log rows, with optional actions, CI formats and a --strict gate
--- on the actions.
local args = require "cx.args"
local command = require "cx.diag.command"
local optimize = require "cx.diag.optimize"
local report = require "cx.diag.report"
local render = require "cx.diag.render"

local M = { summary = "scoreboard, anomalies and recommendations of the last N runs" }

function M.parser()
  return command.optimize_parser("Scoreboard, anomaly alerts and recommendations over the last N log rows.")
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  opts.severity = opts.severity or "warning"
  local format, ferr = command.format_of(opts)
  if not format then return command.usage_error("optimize", ferr) end
  opts.format = format
  local window = opts.N[#opts.N] or optimize.DEFAULT_WINDOW
  local rows, info, dropped = command.read_typed_rows(window, opts.log)
  if not rows then
    io.stderr:write("cx optimize: ", tostring(info), "\n")
    return 1
  end
  if dropped.count > 0 then
    -- Name the first one well enough to find it: its field, value and execution_id.
    local first = dropped.field
    local v = dropped.value
    if v then first = first .. " = " .. (#v > 40 and v:sub(1, 40) .. "..." or v) end
    if dropped.execution_id then first = first .. " in row " .. dropped.execution_id end
    io.stderr:write(string.format("cx optimize: warning: skipped %d rows with mistyped fields in %s (first: %s). " ..
      "Run 'cx logs validate' for details.\n", dropped.count, info.log_file, first))
  end
  if info.skipped and info.skipped > 0 then
    io.stderr:write(string.format("cx optimize: warning: skipped %d invalid JSON lines in %s. " ..
      "Run 'cx logs validate' for details.\n", info.skipped, info.log_file))
  end
  local doc, eval, class = report.optimize(rows, {
    window = window,
    log_file = info.log_file,
    info = info,
    actions = opts.actions,
    thresholds = optimize.env_thresholds(),
  })
  if not doc then
    io.stderr:write("cx optimize: ", eval, "\n")
    return class == "usage" and 2 or 1
  end
  local problem = command.empty_problem(info, rows, nil)
  local gate = command.gate(opts, nil, eval.actions)
  command.emit("cx optimize", opts, doc, eval, render.optimize, true, problem, gate)
  return command.finish("optimize", opts, gate, problem)
end

return M
