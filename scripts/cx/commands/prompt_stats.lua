--- `cx prompt-stats [N] [--json]` (`cxprompt_stats`): how many prompt characters the prompt filter
--- saved over the last N rows (any JSON row counts in the window; rows with prompt lengths are
--- measured), overall and for the ten tools that saved most.
local json = require "cx.json"
local stats = require "cx.diag.stats"
local prompt_stats = require "cx.analytics.prompt_stats"
local window = require "cx.commands.window_args"

local M = { summary = "prompt filter savings over the last N runs" }

M.DEFAULT_N = 200

function M.parser()
  return window.parser("prompt-stats", "Prompt filter savings (raw vs filtered prompt characters) over the last "
    .. "N run-log rows, overall and per tool.", M.DEFAULT_N, { json = "Print one JSON document." })
end

local function pct_text(v)
  if v == json.null or v == nil then return "n/a" end
  return stats.pct(v) .. "%"
end

function M.run(argv)
  local opts, code = window.parse(M.parser(), argv, M.DEFAULT_N)
  if not opts then return code end
  local file
  file, code = window.log_file("prompt-stats", opts)
  if not file then return code end
  local rows, info = window.tolerant("prompt-stats", opts.n, file)
  if not rows then return info end
  local r = prompt_stats.compute(rows, opts.n, info.log_file)
  if opts.json then
    io.stdout:write(json.pretty(r), "\n")
    return 0
  end
  local L = {
    string.format("== cx prompt-stats (last %d runs) ==", opts.n),
    "runs: " .. r.runs,
    "rows_with_prompt_lengths: " .. r.rows_with_prompt_lengths,
    "prompt_filter_applied_runs: " .. r.prompt_filter_applied_runs,
  }
  if info.exists then
    L[#L + 1] = "raw_chars_total: " .. r.raw_chars_total
    L[#L + 1] = "filtered_chars_total: " .. r.filtered_chars_total
  end
  L[#L + 1] = "saved_chars_total: " .. r.saved_chars_total
  L[#L + 1] = "saved_pct: " .. pct_text(r.saved_pct)
  if info.exists then
    L[#L + 1] = "by_tool:"
    for _, t in ipairs(r.by_tool) do
      L[#L + 1] = string.format("- %s: saved_chars=%d saved_pct=%s runs=%d", t.tool, t.saved_chars,
        pct_text(t.saved_pct), t.runs)
    end
  end
  L[#L + 1] = "log_file: " .. r.log_file
  io.stdout:write(table.concat(L, "\n"), "\n")
  return 0
end

return M
