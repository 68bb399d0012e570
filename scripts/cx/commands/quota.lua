--- `cx quota ...` (`cxquota`): token burn over the last days, the provider quota probe, the quota
--- catalog, configured totals and the quota guard (a CI gate with --strict). Nothing reaches the
--- network: the inputs are the run log, the environment, state.json and quota_catalog.json.
local args = require "cx.args"
local json = require "cx.json"
local paths = require "cx.paths"
local registry = require "cx.registry"
local runlog = require "cx.runlog"
local state = require "cx.state"
local stats = require "cx.diag.stats"
local catalog = require "cx.quota.catalog"
local probe = require "cx.quota.probe"
local usage = require "cx.quota.usage"

local M = { summary = "token burn, provider quota probe, catalog, totals and guard (no network)" }

local U = {
  quota = "Usage: cx quota [probe] [days] [--json] [--log PATH] | cx quota catalog <show|refresh [--if-stale "
    .. "--max-age-hours N] [--from FILE] [--json]|auto <show|on|off>> | cx quota set|unset|guard ...",
  catalog = "Usage: cx quota catalog <show|refresh [--if-stale --max-age-hours N] [--from FILE] [--json]|auto "
    .. "<show|on|off>>",
  auto = "Usage: cx quota catalog auto <show|on [--interval-hours N]|off>",
  set = "Usage: cx quota set <backend|default> <total_tokens>",
  unset = "Usage: cx quota unset <backend|default|all>",
  guard = "Usage: cx quota guard <show|on [--warn-pct N --critical-pct N --auto-action none|quota_saver]|off|"
    .. "check [days] [--json] [--apply] [--strict] [--log PATH]>",
  check = "Usage: cx quota guard check [days] [--json] [--apply] [--strict] [--log PATH]",
}

local HELP = [==[
Usage: cx quota [probe] [days] [--json] [--log PATH]
       cx quota catalog [show [--json] | refresh [--if-stale] [--max-age-hours N] [--from FILE] [--json]
                         | auto [show | on [--interval-hours N] | off]]
       cx quota set <codex|ollama|default> <total_tokens>
       cx quota unset <codex|ollama|default|all>
       cx quota guard [show | on [--warn-pct P] [--critical-pct P] [--auto-action none|quota_saver] | off
                       | check [days] [--json] [--apply] [--strict] [--log PATH]]

  (no subcommand)  effective-token burn over the last <days> (default 30): daily burn, projection,
                   cache hit rate, top commands
  probe            the current backend's quota tier, total (CX_QUOTA_<BACKEND>_TOTAL_TOKENS,
                   CX_QUOTA_TOTAL_TOKENS, `quota set`, else the catalog), used and remaining tokens
  catalog          provider-published quota statements (.codex/quota_catalog.json); `refresh` writes
                   the catalog cx ships, or imports a local file with --from (never the network)
  guard check      ok / warning / critical against the guard's thresholds; --strict exits 1 on
                   warning or critical; --apply sets preferences.broker_policy=quota_saver when the
                   guard's auto-action says so
Exit codes: 0 ok, 1 failure (or a warning/critical guard under --strict), 2 usage error.
]==]

local function out(...)
  io.stdout:write(...)
end

local function usage_error(where, msg, usage_key)
  io.stderr:write("cx ", where, ": ", msg, "\n", U[usage_key], "\n")
  return 2
end

local function fail(where, msg)
  io.stderr:write("cx ", where, ": ", msg, "\n")
  return 1
end

local function layout()
  local p, err = paths.resolve()
  if not p then return nil, err end
  return { log_file = p.log_file, catalog_file = p.base .. "/quota_catalog.json" }
end

local function pct_text(v, none)
  if v == nil or v == json.null then return none end
  return stats.pct(v) .. "%"
end

local function num_text(v)
  if v == nil or v == json.null then return "unknown" end
  return tostring(v)
end

