--- `cx health` (`cxhealth`): a smoke test of the selected adapter — its CLI's version (for the
--- codex and ollama adapters), one `ping` round trip (the last JSONL lines and the agent text; no run
--- row), then a full `cxo git status` run (which writes its row).
local args = require "cx.args"
local adapters = require "cx.adapters"
local binaries = require "cx.adapters.binaries"
local capture = require "cx.capture"
local config = require "cx.config"
local execute = require "cx.execute"

local M = { summary = "smoke test: backend version, a ping, and a cxo run" }

local HELP = [[
Usage: cx health

Smoke-test the selected adapter: `codex --version` or `ollama --version` for the CLI adapters (the
HTTP and mock adapters have no CLI: their configuration is shown), one `ping` through the adapter
(the last 4 JSONL lines and the agent text; no run row), then `cx cxo git status` (one row).
Exit status: 0 all good; 1 when a step fails; the cxo run's status when it is not 0.
]]

local CLI = { ["codex-cli"] = "codex", ["ollama-cli"] = "ollama" }

local function out(...)
  io.stdout:write(...)
end

local function last_lines(text, n)
  local lines = {}
  for line in (text or ""):gmatch("[^\n]+") do lines[#lines + 1] = line end
  local first = math.max(1, #lines - n + 1)
  return table.concat(lines, "\n", first, #lines)
end

-- Step 1: the CLI's version, or the adapter's configuration. Returns the label to use, or nil, code.
local function version(d)
  local cli = CLI[d.name]
  if not cli then
    out("== ", d.name, " version ==\n")
    if d.http then
      out(string.format("%s (%s, format %s)\n", d.http.url or "<CX_HTTP_PROVIDER_URL unset>", d.transport,
        d.http.format))
    else
      out("built in (", d.transport, ", ", d.status, ")\n")
    end
    return d.name
  end
  out("== ", cli, " version ==\n")
  local program = binaries.program(cli)
  local label = cli .. " --version"
  local r, err = capture.run({ program, "--version" }, { label = label, timeout_secs = config.timeout_for(label) })
  if not r then
    io.stderr:write("cx health: ", cli, " --version failed: ", err, "\n")
    return nil, 1
  end
  out(r.stdout)
  if r.stdout ~= "" and r.stdout:sub(-1) ~= "\n" then out("\n") end
  return cli
end

function M.run(argv)
  if args.asks_help(argv) then
    out(HELP)
    return 0
  end
  if argv[1] ~= nil then
    io.stderr:write("cx health: unexpected argument '", argv[1], "' (Usage: cx health)\n")
    return 2
  end
  local d = execute.descriptor()
  for _, w in ipairs(d.warnings) do io.stderr:write("cx health: warning: ", w, "\n") end
  local name, code = version(d)
  if not name then return code end
  out("\n== ", name, " json ==\n")
  local r = adapters.run(d, { prompt = "ping", mode = "jsonl", timeout_secs = config.llm_timeout_secs() })
  if not r.ok then
    io.stderr:write("cx health: ", name, " json failed: ", r.reason, "\n")
    return 1
  end
  out(last_lines(r.jsonl, 4), "\n")
  out("\n== _codex_text ==\n", r.text or "", "\n")
  out("\n== cxo test ==\n")
  local run = execute.run_captured({ tool = "cxo", mode = "agent", argv = { "git", "status" } })
  if not run.result.ok then
    io.stderr:write("cx health: cxo: ", run.result.reason, "\n")
    return 1
  end
  out(run.result.text or "", "\n")
  if run.exit_code ~= 0 then return run.exit_code end
  out("\nAll systems operational.\n")
  return 0
end

return M
