--- Test helper: put the fake `codex` and `ollama` (tests/fixtures/bin, docs/testing.md) first on PATH.
---
---   local fake = require "helpers.fake_cli"
---   local r = h.cx({ "cxj", "echo", "hi" }, { env = fake.env({ FAKE_CODEX_SCENARIO = "turn_failed" }) })
local M = {}

local root = os.getenv("PWD")
M.bin_dir = root .. "/tests/fixtures/bin"
M.captures_dir = root .. "/tests/fixtures/codex"

--- env (a table for helpers.cli's run) with PATH starting at the fake CLIs; extra is merged in.
function M.env(extra)
  local env = { PATH = M.bin_dir .. ":" .. (os.getenv("PATH") or "/usr/bin:/bin") }
  for k, v in pairs(extra or {}) do env[k] = v end
  return env
end

--- The byte-exact stdout of a codex capture (tests/fixtures/codex/NAME.stdout.jsonl).
function M.capture(name)
  local f = assert(io.open(M.captures_dir .. "/" .. name .. ".stdout.jsonl", "rb"))
  local s = f:read("a")
  f:close()
  return s
end

return M
