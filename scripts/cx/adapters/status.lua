--- The adapter status taxonomy: stable | experimental | stub_unimplemented.
local json = require "cx.json"

local M = {}

M.values = { "stable", "experimental", "stub_unimplemented" }

local known = { stable = true, experimental = true, stub_unimplemented = true }
-- Legacy and loose spellings seen in old rows and configs.
local aliases = {
  ["stub"] = "stub_unimplemented",
  ["unimplemented"] = "stub_unimplemented",
  ["stub-unimplemented"] = "stub_unimplemented",
  ["experimental"] = "experimental",
  ["beta"] = "experimental",
  ["preview"] = "experimental",
}

--- Map any raw or legacy status value to the taxonomy. Anything unknown, null or missing is stable,
--- as the reference normalizes it.
function M.normalize(raw)
  if type(raw) ~= "string" then return "stable" end
  local s = raw:match("^%s*(.-)%s*$"):lower()
  if known[s] then return s end
  return aliases[s] or "stable"
end

--- The value a run-log row carries: null for stable, the name otherwise (as the reference logs it).
function M.logged(status)
  local s = M.normalize(status)
  if s == "stable" then return json.null end
  return s
end

return M
