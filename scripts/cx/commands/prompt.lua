--- `cx prompt <mode> <request...>` (`cxprompt`): a fixed prompt block for implement, fix, test, doc
--- or ops work, with the request (the arguments joined by spaces). Writes nothing.
local args = require "cx.args"
local prompts = require "cx.prompts"
local registry = require "cx.registry"

local M = { summary = "a fixed prompt block for a mode and a request" ,
  raw_output = true } -- stdout is a prompt to pipe on (cx.output: escaped only on a terminal)

local USAGE = "Usage: cx prompt <implement|fix|test|doc|ops> <request>"

function M.run(argv)
  if args.asks_help(argv) then
    io.stdout:write(USAGE, "\n\nPrint a fixed prompt block (context, goal for the mode, requirements, constraints, "
      .. "deliverables,\ntest checklist) with <request> (the remaining arguments joined by spaces).\n"
      .. "Exit codes: 0 ok, 2 usage error.\n")
    return 0
  end
  if #argv < 2 then
    io.stderr:write("cx prompt: missing ", argv[1] and "<request>" or "<mode> and <request>", " (", USAGE, ")\n")
    return 2
  end
  local mode = argv[1]
  if not prompts.GOALS[mode] then
    local guess = registry.suggest(mode, prompts.MODES)
    io.stderr:write("cx prompt: invalid mode '", mode, "' (use implement|fix|test|doc|ops",
      guess and ("; did you mean '" .. guess .. "'?") or "", ")\n")
    return 2
  end
  io.stdout:write(prompts.block(mode, table.concat(argv, " ", 2)))
  return 0
end

return M
