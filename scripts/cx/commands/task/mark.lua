--- `cx task claim|complete|fail <id>` (reference scheduler.md §2.4): set a status by hand (any
--- transition, as in the reference) and keep state.json's runtime pointer in step: claim points
--- it at the task, complete and fail clear it when it names the task.
local common = require "cx.commands.task.common"
local record = require "cx.tasks.record"
local state = require "cx.state"

local mark = {}

local STATUS = { claim = "in_progress", complete = "complete", fail = "failed" }
local ABOUT = {
  claim = "Mark a task in_progress by hand and make it the current task (state.json runtime pointer).",
  complete = "Mark a task complete; clears the current-task pointer when it names the task.",
  fail = "Mark a task failed; clears the current-task pointer when it names the task.",
}

local function warn(sub, err)
  io.stderr:write("cx task ", sub, ": warning: state.json not updated: ", tostring(err), "\n")
end

local function point_at(sub, t)
  local ok, err = state.set("runtime.current_task_id", t.id)
  if ok then ok, err = state.set("runtime.current_task_parent_id", t.parent_id) end
  if not ok then warn(sub, err) end
end

local function clear_if_current(sub, id)
  local env_id = os.getenv("CX_TASK_ID")
  local current = (env_id and env_id:find("%S")) and env_id or state.get("runtime.current_task_id")
  if current ~= id then return end
  local ok, err = state.set("runtime.current_task_id", nil)
  if ok then ok, err = state.set("runtime.current_task_parent_id", nil) end
  if not ok then warn(sub, err) end
end

--- The module of one of claim, complete, fail.
function mark.command(sub)
  local M = {}
  M.USAGE = "cx task " .. sub .. " <id>"
  local status = STATUS[sub]
  function M.run(argv)
    local h = common.maybe_help(argv, function()
      return common.help(M.USAGE, ABOUT[sub], nil, "Exit codes: 0 ok, 1 task not found or store error, 2 usage error.")
    end)
    if h then return h end
    local id = argv[1]
    if id == nil then return common.usage(M.USAGE) end
    local s, code = common.open_store()
    if not s then return code end
    local now = record.now()
    local t, err = s:update(function(tasks)
      for _, r in ipairs(tasks) do
        if r.id == id then
          record.set_status(r, status, now)
          return r
        end
      end
      return nil, "task not found: " .. id
    end)
    if not t then return common.fail(nil, err) end
    if sub == "claim" then point_at(sub, t) else clear_if_current(sub, id) end
    io.stdout:write(id, ": ", status, "\n")
    return 0
  end
  return M
end

return mark
