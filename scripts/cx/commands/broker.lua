--- `cx broker [show|set|benchmark]` (reference scheduler.md §5.4, diagnostics.md §1.4): the routing
--- policy, which backends are available, and per-backend statistics of the run log with a strict
--- gate (`broker-benchmark.v1`). Arguments are scanned by hand to keep the reference's messages.
local benchmark = require "cx.tasks.benchmark"
local broker = require "cx.tasks.broker"
local config = require "cx.config"
local json = require "cx.json"
local paths = require "cx.paths"
local runlog = require "cx.runlog"
local state = require "cx.state"
local suggest = require "cx.suggest"

local M = { summary = "backend routing policy, availability and per-backend benchmark" }

local USAGE = {
  broker = "Usage: cx broker <show|set|benchmark> ...",
  show = "Usage: cx broker show [--json]",
  set = "Usage: cx broker set --policy latency|quality|cost|balanced|quota_saver",
  benchmark = "Usage: cx broker benchmark [--backend codex|ollama]... [--window N] [--json] [--strict] "
    .. "[--min-runs N] [--severity warn|warning|critical] [--log PATH]",
}

local HELP = [==[
Usage: cx broker [show [--json] | set --policy P | benchmark [options]]

The broker routes `auto` tasks of `cx task run-all` between the codex and ollama backends.

  show [--json]          the policy, the active backend and model, and which backends are
                         available (CLI on PATH, not disabled by CX_DISABLE_CODEX/CX_DISABLE_OLLAMA;
                         every backend with CX_PROVIDER_ADAPTER=mock or http)
  set --policy P         store the policy in state.json: latency, quality, cost, balanced or
                         quota_saver (CX_BROKER_POLICY overrides it)
  benchmark [options]    runs, average and p95 duration, average tokens per backend over the
                         last N rows of the run log (broker-benchmark.v1 with --json)
      --backend B        codex or ollama; repeatable (default: both)
      --window N         rows to read (default 200)
      --log PATH         the run log to read (default .codex/cxlogs/runs.jsonl)
      --strict           fail when a backend has fewer than --min-runs runs (default 1)
      --severity S       the gate's floor: critical (default; fails on a backend without runs)
                         or warn (also warning; fails on any backend under --min-runs)
      --json             one JSON document

Exit codes: 0 ok, 1 failed strict gate or unreadable log, 2 usage error.
]==]

local function out(...)
  io.stdout:write(...)
end

local function usage_error(sub, message)
  io.stderr:write("cx broker ", sub, ": ", message, "\n", USAGE[sub], "\n")
  return 2
end

local function load_state()
  local doc, err = state.load()
  if not doc then
    io.stderr:write("cx broker: warning: ", tostring(err), " (using defaults)\n")
    return nil
  end
  return doc
end

-- show ------------------------------------------------------------------------------------------

local function run_show(argv)
  local as_json = false
  for _, a in ipairs(argv) do
    if a == "--json" then
      as_json = true
    else
      return usage_error("show", "unknown flag '" .. a .. "'")
    end
  end
  local doc = load_state()
  local backend = config.backend(doc)
  local model = config.model(doc, backend)
  local policy = broker.policy(doc)
  local avail = broker.availability()
  if as_json then
    out(json.pretty({
      active_backend = backend,
      active_model = model ~= "" and model or json.null,
      availability = { codex = avail.codex, ollama = avail.ollama },
      broker_policy = policy,
    }), "\n")
    return 0
  end
  local function yes(b) return b and "yes" or "no" end
  out(table.concat({
    "== cx broker ==",
    "policy: " .. policy,
    "active_backend: " .. backend,
    "active_model: " .. (model ~= "" and model or "<unset>"),
    "availability.codex: " .. yes(avail.codex),
    "availability.ollama: " .. yes(avail.ollama),
  }, "\n"), "\n")
  return 0
end

-- set -------------------------------------------------------------------------------------------

local function run_set(argv)
  local policy
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--policy" then
      local v = argv[i + 1]
      if v == nil then return usage_error("set", "--policy requires a value") end
      policy = broker.parse_policy(v)
      if not policy then return usage_error("set", "invalid policy '" .. v .. "'") end
      i = i + 2
    else
      return usage_error("set", "unknown flag '" .. a .. "'")
    end
  end
  if not policy then return usage_error("set", "missing --policy") end
  local ok, err = state.set("preferences.broker_policy", policy)
  if not ok then
    io.stderr:write("cx broker set: ", tostring(err), "\n")
    return 1
  end
  out("broker_policy: ", policy, "\n")
  return 0
end

-- benchmark -------------------------------------------------------------------------------------

local function count_value(flag, v)
  local n = config.parse_uint(v)
  if n == nil then return nil, flag .. " expects a positive integer, got '" .. v .. "'" end
  if n < 1 then return nil, flag .. " must be >= 1" end
  return n
