--- `cx fanout <objective...>` (`cxfanout`): split an objective into six role-tagged subtasks
--- (architect, two implementers, reviewer, tester, doc). Prints only; unrelated to `cx task fanout`.
local args = require "cx.args"
local prompts = require "cx.prompts"

local M = { summary = "six role-tagged subtasks for an objective" }

function M.run(argv)
  if args.asks_help(argv) then
    io.stdout:write("Usage: cx fanout <objective>\n\nPrint six role-tagged subtasks for <objective> (the arguments "
      .. "joined by spaces). Writes nothing.\nExit codes: 0 ok, 2 usage error.\n")
    return 0
  end
  if #argv == 0 then
    io.stderr:write("cx fanout: missing <objective> (Usage: cx fanout <objective>)\n")
    return 2
  end
  io.stdout:write(prompts.fanout(table.concat(argv, " ")))
  return 0
end

return M
