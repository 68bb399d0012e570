--- `cx profile [N]` (`cxprofile`): a text summary of the last N runs — averages, cache hit rate,
--- output/input ratio, the slowest run and the heaviest context.
local stats = require "cx.diag.stats"
local runs = require "cx.analytics.runs"
local window = require "cx.commands.window_args"

local M = { summary = "summary of the last N runs" }

M.DEFAULT_N = 50

function M.parser()
  return window.parser("profile", "Summary of the last N runs: average duration and effective tokens, cache "
    .. "hit rate, output/input ratio, the slowest run and the heaviest context.", M.DEFAULT_N)
end

function M.run(argv)
  local opts, rows, info = window.read_typed("profile", M.parser(), argv, M.DEFAULT_N)
  if not opts then return rows end
  local p = runs.profile(rows)
  local L = {
    string.format("== cx profile (last %d runs) ==", opts.n),
    "Runs: " .. p.runs,
    string.format("Avg duration: %dms", p.avg_duration_ms),
    "Avg effective tokens: " .. p.avg_effective_tokens,
    "Cache hit rate: " .. (p.cache_hit_pct and (p.cache_hit_pct .. "%") or "n/a"),
    "Output/input ratio: " .. (p.output_input_ratio and stats.fmt2(p.output_input_ratio) or "n/a"),
    "Slowest run: " .. (p.slowest and string.format("%dms (%s)", p.slowest.duration_ms, p.slowest.tool) or "n/a"),
    "Heaviest context: " .. (p.heaviest and string.format("%d effective tokens (%s)", p.heaviest.effective_input_tokens,
      p.heaviest.tool) or "n/a"),
    "log_file: " .. info.log_file,
  }
  io.stdout:write(table.concat(L, "\n"), "\n")
  return 0
end

return M
