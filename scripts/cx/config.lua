--- Environment settings, parsed the way the reference parses them, and the backend/model/route
--- choices that every run row records. Functions read the environment when called; a cx process
--- never changes its own environment, so this equals the reference's per-process snapshot.
--- `state` arguments are the decoded state.json document (or nil); see cx.state. Inside a task
--- attempt the variables are the attempt's (cx.context), not the shared process environment.
local context = require "cx.context"

local config = {}

local getenv = context.getenv

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

--- The trimmed value of an env var, or nil when unset or blank.
function config.env_text(name)
  local v = getenv(name)
  if v == nil then return nil end
  v = trim(v)
  if v == "" then return nil end
  return v
end

--- An unsigned integer, or nil. Accepts an optional leading '+', as the reference's parser does;
--- no spaces, signs or fractions otherwise. max bounds the value (default 2^63-1).
function config.parse_uint(text, max)
  if type(text) ~= "string" then return nil end
  local digits = text:match("^%+?(%d+)$")
  if not digits then return nil end
  digits = digits:gsub("^0+(%d)", "%1")
  if #digits > 19 then return nil end
  local n = math.tointeger(tonumber(digits))
  if not n or n < 0 then return nil end -- 19 digits may still overflow into a float or wrap
  if max and n > max then return nil end
  return n
end

--- An "unsigned byte" boolean (CXLOG_ENABLED, CX_SCHEMA_RELAXED, CXFIX_RUN, ...): a value that
--- parses as 0..255 is true only when it is 1; anything else (unset, `true`, `yes`, junk) means
--- the default.
function config.u8_bool(name, default)
  local n = config.parse_uint(getenv(name), 255)
  if n == nil then return default end
  return n == 1
end

--- A prompt-filter style flag: 1/true/yes/on (any case, trimmed) is true, any other set value is
--- false, unset is the default.
function config.flag(name, default)
  local v = getenv(name)
  if v == nil then return default end
  v = trim(v):lower()
  return v == "1" or v == "true" or v == "yes" or v == "on"
end

--- An unsigned integer env var, or default when unset or not a number.
function config.uint(name, default)
  local n = config.parse_uint(getenv(name))
  if n == nil then return default end
  return n
end

config.DEFAULT_TIMEOUT_SECS = 120

-- Timeout classes, checked in order: the label's words select a class whose env var applies when
-- valid. Labels naming an HTTP provider are LLM work too (a deviation: the reference let them fall
-- through to CX_CMD_TIMEOUT_SECS; see docs/compat.md).
local TIMEOUT_CLASSES = {
  { class = "LLM", var = "CX_TIMEOUT_LLM_SECS", words = { "codex", "ollama", "http provider" } },
  { class = "GIT", var = "CX_TIMEOUT_GIT_SECS", words = { "git" } },
  { class = "SHELL", var = "CX_TIMEOUT_SHELL_SECS", words = { "bash", "pbcopy", "shell" } },
}

local function timeout_env(var)
  local n = config.parse_uint(getenv(var))
  if n == nil then return nil end
  return math.max(n, 1)
end

--- The timeout in seconds for a child labelled `label`, and the class that chose it ("LLM",
--- "GIT", "SHELL" or "CMD"). Valid values are clamped to at least 1.
function config.timeout_for(label)
  local l = tostring(label or ""):lower()
  for _, c in ipairs(TIMEOUT_CLASSES) do
    for _, w in ipairs(c.words) do
      if l:find(w, 1, true) then
        local secs = timeout_env(c.var)
        if secs then return secs, c.class end
        break
      end
    end
  end
  return timeout_env("CX_CMD_TIMEOUT_SECS") or config.DEFAULT_TIMEOUT_SECS, "CMD"
end

--- The timeout of one LLM attempt, whatever the adapter (codex, ollama, HTTP or mock):
--- CX_TIMEOUT_LLM_SECS, else CX_CMD_TIMEOUT_SECS, else 120 s.
function config.llm_timeout_secs()
  return timeout_env("CX_TIMEOUT_LLM_SECS") or timeout_env("CX_CMD_TIMEOUT_SECS") or config.DEFAULT_TIMEOUT_SECS
end

local function pref(state, key)
  local prefs = type(state) == "table" and state.preferences
  local v = type(prefs) == "table" and prefs[key] or nil
  if type(v) ~= "string" then return nil end
  v = trim(v)
  if v == "" then return nil end
  return v
end

--- "codex" or "ollama": CX_LLM_BACKEND, else state preferences.llm_backend, else codex; any value
--- other than ollama (any case) means codex.
function config.backend(state)
  return config.normalize_backend(config.env_text("CX_LLM_BACKEND") or pref(state, "llm_backend"))
end

--- A raw backend value as the reference normalizes it: "ollama" (any case, trimmed) or else "codex".
function config.normalize_backend(raw)
  if type(raw) == "string" and trim(raw):lower() == "ollama" then return "ollama" end
  return "codex"
end

--- The configured Ollama model: CX_OLLAMA_MODEL, else state preferences.ollama_model, else "".
function config.ollama_model(state)
  return config.env_text("CX_OLLAMA_MODEL") or pref(state, "ollama_model") or ""
end

--- The model for the backend: CX_MODEL (raw) for codex, the Ollama model for ollama; "" if none.
function config.model(state, backend)
  backend = backend or config.backend(state)
  if backend == "ollama" then return config.ollama_model(state) end
  return getenv("CX_MODEL") or ""
end

local ROUTE_POLICIES = { latency = true, quality = true, cost = true, balanced = true, quota_saver = true }

--- The broker policy: CX_BROKER_POLICY, else state preferences.broker_policy; unknown -> balanced.
function config.route_policy(state)
  local p = config.env_text("CX_BROKER_POLICY") or pref(state, "broker_policy") or "balanced"
  p = p:lower()
  if ROUTE_POLICIES[p] then return p end
  return "balanced"
end

--- Why the backend was chosen (depends on the backend only, not on the adapter).
function config.route_reason(state, backend)
  backend = backend or config.backend(state)
  if backend == "ollama" then
    if config.ollama_model(state) == "" then return "ollama_selected_model_unset" end
    return "ollama_selected"
  end
  return "codex_selected"
end

--- CX_MODE as given, default "lean". A blank value also means lean (the reference logged "" and
--- then refused to write every row; see docs/compat.md).
function config.execution_mode()
  local m = getenv("CX_MODE")
  if m == nil or trim(m) == "" then return "lean" end
  return m
end

return config
