--- The provider quota probe and the quota guard (reference commands.md §7.2, §7.5): which tier and
--- total apply to the current backend (environment, then state.json, then the quota catalog), how
--- many tokens the window used, what remains, and the guard's verdict on it.
local json = require "cx.json"
local config = require "cx.config"
local state = require "cx.state"
local stats = require "cx.diag.stats"
local catalog = require "cx.quota.catalog"
local usage = require "cx.quota.usage"

local probe = {}

local function trimmed_lower(v)
  if type(v) ~= "string" then return nil end
  v = v:match("^%s*(.-)%s*$"):lower()
  if v == "" then return nil end
  return v
end

--- The quota tier of a backend.
function probe.tier(backend)
  return trimmed_lower(os.getenv("CX_QUOTA_" .. backend:upper() .. "_TIER"))
    or trimmed_lower(os.getenv("CX_QUOTA_TIER"))
    or trimmed_lower(state.get("preferences.quota_tier." .. backend))
    or trimmed_lower(state.get("preferences.quota_tier.default"))
    or "free"
end

local function env_total(name)
  local v = os.getenv(name)
  return v and config.parse_uint(v:match("^%s*(.-)%s*$")) or nil
end

local function state_total(key)
  local v = state.get(key)
  if math.type(v) == "integer" and v >= 0 then return v end
  return nil
end

-- The configured total, its source and limit type; or the catalog's entry; or unknown.
local function total_of(backend, tier, cat)
  local var = "CX_QUOTA_" .. backend:upper() .. "_TOTAL_TOKENS"
  for _, name in ipairs({ var, "CX_QUOTA_TOTAL_TOKENS" }) do
    local n = env_total(name)
    if n then return { total = n, source = "env:" .. name, limit_type = "hard" } end
  end
  local keys = { "preferences.quota." .. backend .. "_total_tokens", "preferences.quota.default_total_tokens" }
  for _, key in ipairs(keys) do
    local n = state_total(key)
    if n then return { total = n, source = "state:" .. key, limit_type = "hard" } end
  end
  local entries = type(cat) == "table" and cat.entries or {}
  local hit
  for _, e in ipairs(entries) do
    if e.backend == backend and e.tier == tier then hit = e break end
  end
  if not hit then
    for _, e in ipairs(entries) do
      if e.tier == "default" then hit = e break end
    end
  end
  if hit then
    local total = math.type(hit.quota_total_tokens) == "integer" and hit.quota_total_tokens or nil
    return { total = total, source = "catalog:" .. backend .. ":" .. hit.tier,
      limit_type = type(hit.limit_type) == "string" and hit.limit_type or "dynamic",
      source_url = type(hit.source_url) == "string" and hit.source_url or nil }
  end
  return { source = "unknown", limit_type = "unknown" }
end

--- The probe for the current backend over windowed rows. opts: days, log_file, catalog_file, now.
--- Returns the report (the reference's JSON keys) and a warning (auto-refresh failure) or nil.
function probe.run(windowed, opts)
  local doc = state.load()
  local backend = config.backend(type(doc) == "table" and doc or nil)
  local model = config.model(type(doc) == "table" and doc or nil, backend)
  local tier = probe.tier(backend)
  local warning
  local r = {
    backend = backend, model = model ~= "" and model or json.null, quota_tier = tier,
    window_days = opts.days, log_file = opts.log_file,
    quota_used_tokens_window = usage.used_by(windowed, backend),
    quota_total_tokens = json.null, quota_remaining_tokens = json.null, quota_remaining_pct = json.null,
    quota_source_url = json.null,
  }
  if backend == "ollama" then
    r.service_kind, r.quota_source, r.quota_limit_type = "local_unmetered", "service:local_unmetered", "unmetered"
    return r
  end
  r.service_kind = "remote_metered"
  local total = total_of(backend, tier, nil)
  if total.source == "unknown" then
    local cat
    cat, warning = catalog.current(opts.catalog_file, opts.now)
    total = total_of(backend, tier, cat)
  end
  r.quota_source, r.quota_limit_type = total.source, total.limit_type
  r.quota_source_url = total.source_url or json.null
  if total.total then
    r.quota_total_tokens = total.total
    r.quota_remaining_tokens = math.max(total.total - r.quota_used_tokens_window, 0)
    if total.total > 0 then r.quota_remaining_pct = r.quota_remaining_tokens / total.total end
  end
  return r, warning
end

--- One line for `llm use|set-backend|set-model` (stderr).
function probe.notice(r)
  if not r then return "quota_probe: unavailable" end
  if r.service_kind == "local_unmetered" then
    return string.format("quota_probe: backend=%s service_kind=local_unmetered (provider quota unavailable for "
      .. "local model)", r.backend)
  end
  if r.quota_remaining_pct ~= json.null then
    return string.format("quota_probe: backend=%s remaining=%d%% source=%s", r.backend,
      stats.pct(r.quota_remaining_pct), r.quota_source)
  end
  return string.format("quota_probe: backend=%s remaining=unknown source=%s (set quota total or refresh catalog)",
    r.backend, r.quota_source)
end

-- guard -------------------------------------------------------------------------------------------

probe.AUTO_ACTIONS = { none = true, quota_saver = true }

local function clamp01(v, default)
  if type(v) ~= "number" then return default end
  return math.min(math.max(v, 0.0), 1.0)
end

--- The guard configuration from state.json: { enabled, warn_pct, critical_pct, auto_action }.
function probe.guard_config()
  local g = state.get("preferences.quota_guard")
  if type(g) ~= "table" then g = {} end
  local crit = clamp01(g.critical_pct, 0.10)
  local warn = math.max(clamp01(g.warn_pct, 0.25), crit)
  local action = probe.AUTO_ACTIONS[g.auto_action] and g.auto_action or "none"
  return { enabled = g.enabled == true, warn_pct = warn + 0.0, critical_pct = crit + 0.0, auto_action = action }
end

probe.OPTIONS = {
  { id = "continue", description = "Continue with current settings." },
  { id = "quota_saver", description = "Set broker policy to quota_saver.",
    command = "cx broker set --policy quota_saver" },
  { id = "lean_mode", description = "Run sensitive tasks with lean mode.", command = "CX_MODE=lean cx <command>" },
  { id = "tight_budgets", description = "Lower context budgets for next run.",
    command = "CX_CONTEXT_BUDGET_CHARS=8000 CX_CONTEXT_BUDGET_LINES=200 cx <command>" },
  { id = "strict_gate", description = "Fail fast when warning/critical remains.",
    command = "cx quota guard check 30 --strict" },
}

--- The guard's verdict on a probe: status, reason.
function probe.verdict(g, r)
  if not g.enabled then return "disabled", "quota guard disabled" end
  if r.service_kind == "local_unmetered" then return "unmetered", "local provider reports unmetered service" end
  local rem = r.quota_remaining_pct
  if rem == json.null or rem == nil then
    return "unknown", "cannot compute remaining quota (source=" .. r.quota_source .. ")"
  end
  if rem <= g.critical_pct then
    return "critical", string.format("remaining quota %d%% is below/equal critical threshold %d%%", stats.pct(rem),
      stats.pct(g.critical_pct))
  end
  if rem <= g.warn_pct then
    return "warning", string.format("remaining quota %d%% is below/equal warning threshold %d%%", stats.pct(rem),
      stats.pct(g.warn_pct))
  end
  return "ok", "quota healthy"
end

return probe
