--- `cx worklog [N]` (`cxworklog`): the last N runs as Markdown — a table per tool and the runs in
--- log order — ready to paste into a report.
local runs = require "cx.analytics.runs"
local window = require "cx.commands.window_args"

local M = { summary = "Markdown worklog of the last N runs" }

M.DEFAULT_N = 50

function M.parser()
  return window.parser("worklog", "The last N runs as Markdown: runs and averages per tool, then every run in "
    .. "log order.", M.DEFAULT_N)
end

function M.run(argv)
  local opts, rows, info = window.read_typed("worklog", M.parser(), argv, M.DEFAULT_N)
  if not opts then return rows end
  local L = { "# cx Worklog", "", string.format("Window: last %d runs", opts.n), "" }
  if not info.exists then
    L[#L + 1] = "No runs found."
  else
    local w = runs.worklog(rows)
    L[#L + 1] = "## By Tool"
    L[#L + 1] = ""
    L[#L + 1] = "| Tool | Runs | Avg Duration (ms) | Avg Effective Tokens |"
    L[#L + 1] = "|---|---:|---:|---:|"
    for _, t in ipairs(w.tools) do
      L[#L + 1] = string.format("| %s | %d | %d | %d |", t.tool, t.runs, t.avg_duration_ms, t.avg_effective_tokens)
    end
    L[#L + 1] = ""
    L[#L + 1] = "## Chronological Runs"
    L[#L + 1] = ""
    for _, r in ipairs(w.runs) do
      L[#L + 1] = string.format("- %s | %s | %dms | %d effective tokens", r.ts or "n/a", r.tool, r.duration_ms,
        r.effective_input_tokens)
    end
  end
  L[#L + 1] = ""
  L[#L + 1] = "_log_file: " .. info.log_file .. "_"
  io.stdout:write(table.concat(L, "\n"), "\n")
  return 0
end

return M