-- days, --json, --log and the words a subcommand allows. Returns opts or nil, exit code.
local function parse_window(argv, where, usage_key, words)
  local o, i = { days = 30, json = false, words = {} }, 1
  while i <= #argv do
    local a = argv[i]
    if a == "--json" then
      o.json = true
    elseif a == "--log" then
      if not argv[i + 1] then return nil, usage_error(where, "--log needs a PATH", usage_key) end
      o.log, i = argv[i + 1], i + 1
    elseif words[a] then
      o.words[words[a]] = true
    elseif a:match("^%d+$") then
      local n = math.tointeger(tonumber(a))
      if not n or n < 1 then return nil, usage_error(where, "days must be >= 1", usage_key) end
      o.days = n
    else
      return nil, usage_error(where, "invalid argument '" .. a .. "'", usage_key)
    end
    i = i + 1
  end
  return o
end

-- The rows of the window, or nil, exit code.
local function windowed(where, o, l)
  local file = o.log or l.log_file
  local rows, info = runlog.read_window(usage.MAX_ROWS, file)
  if not rows then return nil, fail(where, "cannot open " .. file .. ": " .. tostring(info)) end
  return usage.in_window(rows, o.days), file
end

local function probe_lines(r)
  return {
    "backend: " .. r.backend,
    "model: " .. (r.model ~= json.null and r.model or "<unset>"),
    "service_kind: " .. r.service_kind,
    "quota_tier: " .. r.quota_tier,
    "quota_limit_type: " .. r.quota_limit_type,
    "quota_source: " .. r.quota_source,
    "quota_source_url: " .. (r.quota_source_url ~= json.null and r.quota_source_url or "n/a"),
    "quota_total_tokens: " .. num_text(r.quota_total_tokens),
    "quota_used_tokens_window: " .. r.quota_used_tokens_window,
    "quota_remaining_tokens: " .. num_text(r.quota_remaining_tokens),
    "quota_remaining_pct: " .. pct_text(r.quota_remaining_pct, "unknown"),
  }
end

