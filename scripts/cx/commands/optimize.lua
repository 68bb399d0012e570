--- `cx optimize [N]`: scoreboard, anomalies and recommendations over the last N valid log rows,
--- with optional actions and a --strict gate on them.
local args = require "cx.args"
local json = require "cx.json"
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
  local window = opts.N[#opts.N] or optimize.DEFAULT_WINDOW
  local rows, info, dropped = command.read_typed_rows(window)
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
  local doc, eval = report.optimize(rows, {
    window = window,
    log_file = info.log_file,
    actions = opts.actions,
    thresholds = optimize.thresholds(),
  })
  if opts.json then
    io.stdout:write(json.encode(doc), "\n")
  else
    io.stdout:write(render.optimize(doc))
  end
  return command.gate_code(opts, nil, eval.actions)
end

return M
