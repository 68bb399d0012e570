--- Static readiness checks per adapter (no request sent): is the binary on PATH, is the URL set, is
--- the model chosen. Each check says what to fix. Used by `cx doctor`.
local core = require "cx.core"

local M = {}

--- The path of an executable found on PATH (or the name itself when it contains a slash).
function M.which(name)
  if name:find("/", 1, true) then
    local st = core.fs.stat(name)
    return st and st.type == "file" and name or nil
  end
  for dir in (os.getenv("PATH") or ""):gmatch("[^:]+") do
    local p = dir .. "/" .. name
    local st = core.fs.stat(p)
    if st and st.type == "file" then return p end
  end
  return nil
end

local function env(name, default)
  local v = os.getenv(name)
  if v and v:match("%S") then return v end
  return default
end

--- Checks for one adapter given the current descriptor d (for model/URL). Returns a list of
--- {name, ok, detail, fix}.
function M.checks(name, d)
  local out = {}
  local function add(check, ok, detail, fix)
    out[#out + 1] = { check = check, ok = ok, detail = detail, fix = (not ok) and fix or nil }
  end
  if name == "codex-cli" then
    local bin = env("CX_CODEX_BIN", "codex")
    local path = M.which(bin)
    add("binary", path ~= nil, path or (bin .. " not found on PATH"),
      "install it (npm install -g @openai/codex) or set CX_CODEX_BIN to its path")
  elseif name == "ollama-cli" then
    local bin = env("CX_OLLAMA_BIN", "ollama")
    local path = M.which(bin)
    add("binary", path ~= nil, path or (bin .. " not found on PATH"),
      "install ollama (https://ollama.com/download) or set CX_OLLAMA_BIN to its path")
    local model = d.name == "ollama-cli" and d.model or env("CX_OLLAMA_MODEL")
    add("model", model ~= nil, model or "unset", "set CX_OLLAMA_MODEL or run 'cx llm set-model <model>'")
  elseif name == "http-curl" then
    local url = d.http and d.http.url or env("CX_HTTP_PROVIDER_URL")
    local identity = require "cx.adapters.identity"
    add("url", url ~= nil, url and identity.sanitize_url(url) or "CX_HTTP_PROVIDER_URL is unset",
      "export CX_HTTP_PROVIDER_URL=http://host:port/path (and CX_HTTP_PROVIDER_FORMAT)")
  elseif name == "http-stub" then
    add("implemented", false, "http-stub is a placeholder that always fails",
      "use CX_PROVIDER_ADAPTER=http with CX_HTTP_PROVIDER_URL instead")
  elseif name == "mock" then
    add("in-process", true, "no external dependency")
  end
  return out
end

return M
