--- `cx supports <name>`: `true` and exit 0 when cx dispatches that name (a command, a cx*
--- compatibility name, or the global help/version flags), else `false` and exit 1.
local registry = require "cx.registry"

local M = { summary = "exit 0 (and print true) when cx has a command of that name" }

local HELP = [[
Usage: cx supports <name>

Print `true` and exit 0 when cx dispatches <name> (a command, one of the earlier cx* names such as
cxmetrics, or help, -h, --help, -V, --version); print `false` and exit 1 otherwise.
Exit status: 0 supported, 1 not supported, 2 usage error.
]]

local GLOBAL = { help = true, ["-h"] = true, ["--help"] = true, ["-V"] = true, ["--version"] = true }

--- Whether cx dispatches name.
function M.supported(name)
  return GLOBAL[name] == true or registry.find(name) ~= nil
end

--- The help text (`cx help supports`): `cx supports --help` answers whether --help is supported.
function M.help()
  return HELP
end

function M.run(argv)
  if argv[1] == nil then
    io.stderr:write("cx supports: missing <name> (Usage: cx supports <name>)\n")
    return 2
  end
  if argv[2] ~= nil then
    io.stderr:write("cx supports: unexpected argument '", argv[2], "' (Usage: cx supports <name>)\n")
    return 2
  end
  if M.supported(argv[1]) then
    io.stdout:write("true\n")
    return 0
  end
  io.stdout:write("false\n")
  return 1
end

return M
