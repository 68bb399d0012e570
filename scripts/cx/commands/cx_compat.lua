--- `cx cx-compat <name> [args...]`: run a command by any name cx answers to — the earlier
--- implementation's cx* names (cxmetrics, cxstate, cxprompt_stats ...) or a plain command name —
--- with the rest of the arguments. `cx-compat help <command>` prints that command's help.
local args = require "cx.args"
local registry = require "cx.registry"

local M = { summary = "run a command by its earlier cx* name (cxmetrics, cxstate, ...)" }

local HELP = [[
Usage: cx cx-compat <command> [args...]

Run <command> with [args...]. <command> is a cx command or one of the earlier implementation's
cx* names (cxversion, cxmetrics, cxstate, cxprompt_stats, ...: `cx routes` lists them). Every such
name also works directly (`cx cxmetrics 20`). `cx cx-compat help <command>` prints its help.
Exit status: the command's; 2 for an unknown command.
]]

local function usage(msg)
  io.stderr:write("cx cx-compat: ", msg, "\n")
  return 2
end

local function resolve(name)
  local c = name ~= "cx-compat" and registry.find(name) or nil
  if c then return c end
  local guess = registry.suggest_command(name)
  if guess then return nil, usage("unsupported command '" .. name .. "' (did you mean '" .. guess .. "'?)") end
  return nil, usage("unsupported command '" .. name .. "' (run 'cx routes' for the list)")
end

function M.run(argv)
  local name = argv[1]
  if args.asks_help(argv) then
    io.stdout:write(HELP)
    return 0
  end
  if name == nil then return usage("Usage: cx cx-compat <command> [args...]") end
  local rest = {}
  if name == "help" then
    if argv[2] == nil then
      io.stdout:write(HELP)
      return 0
    end
    name, rest[1] = argv[2], "--help"
  else
    for i = 2, #argv do rest[#rest + 1] = argv[i] end
  end
  local c, code = resolve(name)
  if not c then return code end
  local m = require(c.module)
  if rest[1] == "--help" and argv[1] == "help" and m.help then
    io.stdout:write(m.help(c.name))
    return 0
  end
  return m.run(rest, c.name) or 0
end

return M
