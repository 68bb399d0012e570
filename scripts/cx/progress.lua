--- Progress for long waits: one line on stderr, redrawn in place, only when stderr is a terminal
--- (never in pipes, logs or CI) and CX_NO_PROGRESS is not set. Cleared when the wait ends.
local core = require "cx.core"

local M = {}

-- The terminal's stderr: under cx.output the line's own control bytes bypass the escaping that
-- every other write gets (they are drawn on purpose); the text drawn still goes through it.
local function terminal()
  local stderr = io.stderr
  return stderr.raw or stderr -- luacheck: ignore 143 (cx.output's stream)
end

--- A ticker for `what` (e.g. "codex-cli"), or nil when no progress should be drawn.
--- ticker(elapsed_ms) redraws; ticker(nil) clears the line.
function M.ticker(what)
  local off = os.getenv("CX_NO_PROGRESS")
  if (off and off ~= "" and off ~= "0") or not core.fs.isatty(2) then return nil end
  local drawn = false
  return function(elapsed_ms)
    local err = terminal()
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

--- A status line (run-all's done / running / failed / queued), or nil when no progress should be
--- drawn. line:draw(text, now_ms) redraws at most every min_ms (default 200) unless forced;
--- line:clear() erases it.
function M.line(min_ms)
  local off = os.getenv("CX_NO_PROGRESS")
  if (off and off ~= "" and off ~= "0") or not core.fs.isatty(2) then return nil end
  local drawn, last = false, nil
  local line = {}
  function line.draw(text, now_ms, force)
    if not force and last and now_ms - last < (min_ms or 200) then return end
    last = now_ms
    terminal():write("\r\27[K")
    io.stderr:write(text)
    io.stderr:flush()
    drawn = true
  end
  function line.clear()
    if drawn then terminal():write("\r\27[K") end
    drawn = false
  end
  return line
end

return M
