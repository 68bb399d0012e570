--- `cx llm show|use|unset|set-backend|set-model|clear-model`: the persistent backend and model
--- preferences in .codex/state.json, and what adapter they select.
local json = require "cx.json"
local execute = require "cx.execute"
local identity = require "cx.adapters.identity"
local printable = require "cx.printable"
local state = require "cx.state"
local paths = require "cx.paths"
local runlog = require "cx.runlog"
local quota_probe_mod = require "cx.quota.probe"
local quota_usage = require "cx.quota.usage"

local M = { summary = "show or set the LLM backend and model (state.json preferences)" }

local USAGE = "Usage: cx llm <show [--json]|use <codex|ollama> [model]|unset <backend|model|all>|"
  .. "set-backend <codex|ollama>|set-model <model>|clear-model>"

local HELP = USAGE .. [[


  show            the backend, the active model and the adapter they select (--json: one object)
  use B [MODEL]   set the backend (and, for ollama, the model)
  unset WHAT      clear the backend, the model, or both (all, the default)
  set-backend B   set the backend only
  set-model M     set the ollama model
  clear-model     clear the ollama model
Environment variables (CX_PROVIDER_ADAPTER, CX_LLM_BACKEND, CX_OLLAMA_MODEL, ...) win over these.
]]

local function usage(msg)
  io.stderr:write("cx llm: ", printable.line(msg), "\n", USAGE, "\n")
  return 2
end

local function shown(v)
  if v == nil or v == json.null or v == "" then return "<unset>" end
  return v
end

-- The quota probe over the last 30 days (cx quota probe), as one notice on stderr.
local function quota_probe()
  state.reset()
  local r
  local p = paths.resolve()
  local rows = p and runlog.read_window(quota_usage.MAX_ROWS, p.log_file)
  if rows then
    r = quota_probe_mod.run(quota_usage.in_window(rows, 30),
      { days = 30, log_file = p.log_file, catalog_file = p.base .. "/quota_catalog.json" })
  end
  io.stderr:write(quota_probe_mod.notice(r), "\n")
end

local function set(path, value)
  local ok, err = state.set(path, value)
  if not ok then
    io.stderr:write("cx llm: ", tostring(err), "\n")
    return false
  end
  return true
end

local function show(as_json)
  local d, err = execute.descriptor()
  if err then
    io.stderr:write("cx llm show: ", err, "\n")
    return 1
  end
  local pref_model = state.get("preferences.ollama_model")
  if as_json then
    io.stdout:write(json.pretty({
      llm_backend = d.backend, active_model = d.model or json.null,
      ollama_model = (pref_model ~= json.null and pref_model) or json.null,
      adapter = d.name, adapter_id = d.id, transport = d.transport, status = d.status,
      capabilities = d.capabilities, selected_by = d.source, config = identity.canonical(d),
      warnings = json.array(d.warnings),
    }), "\n")
    return 0
  end
  io.stdout:write("llm_backend: ", d.backend, "\n", "active_model: ", shown(d.model), "\n",
    "ollama_model: ", shown(pref_model), "\n", "adapter: ", d.name, " (", d.transport, ", ", d.status, ")\n",
    "adapter_id: ", d.id, "\n")
  return 0
end

local function backend_arg(b)
  b = b and b:lower()
  if b == "codex" or b == "ollama" then return b end
  return nil
end

function M.run(argv)
  local sub = argv[1] or "show"
  if sub == "--help" or sub == "-h" or sub == "help" then
    io.stdout:write(HELP)
    return 0
  end
  if sub == "show" then
    if argv[2] and argv[2] ~= "--json" then return usage("unknown argument '" .. argv[2] .. "'") end
    return show(argv[2] == "--json")
  elseif sub == "use" then
    local b = backend_arg(argv[2])
    if not b then return usage("use needs codex or ollama, got '" .. tostring(argv[2]) .. "'") end
    if not set("preferences.llm_backend", b) then return 1 end
    io.stdout:write("ok\nllm_backend: ", b, "\n")
    if b == "ollama" and argv[3] and argv[3]:match("%S") then
      if not set("preferences.ollama_model", argv[3]:match("^%s*(.-)%s*$")) then return 1 end
      io.stdout:write("ollama_model: ", argv[3]:match("^%s*(.-)%s*$"), "\n")
    end
    quota_probe()
    return 0
  elseif sub == "unset" then
    local what = argv[2] or "all"
    if what ~= "backend" and what ~= "model" and what ~= "all" then
      return usage("unset needs backend, model or all, got '" .. what .. "'")
    end
    io.stdout:write("ok\n")
    if what ~= "model" then
      if not set("preferences.llm_backend", json.null) then return 1 end
      io.stdout:write("llm_backend: <unset>\n")
    end
    if what ~= "backend" then
      if not set("preferences.ollama_model", json.null) then return 1 end
      io.stdout:write("ollama_model: <unset>\n")
    end
    return 0
  elseif sub == "set-backend" then
    local b = backend_arg(argv[2])
    if not b then return usage("set-backend needs codex or ollama, got '" .. tostring(argv[2]) .. "'") end
    if not set("preferences.llm_backend", b) then return 1 end
    io.stdout:write("ok\nllm_backend: ", b, "\n")
    quota_probe()
    return 0
  elseif sub == "set-model" then
    local m = argv[2] and argv[2]:match("^%s*(.-)%s*$")
    if not m or m == "" then return usage("set-model needs a model name") end
    if not set("preferences.ollama_model", m) then return 1 end
    io.stdout:write("ok\nollama_model: ", m, "\n")
    quota_probe()
    return 0
  elseif sub == "clear-model" then
    if not set("preferences.ollama_model", json.null) then return 1 end
    io.stdout:write("ok\nollama_model: <unset>\n")
    return 0
  end
  return usage("unknown subcommand '" .. sub .. "'")
end

return M
