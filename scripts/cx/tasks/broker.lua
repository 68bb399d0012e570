--- The broker (reference scheduler.md §3.7, §5): the routing policy, which logical backends
--- (codex, ollama) are available, and the backend a task gets from a pool. No shell: a backend is
--- available when its CLI resolves on PATH (CX_CODEX_BIN / CX_OLLAMA_BIN honoured) and it is not
--- disabled by CX_DISABLE_CODEX / CX_DISABLE_OLLAMA (1 or true, any case). When
--- CX_PROVIDER_ADAPTER pins an in-process adapter (mock, http, http-stub) every backend is
--- available, since no CLI runs; when it pins a CLI adapter, that CLI decides for every backend.
local config = require "cx.config"
local adapter_select = require "cx.adapters.select"
local binaries = require "cx.adapters.binaries"
local probe = require "cx.adapters.probe"

local broker = {}

broker.BACKENDS = { "codex", "ollama" }
broker.POLICIES = { "latency", "quality", "cost", "balanced", "quota_saver" }

local is_policy = {}
for _, p in ipairs(broker.POLICIES) do is_policy[p] = true end

--- A policy name as `broker set` accepts it (trimmed, lowercased), or nil.
function broker.parse_policy(raw)
  local p = tostring(raw or ""):match("^%s*(.-)%s*$"):lower()
  if is_policy[p] then return p end
  return nil
end

--- The active policy: CX_BROKER_POLICY, else state preferences.broker_policy, else balanced.
function broker.policy(state)
  return config.route_policy(state)
end

local DISABLE_VARS = { codex = "CX_DISABLE_CODEX", ollama = "CX_DISABLE_OLLAMA" }

local function disabled(name, getenv)
  local var = DISABLE_VARS[name]
  local v = var and getenv(var)
  if type(v) ~= "string" then return false end
  v = v:match("^%s*(.-)%s*$"):lower()
  return v == "1" or v == "true", var
end

local IN_PROCESS = { mock = true, ["http-curl"] = true, ["http-stub"] = true }
local CLI_OF = { ["codex-cli"] = "codex", ["ollama-cli"] = "ollama" }

--- Is the logical backend available? Returns ok, and a detail saying why (a path, or what is
--- missing). getenv defaults to os.getenv.
function broker.available(name, getenv)
  getenv = getenv or os.getenv
  local off, var = disabled(name, getenv)
  if off then return false, "disabled by " .. var end
  local d = adapter_select.resolve(getenv, {})
  if d.source == "env:CX_PROVIDER_ADAPTER" then
    if IN_PROCESS[d.name] then return true, "CX_PROVIDER_ADAPTER=" .. d.name .. " (no CLI needed)" end
    name = CLI_OF[d.name] or name
  end
  local bin = binaries.program(name)
  local path = probe.which(bin)
  if path then return true, path end
  return false, bin .. " not found on PATH"
end

--- {codex = bool, ollama = bool}, and the details per backend.
function broker.availability(getenv)
  local avail, detail = {}, {}
  for _, b in ipairs(broker.BACKENDS) do
    avail[b], detail[b] = broker.available(b, getenv)
  end
  return avail, detail
end

--- The backend for the task at schedule position idx (0-based) from pool (codex before ollama):
--- the task's own backend when it is in the pool, the only one, or by policy (quality -> codex;
--- latency, cost, quota_saver -> ollama; balanced -> round robin over positions). nil for an
--- empty pool.
function broker.choose(task_backend, pool, idx, policy)
  if #pool == 0 then return nil end
  local in_pool = {}
  for _, b in ipairs(pool) do in_pool[b] = true end
  local own = type(task_backend) == "string" and task_backend:match("^%s*(.-)%s*$"):lower()
  if own and in_pool[own] then return own end
  if #pool == 1 then return pool[1] end
  if policy == "quality" and in_pool.codex then return "codex" end
  if (policy == "latency" or policy == "cost" or policy == "quota_saver") and in_pool.ollama then
    return "ollama"
  end
  if policy == "quota_saver" and in_pool.codex then return "codex" end
  return pool[(idx % #pool) + 1]
end

--- The selected backend if it is available, else the first available one (pool order), else nil.
function broker.fallback(selected, available_list)
  for _, b in ipairs(available_list) do
    if b == selected then return b end
  end
  return available_list[1]
end

return broker
