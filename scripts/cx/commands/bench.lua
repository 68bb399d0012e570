--- `cx bench <runs> -- <command...>` (`cxbench`): run a command N times (directly, never through a
--- shell) and report durations, failures and the tokens of the run-log rows it wrote.
local args = require "cx.args"
local bench = require "cx.bench"
local config = require "cx.config"
local paths = require "cx.paths"

local M = { summary = "run a command N times: durations, failures, correlated tokens" }

local USAGE = "Usage: cx bench <runs> -- <command...>"

local HELP = USAGE .. [[


Run <command> <runs> times, one after the other (directly, never through a shell; its stdin is
closed), and print the average/min/max duration, the failures (a non-zero exit or a signal), and
the average effective input and output tokens of the run-log rows each run appended (a command that
runs cx logs its LLM runs; rows are matched by time and by their most frequent prompt hash).
  CXBENCH_LOG=0       skip the token correlation (and set CXLOG_ENABLED=0 for the command)
  CXBENCH_PASSTHRU=1  print each run's stdout (and stderr, on stderr) after it
Exit codes: 0 every run succeeded, 1 a run failed or could not start, 2 usage error.
]]

local function usage_error(msg)
  io.stderr:write("cx bench: ", msg, " (", USAGE, ")\n")
  return 2
end

function M.run(argv)
  if args.asks_help(argv) then
    io.stdout:write(HELP)
    return 0
  end
  local runs = args.positive_int(argv[1])
  if not runs then
    return usage_error(argv[1] and ("<runs> must be a positive integer, got '" .. argv[1] .. "'") or "missing <runs>")
  end
  if argv[2] ~= "--" then
    return usage_error(argv[2] and ("expected '--' before the command, got '" .. argv[2] .. "'")
      or "missing '--' and <command>")
  end
  local cmd = table.move(argv, 3, #argv, 1, {})
  if #cmd == 0 then return usage_error("missing <command> after '--'") end
  local logging = config.uint("CXBENCH_LOG", 1) ~= 0
  local passthru = config.uint("CXBENCH_PASSTHRU", 0) == 1
  local p = paths.resolve()
  local s, err = bench.run(cmd, runs, {
    logging = logging, log_file = p and p.log_file,
    passthru = passthru and function(o, e)
      io.stdout:write(o)
      io.stderr:write(e)
    end or nil,
  })
  if not s then
    io.stderr:write("cx bench: ", err, "\n")
    return 1
  end
  local function avg(v)
    return v and tostring(v) or "n/a"
  end
  local L = {
    "== cx bench ==",
    "runs: " .. runs,
    "command: " .. s.command,
    string.format("duration_ms avg/min/max: %d/%d/%d", s.avg_ms, s.min_ms, s.max_ms),
    "failures: " .. s.failures,
    "avg effective_input_tokens: " .. avg(s.avg_effective_input_tokens),
    "avg output_tokens: " .. avg(s.avg_output_tokens),
    "cxbench_log: " .. (logging and "enabled" or "disabled (CXBENCH_LOG=0)"),
    "cxbench_passthru: " .. (passthru and "enabled" or "disabled"),
  }
  if logging then
    L[#L + 1] = string.format("cxbench_correlation: prompt_hash_matches=%d/%d runs, appended_rows=%d",
      s.hash_matches, runs, s.appended_rows)
  end
  io.stdout:write(table.concat(L, "\n"), "\n")
  return s.failures > 0 and 1 or 0
end

return M
