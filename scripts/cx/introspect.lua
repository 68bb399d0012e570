--- Facts about this cx and its configuration, for `version`, `core`, `where` and `capture-status`:
--- where cx runs from, its version (with the commit of cx's own checkout), how it was started, and
--- the pipeline settings (adapter, capture, budgets). Pure reads: nothing here starts a process or
--- creates a file (the reference could build the adapter, and with it an interactive model picker).
local core = require "cx.core"
local json = require "cx.json"
local config = require "cx.config"
local execute = require "cx.execute"
local git_head = require "cx.git_head"
local paths = require "cx.paths"
local state = require "cx.state"

local introspect = {}

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

local function read_trimmed(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read(4096)
  f:close()
  if not text then return nil end
  text = trim(text)
  if text == "" then return nil end
  return text
end

--- The directory holding cx's Lua scripts (`scripts/` in a checkout, the rock's tree once
--- installed), or nil when cx.cli was not loaded from a file.
function introspect.scripts_dir()
  local file = package.searchpath("cx.cli", package.path)
  if not file then return nil end
  local real = core.fs.realpath(file) or file
  return dirname(dirname(real))
end

--- The directory above the scripts (a checkout's root, where its .git and VERSION live), or nil.
function introspect.install_root()
  local s = introspect.scripts_dir()
  return s and dirname(s) or nil
end

--- How this process was started: $CX_EXECUTION_PATH, else "native" (the cx host binary) or "lua" (the
--- rock's launcher or `require "cx"` from a stock Lua).
function introspect.execution_path()
  local v = os.getenv("CX_EXECUTION_PATH")
  if v and v ~= "" then return v end
  return package.preload["cx.core"] and "native" or "lua"
end

--- The running program: the host binary, or the Lua interpreter for the launcher.
function introspect.exe_path()
  return core.fs.realpath("/proc/self/exe")
end

--- The root the version describes: $CX_REPO_ROOT when that directory exists (the install a wrapper
--- names), else cx's own checkout. Never the user's repository.
local function version_root()
  local env = os.getenv("CX_REPO_ROOT")
  if env and env ~= "" and core.fs.is_dir(env) then return env, true end
  return introspect.install_root(), false
end

--- The argv that starts this cx again: the host binary, or the Lua interpreter and the launcher
--- script; nil when neither is known.
function introspect.self_argv()
  local exe = introspect.exe_path()
  if not exe then return nil end
  if package.preload["cx.core"] then return { exe } end
  local script = rawget(_G, "arg") and _G.arg[0]
  if script then return { exe, core.fs.realpath(script) or script } end
  return nil
end

--- cx's version: the built version (or the VERSION file of $CX_REPO_ROOT), plus `+<short commit>`
--- when that root is a git checkout.
function introspect.version()
  local root, from_env = version_root()
  local base = core.version
  if root and from_env then base = read_trimmed(root .. "/VERSION") or base end
  local sha = root and git_head.short(root)
  if sha then return base .. "+" .. sha end
  return base
end

--- The repository `where` and `parity` describe: $CX_REPO_ROOT if it exists, else the enclosing git
--- repository, else ".".
function introspect.repo_root()
  local env = os.getenv("CX_REPO_ROOT")
  if env and env ~= "" and core.fs.is_dir(env) then return env end
  local p = paths.resolve()
  return p and p.root or "."
end

local function layout()
  local p = paths.resolve()
  local function pick(key)
    return p and p[key] or "<unresolved>"
  end
  return { log_file = pick("log_file"), state_file = pick("state_file"), quarantine_dir = pick("quarantine_dir"),
    cwd = core.fs.getcwd() or "<unknown>" }
end

local function shown(v)
  if v == nil or v == "" then return "<unset>" end
  return v
end

local function env_raw(name, default)
  local v = os.getenv(name)
  if v == nil then return default end
  return v
end

-- A state.json value as `version` prints it: strings raw, other JSON compact, n/a when the file or the
-- key is absent (the file is never created, and a broken one reads as absent).
local function state_value(state_file, dotted)
  if state_file == "<unresolved>" or not core.fs.exists(state_file) then return "n/a" end
  local doc = state.load(state_file)
  if type(doc) ~= "table" then return "n/a" end
  local v = doc
  for key in dotted:gmatch("[^.]+") do
    if type(v) ~= "table" or json.is_array(v) then return "n/a" end
    v = v[key]
  end
  if v == nil then return "n/a" end
  if type(v) == "string" then return v end
  return json.encode(v)
end

--- The pipeline settings every introspection command shows.
function introspect.pipeline()
  local d, state_error = execute.descriptor()
  local budget_chars = config.uint("CX_CONTEXT_BUDGET_CHARS") or 12000
  local budget_lines = config.uint("CX_CONTEXT_BUDGET_LINES") or 300
  return {
    descriptor = d,
    state_error = state_error, -- a broken state.json: the values below are the defaults
    backend = d.backend,
    model = d.model,
    mode = config.execution_mode(),
    budget_chars = budget_chars,
    budget_lines = budget_lines,
    cmd_timeout_secs = math.max(1, config.uint("CX_CMD_TIMEOUT_SECS") or config.DEFAULT_TIMEOUT_SECS),
    clip_mode = env_raw("CX_CONTEXT_CLIP_MODE", "smart"),
    clip_footer = config.u8_bool("CX_CONTEXT_CLIP_FOOTER", true),
    schema_relaxed = config.u8_bool("CX_SCHEMA_RELAXED", false),
    capture_prefer_native = trim(env_raw("CX_CAPTURE_PREFER_NATIVE", "")) ~= "0",
    logging_enabled = config.u8_bool("CXLOG_ENABLED", true),
  }
end

-- Lists of facts joined in order.
local function join(...)
  local out = {}
  for _, list in ipairs({ ... }) do
    for _, f in ipairs(list) do out[#out + 1] = f end
  end
  return out
end

-- The adapter lines `version` and `core` share (http_provider_format only for an HTTP adapter).
local function adapter_facts(d)
  local out = { { "provider_adapter", d.name }, { "provider_transport", d.transport }, { "provider_status", d.status } }
  if d.transport == "http" then out[#out + 1] = { "http_provider_format", d.http.format } end
  out[#out + 1] = { "provider_jsonl_native", tostring(d.capabilities.jsonl_native) }
  out[#out + 1] = { "provider_schema_strict", tostring(d.capabilities.schema_strict) }
  return out
end

--- The `version` facts as an ordered list of {key, value} (values are strings).
function introspect.version_facts()
  local l = layout()
  local p = introspect.pipeline()
  return join({
    { "name", "cx" },
    { "version", introspect.version() },
    { "cwd", l.cwd },
    { "execution_path", introspect.execution_path() },
    { "source", env_raw("CX_SOURCE_LOCATION", "standalone:cx") },
    { "log_file", l.log_file },
    { "state_file", l.state_file },
    { "quarantine_dir", l.quarantine_dir },
    { "mode", env_raw("CX_MODE", "lean") },
    { "llm_backend", p.backend },
    p.state_error and { "state_error", p.state_error .. " (defaults shown)" } or nil,
  }, adapter_facts(p.descriptor), {
    { "llm_model", shown(p.model) },
    { "backend_resolution", string.format("backend=%s model=%s", p.backend, shown(p.model)) },
    { "schema_relaxed", p.schema_relaxed and "1" or "0" },
    { "capture_provider", "native" },
    { "native_reduce", env_raw("CX_NATIVE_REDUCE", "1") },
    { "capture_prefer_native", env_raw("CX_CAPTURE_PREFER_NATIVE", "1") },
    { "capture_external_dependencies", "none" },
    { "budget_chars", tostring(p.budget_chars) },
    { "budget_lines", tostring(p.budget_lines) },
    { "cmd_timeout_secs", tostring(p.cmd_timeout_secs) },
    { "clip_mode", p.clip_mode },
    { "state.preferences.conventional_commits", state_value(l.state_file, "preferences.conventional_commits") },
    { "state.preferences.pr_summary_format", state_value(l.state_file, "preferences.pr_summary_format") },
    -- build facts (cx additions)
    { "adapter_id", p.descriptor.id },
    { "lua", _VERSION },
    { "scripts_dir", introspect.scripts_dir() or "<unknown>" },
  })
end

--- The `core` facts, ordered.
function introspect.core_facts()
  local l = layout()
  local p = introspect.pipeline()
  local exec = introspect.execution_path()
  return join({
    { "version", introspect.version() },
    { "execution_path", exec },
    { "bash_fallback_used", tostring(exec:find("bash", 1, true) ~= nil) },
    { "backend", p.backend },
    p.state_error and { "state_error", p.state_error .. " (defaults shown)" } or nil,
  }, adapter_facts(p.descriptor), {
    { "active_model", shown(p.model) },
    { "execution_mode", p.mode },
    { "capture_provider", "native" },
    { "capture_prefer_native", tostring(p.capture_prefer_native) },
    { "capture_external_dependencies", "none" },
    { "budget_chars", tostring(p.budget_chars) },
    { "budget_lines", tostring(p.budget_lines) },
    { "cmd_timeout_secs", tostring(p.cmd_timeout_secs) },
    { "clip_mode", p.clip_mode },
    { "clip_footer", tostring(p.clip_footer) },
    { "schema_enforcement", "true" },
    { "logging_enabled", tostring(p.logging_enabled) },
    { "log_file", l.log_file },
  })
end

--- The `capture-status` facts, ordered.
function introspect.capture_facts()
  return {
    { "capture_provider", "native" },
    { "capture_provider_config", env_raw("CX_CAPTURE_PROVIDER", "native") },
    { "native_reduce", env_raw("CX_NATIVE_REDUCE", "1") },
    { "capture_prefer_native", env_raw("CX_CAPTURE_PREFER_NATIVE", "1") },
    { "external_capture_dependencies", "none" },
  }
end

--- Render facts as `key: value` lines.
function introspect.lines(facts)
  local out = {}
  for _, f in ipairs(facts) do out[#out + 1] = f[1] .. ": " .. f[2] end
  return table.concat(out, "\n") .. "\n"
end

--- Facts as one JSON object (keys as printed).
function introspect.object(facts)
  local o = {}
  for _, f in ipairs(facts) do o[f[1]] = f[2] end
  return o
end

return introspect
