--- `cx task run`: registered so that help and dispatch know it; the implementation is pkg
--- runall's (the scheduler driver over cx.sched and cx.jobs), which replaces this file.
local common = require "cx.commands.task.common"

local M = {}

M.USAGE = "cx task run <id> [--mode lean|deterministic|verbose] [--backend codex|ollama]"

function M.run(argv)
  local h = common.maybe_help(argv, common.help(M.USAGE, "Not implemented yet in this build."))
  if h then return h end
  return common.fail("run", "not implemented yet")
end

return M