local function run_probe(r, o)
  if o.json then
    out(json.pretty(r), "\n")
    return 0
  end
  local L = { string.format("== cx quota probe (last %d days) ==", o.days) }
  for _, line in ipairs(probe_lines(r)) do L[#L + 1] = line end
  L[#L + 1] = "log_file: " .. r.log_file
  out(table.concat(L, "\n"), "\n")
  return 0
end

local function do_probe(where, o, l)
  local rows, file = windowed(where, o, l)
  if not rows then return nil, file end
  local r, warning = probe.run(rows, { days = o.days, log_file = file, catalog_file = l.catalog_file })
  if warning then io.stderr:write(warning, "\n") end
  return r
end

local function run_report(argv, l)
  local o, code = parse_window(argv, "quota", "quota", { probe = "probe", ["--probe"] = "probe" })
  if not o then return code end
  if o.words.probe then
    local r
    r, code = do_probe("quota", o, l)
    if not r then return code end
    return run_probe(r, o)
  end
  local rows, file = windowed("quota", o, l)
  if not rows then return file end
  local b = usage.burn(rows, o.days, file)
  if o.json then
    out(json.pretty(b), "\n")
    return 0
  end
  local L = {
    string.format("== cx quota (last %d days) ==", o.days),
    "runs: " .. b.runs,
    "effective_input_tokens: " .. b.tokens.effective_input,
    "output_tokens: " .. b.tokens.output,
    "cache_hit_rate: " .. pct_text(b.tokens.cache_hit_rate, "n/a"),
    "avg_daily_effective_tokens: " .. b.daily_effective_tokens_avg,
    "projected_monthly_effective_tokens: " .. b.monthly_effective_projection,
    "top_commands_by_avg_effective_tokens:",
  }
  for _, c in ipairs(b.top_commands) do
    L[#L + 1] = string.format("- %s: avg_effective_tokens=%d avg_duration_ms=%d runs=%d", c.command,
      c.avg_effective_tokens, c.avg_duration_ms, c.runs)
  end
  L[#L + 1] = "recommendations:"
  for _, s in ipairs(b.recommendations) do L[#L + 1] = "- " .. s end
  L[#L + 1] = "log_file: " .. file
  out(table.concat(L, "\n"), "\n")
  return 0
end

-- catalog -----------------------------------------------------------------------------------------

local function catalog_show(argv, l)
  local as_json = false
  for _, a in ipairs(argv) do
    if a == "--json" then as_json = true else return usage_error("quota catalog show", "unknown arg '" .. a .. "'",
      "catalog") end
  end
  local doc, warning = catalog.current(l.catalog_file)
  if warning then io.stderr:write(warning, "\n") end
  doc = doc or catalog.placeholder()
  if as_json then
    out(json.pretty(doc), "\n")
    return 0
  end
  local L = { "== cx quota catalog ==", "path: " .. l.catalog_file,
    "updated_at: " .. (type(doc.updated_at) == "string" and doc.updated_at or "unknown"),
    "entries: " .. #doc.entries }
  for _, e in ipairs(doc.entries) do
    L[#L + 1] = string.format("- %s:%s limit_type=%s total_tokens=%s", e.backend, e.tier, tostring(e.limit_type),
      math.type(e.quota_total_tokens) == "integer" and e.quota_total_tokens or "n/a")
  end
  out(table.concat(L, "\n"), "\n")
  return 0
end

local function positive_value(argv, i, where, flag, usage_key)
  local v = argv[i + 1]
  if v == nil then return nil, usage_error(where, flag .. " requires a value", usage_key) end
  local n = v:match("^%d+$") and math.tointeger(tonumber(v))
  if not n or n < 1 then return nil, usage_error(where, flag .. " must be >= 1", usage_key) end
  return n
end

local function catalog_refresh(argv, l)
  local where = "quota catalog refresh"
  local o, i = { max_age = catalog.DEFAULT_INTERVAL_HOURS }, 1
  while i <= #argv do
    local a = argv[i]
    if a == "--if-stale" then
      o.if_stale = true
    elseif a == "--json" then
      o.json = true
    elseif a == "--max-age-hours" then
      local n, code = positive_value(argv, i, where, a, "catalog")
      if not n then return code end
      o.max_age, i = n, i + 1
    elseif a == "--from" then
      if not argv[i + 1] then return usage_error(where, "--from requires a value", "catalog") end
      o.from, i = argv[i + 1], i + 1
    else
      return usage_error(where, "unknown arg '" .. a .. "'", "catalog")
    end
    i = i + 1
  end
  local doc = catalog.load(l.catalog_file)
  local refreshed = true
  if o.if_stale and doc then
    local age = catalog.age_hours(doc)
    if age and age < o.max_age then refreshed = false end
  end
  if refreshed then
    local fresh = catalog.builtin()
    if o.from then
      local imported, err = catalog.load(o.from)
      if not imported then return fail(where, err) end
      fresh = imported
      fresh.updated_at = catalog.now_text()
      fresh.version = fresh.version or 1
    end
    local ok, err = catalog.save(l.catalog_file, fresh)
    if not ok then return fail(where, tostring(err)) end
    doc = fresh
  end
  if o.json then
    out(json.pretty({ catalog = doc, refreshed = refreshed }), "\n")
    return 0
  end
  out(refreshed and "quota_catalog_refreshed: " or "quota_catalog_fresh: ", l.catalog_file, "\n",
    "refreshed: ", tostring(refreshed), "\n", "entries: ", tostring(#doc.entries), "\n")
  return 0
end

local function set_pref(where, key, value)
  local ok, err = state.set(key, value)
  if not ok then return nil, fail(where, tostring(err)) end
  return true
end

local function catalog_auto(argv)
  local sub = argv[1] or "show"
  if sub == "show" then
    local a = catalog.auto_config()
    out("== cx quota catalog auto ==\n", "enabled: ", tostring(a.enabled), "\n", "interval_hours: ",
      tostring(a.interval_hours), "\n")
    return 0
  elseif sub == "on" then
    local where, hours, i = "quota catalog auto on", catalog.DEFAULT_INTERVAL_HOURS, 2
    while i <= #argv do
      local a = argv[i]
      if a == "--interval-hours" then
        local n, code = positive_value(argv, i, where, a, "auto")
        if not n then return code end
        hours, i = n, i + 1
      elseif a ~= "--json" then
        return usage_error(where, "unknown arg '" .. a .. "'", "auto")
      end
      i = i + 1
    end
    local ok, code = set_pref(where, "preferences.quota_catalog.auto.enabled", true)
    if ok then ok, code = set_pref(where, "preferences.quota_catalog.auto.interval_hours", hours) end
    if not ok then return code end
    out("quota_catalog_auto: enabled\n", "interval_hours: ", tostring(hours), "\n")
    return 0
  elseif sub == "off" then
    local ok, code = set_pref("quota catalog auto off", "preferences.quota_catalog.auto.enabled", false)
    if not ok then return code end
    out("quota_catalog_auto: disabled\n")
    return 0
  end
  return usage_error("quota catalog auto", "unknown subcommand '" .. sub .. "'", "auto")
end

local function run_catalog(argv, l)
  local sub = argv[1] or "show"
  local rest = table.move(argv, 2, #argv, 1, {})
  if sub == "--json" then sub, rest = "show", argv end
  if sub == "show" then return catalog_show(rest, l) end
  if sub == "refresh" then return catalog_refresh(rest, l) end
  if sub == "auto" then return catalog_auto(rest) end
  return usage_error("quota catalog", "unknown subcommand '" .. sub .. "'"
    .. registry.hint(sub, { "show", "refresh", "auto" }), "catalog")
end

-- set / unset -------------------------------------------------------------------------------------

local BACKENDS = { codex = true, ollama = true, default = true }

local function total_key(b)
  if b == "default" then return "preferences.quota.default_total_tokens" end
  return "preferences.quota." .. b .. "_total_tokens"
end

local function run_set(argv)
  if #argv ~= 2 then return usage_error("quota set", "expects <backend|default> <total_tokens>", "set") end
  local b = argv[1]:match("^%s*(.-)%s*$"):lower()
  if not BACKENDS[b] then return usage_error("quota set", "backend must be codex|ollama|default", "set") end
  local n = argv[2]:match("^%d+$") and math.tointeger(tonumber(argv[2]))
  if not n or n < 1 then return usage_error("quota set", "total_tokens must be a positive integer", "set") end
  local ok, code = set_pref("quota set", total_key(b), n)
  if not ok then return code end
  out(string.format("quota_total_set: backend=%s total_tokens=%d\n", b, n))
  return 0
end

local function run_unset(argv)
  if #argv ~= 1 then return usage_error("quota unset", "expects <backend|default|all>", "unset") end
  local b = argv[1]:match("^%s*(.-)%s*$"):lower()
  if not BACKENDS[b] and b ~= "all" then
    return usage_error("quota unset", "backend must be codex|ollama|default|all", "unset")
  end
  local list = b == "all" and { "codex", "ollama", "default" } or { b }
  for _, x in ipairs(list) do
    local ok, code = set_pref("quota unset", total_key(x), json.null)
    if not ok then return code end
  end
  out("quota_total_unset: ", b, "\n")
  return 0
end

-- guard -------------------------------------------------------------------------------------------

local function guard_lines(g)
  return { "warn_pct: " .. stats.pct(g.warn_pct) .. "%", "critical_pct: " .. stats.pct(g.critical_pct) .. "%",
    "auto_action: " .. g.auto_action }
end

local function percentage(argv, i, where)
  local v = argv[i + 1]
  if v == nil then return nil, usage_error(where, argv[i] .. " requires a value", "guard") end
  local n = v:match("^[+-]?%d*%.?%d+$") and tonumber(v) or (v:match("^[+-]?%d+%.$") and tonumber(v))
  if not n then return nil, usage_error(where, "invalid percentage '" .. v .. "'", "guard") end
  if n < 0 or n > 100 then
    return nil, usage_error(where, "percentage must be between 0 and 100, got " .. v, "guard")
  end
  return n / 100
end

local function guard_on(argv)
  local where = "quota guard on"
  local g = probe.guard_config()
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--warn-pct" or a == "--critical-pct" then
      local v, code = percentage(argv, i, where)
      if not v then return code end
      if a == "--warn-pct" then g.warn_pct = v else g.critical_pct = v end
      i = i + 1
    elseif a == "--auto-action" then
      local v = argv[i + 1]
      if v == nil then return usage_error(where, "--auto-action requires a value", "guard") end
      if not probe.AUTO_ACTIONS[v] then return usage_error(where, "--auto-action expects none|quota_saver", "guard") end
      g.auto_action, i = v, i + 1
    else
      return usage_error(where, "unknown arg '" .. a .. "'", "guard")
    end
    i = i + 1
  end
  for _, kv in ipairs({ { "enabled", true }, { "warn_pct", g.warn_pct + 0.0 }, { "critical_pct", g.critical_pct + 0.0 },
    { "auto_action", g.auto_action } }) do
    local ok, code = set_pref(where, "preferences.quota_guard." .. kv[1], kv[2])
    if not ok then return code end
  end
  state.reset()
  out("quota_guard: enabled\n", table.concat(guard_lines(probe.guard_config()), "\n"), "\n")
  return 0
end

local function guard_check(argv, l)
  local o, code = parse_window(argv, "quota guard check", "check", { ["--apply"] = "apply", ["--strict"] = "strict" })
  if not o then return code end
  local r
  r, code = do_probe("quota guard check", o, l)
  if not r then return code end
  local g = probe.guard_config()
  local status, reason = probe.verdict(g, r)
  local alarm = status == "warning" or status == "critical"
  local applied = json.null
  if o.words.apply and g.enabled and alarm and g.auto_action == "quota_saver" then
    local ok, err = state.set("preferences.broker_policy", "quota_saver")
    applied = ok and "set preferences.broker_policy=quota_saver" or ("failed: " .. tostring(err))
  end
  local options = json.array({})
  for i, opt in ipairs(probe.OPTIONS) do
    options[i] = { id = opt.id, description = opt.description, command = opt.command }
  end
  if o.json then
    out(json.pretty({ status = status, reason = reason, guard = g, probe = r, options = options,
      auto_applied = applied }), "\n")
  else
    local L = { string.format("== cx quota guard check (last %d days) ==", o.days), "status: " .. status,
      "reason: " .. reason, "backend: " .. r.backend, "quota_tier: " .. r.quota_tier,
      "quota_limit_type: " .. r.quota_limit_type, "quota_source: " .. r.quota_source,
      "quota_total_tokens: " .. num_text(r.quota_total_tokens),
      "quota_used_tokens_window: " .. r.quota_used_tokens_window,
      "quota_remaining_tokens: " .. num_text(r.quota_remaining_tokens), "options:" }
    for _, opt in ipairs(options) do
      L[#L + 1] = "- " .. opt.id .. ": " .. opt.description .. (opt.command and (" (" .. opt.command .. ")") or "")
    end
    if applied ~= json.null then L[#L + 1] = "auto_applied: " .. applied end
    out(table.concat(L, "\n"), "\n")
  end
  if o.words.strict and alarm then return 1 end
  return 0
end

local function run_guard(argv, l)
  local sub = argv[1] or "show"
  local rest = table.move(argv, 2, #argv, 1, {})
  if sub == "show" then
    local g = probe.guard_config()
    out("== cx quota guard ==\n", "enabled: ", tostring(g.enabled), "\n", table.concat(guard_lines(g), "\n"), "\n")
    return 0
  elseif sub == "on" then
    return guard_on(rest)
  elseif sub == "off" then
    local ok, code = set_pref("quota guard off", "preferences.quota_guard.enabled", false)
    if not ok then return code end
    out("quota_guard: disabled\n")
    return 0
  elseif sub == "check" then
    return guard_check(rest, l)
  end
  return usage_error("quota guard", "unknown subcommand '" .. sub .. "'"
    .. registry.hint(sub, { "show", "on", "off", "check" }), "guard")
end

-- dispatch ----------------------------------------------------------------------------------------

function M.run(argv)
  if args.asks_help(argv, true) then
    out(HELP)
    return 0
  end
  local l, err = layout()
  if not l then return fail("quota", err) end
  local sub = argv[1]
  local rest = table.move(argv, 2, #argv, 1, {})
  if sub == "catalog" then return run_catalog(rest, l) end
  if sub == "set" then return run_set(rest) end
  if sub == "unset" then return run_unset(rest) end
  if sub == "guard" then return run_guard(rest, l) end
  return run_report(argv, l)
end

return M
