--- `cx doctor`: per adapter, whether it can run here (binary or URL found, model chosen) and what to
--- fix; then one real round trip ("ping") through the selected adapter.
local args = require "cx.args"
local json = require "cx.json"
local adapters = require "cx.adapters"
local config = require "cx.config"
local execute = require "cx.execute"
local probe = require "cx.adapters.probe"

local M = { summary = "check each adapter's prerequisites and ping the selected one" }

function M.parser()
  local p = args.parser("doctor", "Check every adapter's prerequisites and send one ping through the selected one.")
  p:flag("--json", "Print one JSON object.")
  p:flag("--no-ping", "Only the static checks; send no request.")
  p:flag("--all", "Ping every adapter whose checks pass, not only the selected one.")
  p:option("--timeout", "Seconds allowed for the ping (default: the LLM timeout)."):convert(args.converter("--timeout"))
  return p
end

local function ping(d, timeout)
  local r = adapters.run(d, { prompt = "ping", mode = "agent", timeout_secs = timeout })
  return {
    ok = r.ok, duration_ms = r.duration_ms, class = r.class or json.null, reason = r.reason or json.null,
    reply = r.ok and (r.text or ""):sub(1, 200) or json.null,
  }
end

-- The descriptor of adapter `name` under the current configuration (as if CX_PROVIDER_ADAPTER chose it).
local function descriptor_for(name)
  local prefs = require("cx.state").get("preferences")
  if type(prefs) ~= "table" then prefs = {} end
  return adapters.describe(function(k)
    if k == "CX_PROVIDER_ADAPTER" then return name end
    if k == "CX_LLM_BACKEND" and name == "ollama-cli" then return "ollama" end
    return os.getenv(k)
  end, prefs)
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  local d, derr = execute.descriptor()
  if derr then
    io.stderr:write("cx doctor: ", derr, "\n")
    return 1
  end
  local report = { selected = d.name, adapter_id = d.id, adapters = json.array({}), warnings = json.array(d.warnings) }
  local healthy = true
  for _, a in ipairs(adapters.catalog()) do
    local checks = probe.checks(a.name, d)
    local ready = true
    for _, c in ipairs(checks) do ready = ready and c.ok end
    if a.name == d.name and not ready then healthy = false end
    report.adapters[#report.adapters + 1] = {
      name = a.name, transport = a.transport, status = a.status, selected = a.name == d.name,
      ready = ready, checks = checks,
    }
  end
  local timeout = opts.timeout or math.min(config.llm_timeout_secs(), 60)
  if not opts.no_ping then
    report.ping = ping(d, timeout)
    healthy = healthy and report.ping.ok
    if opts.all then
      for _, a in ipairs(report.adapters) do
        if a.ready and not a.selected then a.ping = ping(descriptor_for(a.name), timeout) end
      end
    end
  end
  report.ok = healthy
  if opts.json then
    io.stdout:write(json.pretty(report), "\n")
    return healthy and 0 or 1
  end
  local out = { "== cx doctor ==", string.format("selected: %s (%s, %s) adapter_id: %s", d.name, d.transport,
    d.status, d.id) }
  for _, w in ipairs(d.warnings) do out[#out + 1] = "warning: " .. w end
  for _, a in ipairs(report.adapters) do
    out[#out + 1] = string.format("- %s%s: %s", a.name, a.selected and " (selected)" or "",
      a.ready and "ready" or "not ready")
    for _, c in ipairs(a.checks) do
      out[#out + 1] = string.format("    %s %s: %s", c.ok and "ok  " or "FAIL", c.check, c.detail)
      if c.fix then out[#out + 1] = "         fix: " .. c.fix end
    end
    if a.ping then
      out[#out + 1] = a.ping.ok and string.format("    ok   ping: %d ms", a.ping.duration_ms or 0)
        or string.format("    FAIL ping: [%s] %s", a.ping.class, a.ping.reason)
    end
  end
  if report.ping then
    local p = report.ping
    if p.ok then
      out[#out + 1] = string.format("ping (%s): ok in %d ms", d.name, p.duration_ms or 0)
    else
      out[#out + 1] = string.format("ping (%s): FAIL [%s] %s", d.name, p.class, p.reason)
    end
  end
  out[#out + 1] = "status: " .. (healthy and "ok" or "fail")
  io.stdout:write(table.concat(out, "\n"), "\n")
  return healthy and 0 or 1
end

return M
