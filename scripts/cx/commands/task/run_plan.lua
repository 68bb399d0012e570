--- `cx task run-plan [--status S] [--json]` (reference scheduler.md §2.6, §6): the waves run-all
--- would run, and what is blocked. Exit 1 when anything is blocked.
local common = require "cx.commands.task.common"
local json = require "cx.json"
local plan = require "cx.tasks.plan"

local M = {}

M.USAGE = "cx task run-plan [--status pending|in_progress|complete|failed] [--json]"

-- The reference printed the plan in declaration order, not sorted.
M.JSON_ORDER = { "status_filter", "selected", "waves", "blocked", "index", "mode", "task_ids", "id", "reason",
  "cycle" }

local function help()
  return common.help(M.USAGE, "Preview the execution waves of the tasks with a status (default pending): "
    .. "each sequential task alone, parallel tasks together while their resource keys do not conflict; "
    .. "tasks whose dependencies cannot be met are blocked, with the reason (and the cycle, if any).", {
      { "--status <s>", "plan the tasks with this status (default pending)" },
      { "--json", "one JSON document {status_filter, selected, waves, blocked}" },
    }, "Exit codes: 0 nothing blocked, 1 something blocked or store error, 2 usage error.")
end

--- The plan as the reference's text (lines).
function M.text(p)
  local lines = {
    "== cx task run-plan ==",
    "status_filter: " .. p.status_filter,
    "selected: " .. p.selected,
    "waves: " .. #p.waves,
  }
  if #p.waves == 0 then
    lines[#lines + 1] = "No tasks matched filter."
  else
    local rows = {}
    for k, w in ipairs(p.waves) do rows[k] = { w.index, w.mode, table.concat(w.task_ids, ",") } end
    for _, l in ipairs(common.table({ "index", "mode", "task_ids" }, rows)) do lines[#lines + 1] = l end
  end
  if #p.blocked > 0 then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "blocked: " .. #p.blocked
    local rows = {}
    for k, b in ipairs(p.blocked) do rows[k] = { b.id, b.reason } end
    for _, l in ipairs(common.table({ "id", "reason" }, rows)) do lines[#lines + 1] = l end
  end
  return lines
end

--- The plan as its JSON document (arrays marked, so empty ones print as []).
function M.document(p)
  local waves, blocked = {}, {}
  for k, w in ipairs(p.waves) do
    waves[k] = { index = w.index, mode = w.mode, task_ids = json.array(w.task_ids) }
  end
  for k, b in ipairs(p.blocked) do
    blocked[k] = { id = b.id, reason = b.reason, cycle = b.cycle and json.array(b.cycle) or nil }
  end
  return { status_filter = p.status_filter, selected = p.selected, waves = json.array(waves),
    blocked = json.array(blocked) }
end

function M.run(argv)
  local h = common.maybe_help(argv, help)
  if h then return h end
  local o, code = common.status_json_flags("run-plan", argv, M.USAGE, "pending")
  if not o then return code end
  local tasks
  tasks, code = common.load("run-plan")
  if not tasks then return code end
  local p = plan.build(tasks, o.status)
  if o.json then
    io.stdout:write(json.pretty_ordered(M.document(p), M.JSON_ORDER), "\n")
  else
    io.stdout:write(table.concat(M.text(p), "\n"), "\n")
  end
  return #p.blocked > 0 and 1 or 0
end

return M
