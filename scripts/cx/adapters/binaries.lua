--- Where the process adapters find their CLIs: CX_CODEX_BIN / CX_OLLAMA_BIN (a path or a name),
--- else the plain name looked up on PATH.
local context = require "cx.context"

local M = {}

local overrides = { codex = "CX_CODEX_BIN", ollama = "CX_OLLAMA_BIN" }

--- The program to run for a CLI name, and the variable that can override it.
function M.program(name)
  local var = overrides[name]
  local v = var and context.getenv(var)
  if v and v:match("%S") then return v, var end
  return name, var
end

return M
