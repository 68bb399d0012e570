--- `cx task list [--status S] [--json]` (reference scheduler.md §2.2): the tasks in file order, as
--- a table, or with --json as the records of tasks.json (one JSON array).
local common = require "cx.commands.task.common"
local json = require "cx.json"
local record = require "cx.tasks.record"

local M = {}

M.USAGE = "cx task list [--status pending|in_progress|complete|failed] [--json]"

local function help()
  return common.help(M.USAGE, "List the tasks of .codex/tasks.json in file order.", {
    { "--status <s>", "only tasks with this status" },
    { "--json", "print the records as one JSON array (the tasks.json form)" },
  }, "Exit codes: 0 ok (also when empty), 1 store error, 2 usage error.")
end

function M.run(argv)
  local h = common.maybe_help(argv, help)
  if h then return h end
  local o, code = common.status_json_flags("list", argv, M.USAGE, nil)
  if not o then return code end
  local status = o.status
  local tasks
  tasks, code = common.load("list")
  if not tasks then return code end
  local shown = {}
  for _, t in ipairs(tasks) do
    if status == nil or t.status == status then shown[#shown + 1] = t end
  end
  if o.json then
    local out = {}
    for k, t in ipairs(shown) do out[k] = record.to_json(t) end
    io.stdout:write(json.pretty(json.array(out)), "\n")
    return 0
  end
  if #shown == 0 then
    io.stdout:write("No tasks.\n")
    return 0
  end
  local rows = {}
  for k, t in ipairs(shown) do rows[k] = { t.id, t.role, t.status, t.parent_id, t.objective } end
  io.stdout:write(table.concat(common.table({ "id", "role", "status", "parent_id", "objective" }, rows), "\n"), "\n")
  return 0
end

return M
