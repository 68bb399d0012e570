--- `cx task recover [--all] [--json]`: tasks a dead run left in_progress (a crash, kill -9, a
--- lost machine) go back to pending, each with a note saying which run left it. Refused while a
--- run-all holds the run lock: its tasks are not stale. Tasks set in_progress by hand (`task
--- claim`) are kept unless --all.
local common = require "cx.commands.task.common"
local json = require "cx.json"
local state = require "cx.state"

local M = {}

M.USAGE = "cx task recover [--all] [--json]"

local function help()
  return common.help(M.USAGE, "Put the in_progress tasks whose run is no longer alive back to pending, "
    .. "with a note (`recovered: run R (pid N) ended without finishing it`). Refused while a run-all "
    .. "is running in the repository.", {
      { "--all", "also reset tasks claimed by hand (task claim), which have no run" },
      { "--json", "one JSON document {recovered: [{id, run_id, pid, note}], kept: [{id, reason}]}" },
    }, "Exit codes: 0 ok (also when nothing was stale), 1 a run-all is running or store error, 2 usage error.")
end

-- The current-task pointer must not name a task that is no longer in progress.
local function clear_pointer(recovered)
  local current = state.get("runtime.current_task_id")
  for _, r in ipairs(recovered) do
    if r.id == current then
      local ok, err = state.set("runtime.current_task_id", nil)
      if ok then ok, err = state.set("runtime.current_task_parent_id", nil) end
      if not ok then io.stderr:write("cx task recover: warning: state.json not updated: ", tostring(err), "\n") end
      return
    end
  end
end

function M.run(argv)
  local h = common.maybe_help(argv, help)
  if h then return h end
  local all, as_json = false, false
  for _, a in ipairs(argv) do
    if a == "--all" then
      all = true
    elseif a == "--json" then
      as_json = true
    else
      return common.usage_error("recover", "unknown flag '" .. a .. "'")
    end
  end
  local s, code = common.open_store()
  if not s then return code end
  local r, err, class = s:recover({ all = all })
  if not r then
    if class == "busy" and err:find("^another run%-all") then
      err = err .. "; its tasks are not stale (stop it, or wait for it to end)"
    end
    return common.fail("recover", err)
  end
  clear_pointer(r.recovered)
  if as_json then
    local rec, kept = {}, {}
    for k, x in ipairs(r.recovered) do
      rec[k] = { id = x.id, run_id = x.run_id or json.null, pid = x.pid or json.null, note = x.note }
    end
    for k, x in ipairs(r.kept) do kept[k] = { id = x.id, reason = x.reason } end
    io.stdout:write(json.pretty({ recovered = json.array(rec), kept = json.array(kept) }), "\n")
    return 0
  end
  local lines = { "== cx task recover ==", "recovered: " .. #r.recovered }
  for _, x in ipairs(r.recovered) do lines[#lines + 1] = "- " .. common.cell(x.id) .. ": " .. common.cell(x.note) end
  lines[#lines + 1] = "kept_in_progress: " .. #r.kept
  for _, x in ipairs(r.kept) do lines[#lines + 1] = "- " .. common.cell(x.id) .. ": " .. common.cell(x.reason) end
  io.stdout:write(table.concat(lines, "\n"), "\n")
  return 0
end

return M
