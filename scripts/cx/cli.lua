--- The cx command line: global flags, `help`, and dispatch to the command modules.
local core = require "cx.core"
local output = require "cx.output"
local printable = require "cx.printable"
local registry = require "cx.registry"

local cli = {}

local find_command = registry.find

local function usage_text()
  local lines = {
    "cx " .. core.version .. " - run LLM work inside a git repository, observably and safely",
    "",
    "Usage: cx <command> [args...]",
    "       cx help <command>      help for one command",
    "       cx --version",
    "",
    "Commands:",
  }
  local width = 0
  for _, c in ipairs(registry.commands()) do width = math.max(width, #c.name) end
  for _, c in ipairs(registry.commands()) do
    lines[#lines + 1] = string.format("  %-" .. width .. "s  %s", c.name, c.summary)
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = "The earlier cx* names (cxmetrics, cxstate, ...) still work: 'cx routes' lists them."
  lines[#lines + 1] = "Shell completion: cx completion bash|zsh|fish."
  lines[#lines + 1] = "Exit codes: 0 ok, 1 failure or failed gate, 2 usage error."
  return table.concat(lines, "\n") .. "\n"
end

local function unknown(name)
  local guess = registry.suggest_command(name)
  if guess then
    io.stderr:write("cx: unknown command '", printable.line(name), "' (did you mean '", guess, "'?)\n")
  else
    io.stderr:write("cx: unknown command '", printable.line(name), "' (run 'cx --help' for the list)\n")
  end
  return 2
end

-- A run never fails because its row could not be written, but the user is told once.
local function report_lost_rows(name)
  local runlog = package.loaded["cx.runlog"]
  if not runlog then return end
  local failures = runlog.take_failures()
  if #failures > 0 then
    io.stderr:write(string.format("cx %s: warning: %d run-log row(s) not written: %s\n", name, #failures,
      failures[1]))
  end
end

-- The command line without the output streams (see cli.main).
local function dispatch(argv, out)
  local name = argv[1]
  if name == nil or name == "--help" or name == "-h" then
    io.stdout:write(usage_text())
    return 0
  end
  if name == "--version" or name == "-V" then
    io.stdout:write("cx ", core.version, "\n")
    return 0
  end
  if name == "help" then
    local topic = argv[2]
    if topic == nil then
      io.stdout:write(usage_text())
      return 0
    end
    local c = find_command(topic)
    if not c then return unknown(topic) end
    -- a command whose arguments may themselves be "--help" (supports) gives its help text this way
    local m = require(c.module)
    if m.help then
      io.stdout:write(m.help(c.name))
      return 0
    end
    local rest = { "--help" }
    for i = 3, #argv do rest[#rest + 1] = argv[i] end
    return require(c.module).run(rest, c.name) or 0
  end
  if name:sub(1, 1) == "-" then
    io.stderr:write("cx: unknown option '", printable.line(name), "' (run 'cx --help' for usage)\n")
    return 2
  end
  local c = find_command(name)
  if not c then return unknown(name) end
  local rest = {}
  for i = 2, #argv do rest[#rest + 1] = argv[i] end
  local mod = require(c.module)
  out:payload(mod.raw_output)
  local code = mod.run(rest, c.name) or 0
  report_lost_rows(c.name)
  return code
end

--- Run a command: argv[1] is the command name. Returns the process exit code: 128 + the signal
--- (130 SIGINT, 143 SIGTERM, 129 SIGHUP) when one stopped the run, whatever the command returned.
--- SIGINT/SIGTERM/SIGHUP are handled for the duration of the call (docs/loop.md, "Signals"): until
--- the first job starts they end cx at once; from then on the run stops cleanly. While it runs,
--- stdout and stderr are cx.output streams (redacted, control characters escaped); a Lua error
--- inside a command is reported as one internal-error message through them, exit 1.
function cli.main(argv)
  local installed = core.signals.install()
  local out = output.install()
  local _ <close> = setmetatable({}, { __close = function()
    io.stdout:flush()
    out:restore()
    if installed then core.signals.uninstall() end
  end })
  local ok, code = xpcall(dispatch, debug.traceback, argv, out)
  if not ok then
    io.stderr:write("cx: internal error: ", tostring(code), "\n")
    code = 1
  end
  return core.signals.exit_code() or code
end

return cli
