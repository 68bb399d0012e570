--- `cx metrics [N]` (`cxmetrics`): token and duration averages of the last N runs, overall and per
--- tool, as one pretty JSON document (there is no text form; --json is accepted for symmetry).
local json = require "cx.json"
local runs = require "cx.analytics.runs"
local window = require "cx.commands.window_args"

local M = { summary = "token and duration averages of the last N runs (JSON)" }

M.DEFAULT_N = 50

function M.parser()
  return window.parser("metrics", "Token and duration averages of the last N runs, overall and per tool, as "
    .. "one JSON document (rows with mistyped fields are skipped with a warning).", M.DEFAULT_N,
    { json = "Accepted for symmetry: the output is always JSON." })
end

function M.run(argv)
  local opts, rows, info = window.read_typed("metrics", M.parser(), argv, M.DEFAULT_N)
  if not opts then return rows end
  local doc = runs.metrics(rows, info.log_file)
  doc.by_tool = json.array(doc.by_tool)
  io.stdout:write(json.pretty(doc), "\n")
  return 0
end

return M
