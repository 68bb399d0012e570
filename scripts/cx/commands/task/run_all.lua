--- `cx task run-all`: registered so that help and dispatch know it; the implementation is pkg
--- runall's (the scheduler driver over cx.sched and cx.jobs), which replaces this file.
local common = require "cx.commands.task.common"

local M = {}

M.USAGE = "cx task run-all [--status pending] [--mode sequential|mixed] [--backend-pool codex,ollama] "
  .. "[--backend-cap backend=limit] [--max-workers N] [--fairness round_robin|least_loaded] "
  .. "[--halt-on-critical|--continue-on-critical]"

function M.run(argv)
  local h = common.maybe_help(argv, common.help(M.USAGE, "Not implemented yet in this build."))
  if h then return h end
  return common.fail("run-all", "not implemented yet")
end

return M
