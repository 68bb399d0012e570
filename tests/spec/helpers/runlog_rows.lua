--- Test helper: the decoded rows of a repository's run log (`.codex/cxlogs/runs.jsonl`).
local json = require "cx.json"

local M = {}

--- Every row, oldest first ({} when the log does not exist).
function M.all(repo)
  local out = {}
  local f = io.open(repo .. "/.codex/cxlogs/runs.jsonl", "rb")
  if not f then return out end
  for line in f:lines() do out[#out + 1] = json.decode(line) end
  f:close()
  return out
end

--- The newest row, or nil.
function M.last(repo)
  local r = M.all(repo)
  return r[#r]
end

return M