end

local function parse_benchmark(argv)
  local o = { backends = {}, window = 200, min_runs = 1, severity = "critical", strict = false, json = false }
  local seen = {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    local v = argv[i + 1]
    local takes = a == "--backend" or a == "--window" or a == "--min-runs" or a == "--severity" or a == "--log"
    if takes and v == nil then return nil, a .. " requires a value" end
    if a == "--backend" then
      local b = v:match("^%s*(.-)%s*$"):lower()
      if b ~= "codex" and b ~= "ollama" then return nil, "invalid backend '" .. v .. "'" end
      if not seen[b] then
        seen[b] = true
        o.backends[#o.backends + 1] = b
      end
    elseif a == "--window" or a == "--min-runs" then
      local n, err = count_value(a, v)
      if not n then return nil, err end
      if a == "--window" then o.window = n else o.min_runs = n end
    elseif a == "--severity" then
      local s = v:match("^%s*(.-)%s*$"):lower()
      if s == "warn" or s == "warning" then
        o.severity = "warn"
      elseif s == "critical" then
        o.severity = "critical"
      else
        return nil, "--severity expects warn|warning|critical, got '" .. v .. "'"
      end
    elseif a == "--log" then
      o.log = v
    elseif a == "--json" then
      o.json = true
    elseif a == "--strict" then
      o.strict = true
    else
      return nil, "unknown flag '" .. a .. "'"
    end
    i = i + (takes and 2 or 1)
  end
  if #o.backends == 0 then o.backends = { "codex", "ollama" } end
  return o
end

local function render_benchmark(r, violations_on_pass)
  local L = { "== cx broker benchmark ==", "window: " .. r.window, "log_file: " .. r.log_file }
  for _, s in ipairs(r.summary) do
    L[#L + 1] = ""
    L[#L + 1] = "backend: " .. s.backend
    for _, k in ipairs({ "runs", "avg_duration_ms", "p95_duration_ms", "avg_effective_input_tokens",
      "avg_output_tokens" }) do
      L[#L + 1] = "  " .. k .. ": " .. s[k]
    end
  end
  if r.strict then
    L[#L + 1] = ""
    L[#L + 1] = string.format("strict: pass (min_runs=%d, severity=%s)", r.min_runs, r.severity)
    if violations_on_pass then
      for _, v in ipairs(r.violations) do L[#L + 1] = "  - [" .. v.severity .. "] " .. v.message end
    end
  end
  out(table.concat(L, "\n"), "\n")
end

local function run_benchmark(argv)
  local o, err = parse_benchmark(argv)
  if not o then return usage_error("benchmark", err) end
  local file = o.log
  if not file then
    local p = paths.resolve()
    if not p then
      io.stderr:write("cx broker benchmark: unable to resolve log file\n")
      return 1
    end
    file = p.log_file
  end
  local rows, info = runlog.read_window(o.window, file)
  if rows and not info.exists then info = "No such file or directory" end
  if not rows or type(info) == "string" then
    io.stderr:write("cx broker benchmark: cannot open ", file, ": ", tostring(info), "\n")
    return 1
  end
  local report, failed = benchmark.report(rows, {
    window = o.window, log_file = file, backends = o.backends, strict = o.strict,
    min_runs = o.min_runs, severity = o.severity,
  })
  if o.strict and #rows == 0 then io.stderr:write("cx broker benchmark: no rows in ", file, "\n") end
  if o.json then
    out(json.pretty(report), "\n")
  elseif failed then
    io.stderr:write(string.format("cx broker benchmark: strict check failed (min_runs=%d, severity=%s)\n",
      o.min_runs, o.severity))
    for _, v in ipairs(report.violations) do
      io.stderr:write("  - [", v.severity, "] ", v.message, "\n")
    end
  else
    render_benchmark(report, true)
  end
  return failed and 1 or 0
end

-- dispatch --------------------------------------------------------------------------------------

local SUBCOMMANDS = { show = run_show, set = run_set, benchmark = run_benchmark }

function M.run(argv)
  for _, a in ipairs(argv) do
    if a == "--help" or a == "-h" then
      out(HELP)
      return 0
    end
  end
  local sub = argv[1]
  local rest = {}
  if sub == nil or sub:sub(1, 1) == "-" then
    sub = "show"
    for i = 1, #argv do rest[i] = argv[i] end
  else
    for i = 2, #argv do rest[#rest + 1] = argv[i] end
  end
  local handler = SUBCOMMANDS[sub]
  if not handler then
    local guess = suggest.closest(sub, { "show", "set", "benchmark" })
    io.stderr:write("cx broker: unknown subcommand '", sub, "'", guess and ("; did you mean '" .. guess .. "'?") or "",
      "\n", USAGE.broker, "\n")
    return 2
  end
  return handler(rest)
end

return M
