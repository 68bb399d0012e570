--- Progress for long waits: one line on stderr, redrawn in place, only when stderr is a terminal
--- (never in pipes, logs or CI) and CX_NO_PROGRESS is not set. Cleared when the wait ends.
local core = require "cx.core"

local M = {}

--- A ticker for `what` (e.g. "codex-cli"), or nil when no progress should be drawn.
--- ticker(elapsed_ms) redraws; ticker(nil) clears the line.
function M.ticker(what)
  local off = os.getenv("CX_NO_PROGRESS")
  if (off and off ~= "" and off ~= "0") or not core.fs.isatty(2) then return nil end
  local drawn = false
  return function(elapsed_ms)
    local stderr = io.stderr
    local err = stderr.raw or stderr -- luacheck: ignore 143 (cx.output's stream; the line is control on purpose)
    if elapsed_ms == nil then
      if drawn then err:write("\r\27[K") end
      drawn = false
      return
    end
    err:write(string.format("\r\27[Kcx: waiting for %s ... %ds", what, elapsed_ms // 1000))
    err:flush()
    drawn = true
  end
end

return M
