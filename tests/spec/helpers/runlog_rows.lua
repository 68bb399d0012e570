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

--- Write a repository's run log: rows are tables (encoded) or strings (written as they are).
function M.write(repo, rows)
  assert(os.execute("mkdir -p '" .. repo .. "/.codex/cxlogs'"))
  local lines = {}
  for i, r in ipairs(rows) do lines[i] = type(r) == "string" and r or json.encode(r) end
  local f = assert(io.open(repo .. "/.codex/cxlogs/runs.jsonl", "wb"))
  f:write(#lines > 0 and table.concat(lines, "\n") .. "\n" or "")
  f:close()
end

--- The newest row, or nil.
function M.last(repo)
  local r = M.all(repo)
  return r[#r]
end

return M
