--- `cx promptlint [N]` (`cxpromptlint`): token-heavy tools, token drift between the older and newer
--- half of the window, and tools with a poor cache-hit rate, with recommendations. When a
--- recommendation is due is the promptlint policy (policies/promptlint.lua, overridable in
--- .codex/policies/).
local runs = require "cx.analytics.runs"
local judge = require "cx.analytics.judge"
local window = require "cx.commands.window_args"

local M = { summary = "heavy prompts, token drift, poor cache hits (promptlint policy)" }

M.DEFAULT_N = 200
M.TOP = 5

function M.parser()
  return window.parser("promptlint", "Token-heavy tools, token drift (second half of the window minus the first) "
    .. "and tools with a poor cache-hit rate among the last N runs, with recommendations from the promptlint "
    .. "policy (policies/promptlint.lua).", M.DEFAULT_N,
    { epilog = "Exit codes: 0 (a report, not a gate), 1 log or policy error, 2 usage error." })
end

local function section(L, title, list, fmt, keep)
  L[#L + 1] = title
  local shown = 0
  for _, e in ipairs(list) do
    if shown < M.TOP and (keep == nil or keep(e)) then
      L[#L + 1] = fmt(e)
      shown = shown + 1
    end
  end
  if shown == 0 then L[#L + 1] = "- n/a" end
end

function M.run(argv)
  local opts, rows, info = window.read_typed("promptlint", M.parser(), argv, M.DEFAULT_N)
  if not opts then return rows end
  local L = { string.format("== cx promptlint (last %d runs) ==", opts.n) }
  if #rows == 0 then
    L[#L + 1] = "No runs found."
    L[#L + 1] = "log_file: " .. info.log_file
    io.stdout:write(table.concat(L, "\n"), "\n")
    return 0
  end
  local input = runs.promptlint(rows, opts.n)
  local result, err = judge.evaluate("promptlint", input)
  if not result then
    io.stderr:write("cx promptlint: ", err, "\n")
    return 1
  end
  local low = tonumber(result.thresholds.low_cache_hit_pct) or 40
  section(L, "Top token-heavy tools (avg effective_input_tokens):", input.heavy,
    function(e) return string.format("- %s: %d", e.tool, e.avg) end)
  section(L, "Prompt drift (same tool, avg eff tokens second-half minus first-half):", input.drift,
    function(e) return string.format("- %s: delta=%d, first=%d, second=%d", e.tool, e.delta, e.first, e.second) end)
  section(L, "Poor cache-hit tools:", input.cache, function(e) return string.format("- %s: %d%%", e.tool, e.pct) end,
    function(e) return e.pct < low end)
  L[#L + 1] = "Recommendations:"
  for _, f in ipairs(result.findings) do L[#L + 1] = "- " .. f.reason end
  if #result.findings == 0 then L[#L + 1] = "- No major prompt issues detected in this window." end
  L[#L + 1] = "log_file: " .. info.log_file
  io.stdout:write(table.concat(L, "\n"), "\n")
  return 0
end

return M
