--- `cx trace [N]` (`cxtrace`): the fields of the Nth most recent run (1 = the last one).
local runs = require "cx.analytics.runs"
local window = require "cx.commands.window_args"

local M = { summary = "the Nth most recent run" }

M.DEFAULT_N = 1

function M.parser()
  return window.parser("trace", "The Nth most recent run (1 = the last): timestamp, tool, duration, tokens, "
    .. "scope, backend, model and prompt.", M.DEFAULT_N,
    { epilog = "Exit codes: 0 ok, 1 no log or no runs, 2 usage error or N beyond the runs in the log." })
end

function M.run(argv)
  local opts, rows, info = window.read_typed("trace", M.parser(), argv, M.DEFAULT_N)
  if not opts then return rows end
  if not info.exists then
    io.stderr:write("cx trace: no log file at ", info.log_file, "\n")
    return 1
  end
  if #rows == 0 then
    io.stderr:write("cx trace: no runs in ", info.log_file, "\n")
    return 1
  end
  if #rows < opts.n then
    io.stderr:write(string.format("cx trace: run index out of range (requested %d, available %d)\n", opts.n, #rows))
    return 2
  end
  local L = { string.format("== cx trace (run #%d most recent) ==", opts.n) }
  for _, f in ipairs(runs.trace(rows[1])) do
    L[#L + 1] = f[1] .. ": " .. (f[2] ~= nil and tostring(f[2]) or "n/a")
  end
  L[#L + 1] = "log_file: " .. info.log_file
  io.stdout:write(table.concat(L, "\n"), "\n")
  return 0
end

return M
