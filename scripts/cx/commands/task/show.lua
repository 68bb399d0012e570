--- `cx task show <id> [--json|--text]` (reference scheduler.md §2.3, backlog P5-06): one task. The
--- JSON form is the reference's: the record pretty-printed in field order. The text form is for
--- people: the record, then why the task failed or did not run (its last attempt's class, reason,
--- execution id and quarantine id, or the dependency that failed) and the command to run next.
--- Without a flag, a terminal gets the text and a pipe gets the JSON, so scripts written for
--- the reference (`cx task show ID | jq .role`) keep working.
local core = require "cx.core"
local common = require "cx.commands.task.common"
local json = require "cx.json"
local record = require "cx.tasks.record"

local M = {}

M.USAGE = "cx task show <id> [--json|--text]"

local function help()
  return common.help(M.USAGE, "Show one task. On a terminal: a readable summary with its last attempt and "
    .. "the next command; in a pipe: the record as JSON (the reference's output).", {
      { "--json", "the record as pretty JSON, in field order" },
      { "--text", "the readable summary, also in a pipe" },
    }, "Exit codes: 0 ok, 1 task not found or store error, 2 usage error.")
end

local function list_text(list)
  if list == nil or #list == 0 then return "-" end
  return table.concat(list, ", ")
end

local function value(v)
  if v == nil or v == json.null then return "-" end
  return common.cell(v)
end

local function field(s)
  return type(s) == "string" and s ~= "" and s or nil
end

--- The commands that help next, for a task's state (lines "<command>    (why)").
local function next_steps(t)
  local steps = {}
  local la, bb = t.last_attempt, t.blocked_by
  if t.status == "pending" and type(bb) == "table" and field(bb.id) then
    steps[#steps + 1] = "cx task show " .. bb.id .. "    (why " .. bb.id .. " failed)"
    steps[#steps + 1] = "cx task run-all    (reruns the pending tasks once " .. bb.id .. " is fixed)"
  elseif t.status == "failed" then
    if type(la) == "table" and field(la.quarantine_id) then
      steps[#steps + 1] = "cx quarantine show " .. la.quarantine_id .. "    (the answer that failed its schema)"
      steps[#steps + 1] = "cx replay " .. la.quarantine_id .. "    (replay it through the current adapter)"
    end
    steps[#steps + 1] = "cx task run " .. t.id .. "    (run it again)"
    steps[#steps + 1] = "cx task run-all --status failed    (rerun every failed task)"
  elseif t.status == "in_progress" and type(t.claim) == "table" then
    steps[#steps + 1] = "cx task recover    (if run " .. value(t.claim.run_id) .. " is no longer running)"
  elseif t.status == "pending" then
    steps[#steps + 1] = "cx task run " .. t.id .. "    (or cx task run-all)"
  end
  return steps
end

local function attempt_lines(add, la)
  local head = value(la.class)
  if field(la.reason) then head = head .. ": " .. common.cell(la.reason) end
  add("last_attempt", head)
  if la.attempt ~= nil then
    local n = tostring(la.attempt)
    if la.max_attempts ~= nil then n = n .. " of " .. tostring(la.max_attempts) end
    add("  attempt", n)
  end
  for _, k in ipairs({ "backend", "execution_id", "quarantine_id", "exit_code", "run_id", "finished_at" }) do
    if la[k] ~= nil and la[k] ~= json.null then add("  " .. k, value(la[k])) end
  end
end

--- The readable summary of a record (lines).
function M.text(t)
  local lines = { "== cx task " .. common.cell(t.id) .. " ==" }
  local function add(k, v)
    lines[#lines + 1] = k .. ": " .. v
  end
  add("status", value(t.status))
  add("role", value(t.role))
  add("objective", value(t.objective))
  if field(t.context_ref) then add("context_ref", value(t.context_ref)) end
  add("parent_id", value(t.parent_id))
  add("depends_on", list_text(t.depends_on))
  add("resource_keys", list_text(t.resource_keys))
  add("mode", value(t.run_mode))
  add("backend", value(t.backend) .. (t.model and (" (model " .. value(t.model) .. ")") or ""))
  add("profile", value(t.profile))
  add("converge", value(t.converge) .. " x" .. value(t.replicas))
  add("max_retries", t.max_retries and tostring(t.max_retries) or "0")
  if t.timeout_secs then add("timeout_secs", tostring(t.timeout_secs)) end
  add("created_at", value(t.created_at))
  add("updated_at", value(t.updated_at))
  local c = t.claim
  if type(c) == "table" then
    add("claim", "run " .. value(c.run_id) .. " (pid " .. value(c.pid) .. ") since " .. value(c.started_at))
  end
  local bb = t.blocked_by
  if type(bb) == "table" and field(bb.id) then
    local why = "did not run: dependency " .. common.cell(bb.id) .. " " .. value(bb.status or "failed")
    if field(bb.run_id) then why = why .. " (run " .. common.cell(bb.run_id) .. ")" end
    add("blocked_by", why)
  end
  if type(t.last_attempt) == "table" then attempt_lines(add, t.last_attempt) end
  if t.notes and #t.notes > 0 then
    lines[#lines + 1] = "notes:"
    for _, n in ipairs(t.notes) do
      if type(n) == "table" then
        lines[#lines + 1] = "  - " .. value(n.time) .. " " .. value(n.text)
      else
        lines[#lines + 1] = "  - " .. value(n)
      end
    end
  end
  local steps = next_steps(t)
  if #steps > 0 then
    lines[#lines + 1] = "next:"
    for _, s in ipairs(steps) do lines[#lines + 1] = "  " .. s end
  end
  return lines
end

M.next_steps = next_steps

--- One line about an attempt: `class: reason (attempt 2 of 3, backend codex, execution_id E,
--- quarantine_id Q)`.
function M.attempt_line(la)
  local head = value(la.class)
  if field(la.reason) then head = head .. ": " .. common.cell(la.reason) end
  local facts = {}
  if la.attempt ~= nil and la.attempt ~= json.null then
    facts[#facts + 1] = "attempt " .. tostring(la.attempt)
      .. ((la.max_attempts ~= nil and la.max_attempts ~= json.null) and (" of " .. tostring(la.max_attempts)) or "")
  end
  for _, k in ipairs({ "backend", "execution_id", "quarantine_id" }) do
    if field(la[k]) then facts[#facts + 1] = (k == "backend" and "backend " or (k .. " ")) .. common.cell(la[k]) end
  end
  if #facts > 0 then head = head .. " (" .. table.concat(facts, ", ") .. ")" end
  return head
end

function M.run(argv)
  local h = common.maybe_help(argv, help)
  if h then return h end
  local id, mode
  for _, a in ipairs(argv) do
    if a == "--json" then
      mode = "json"
    elseif a == "--text" then
      mode = "text"
    elseif id == nil and a:sub(1, 2) ~= "--" then
      id = a
    end -- other arguments are ignored, as in the reference
  end
  if id == nil then return common.usage(M.USAGE) end
  local tasks, code = common.load("show")
  if not tasks then return code end
  local t = record.index(tasks)[id]
  if not t then return common.fail("show", "task not found: " .. id) end
  mode = mode or (core.fs.isatty(1) and "text" or "json")
  if mode == "json" then
    io.stdout:write(json.pretty_ordered(record.to_json(t), record.keys()), "\n")
  else
    io.stdout:write(table.concat(M.text(t), "\n"), "\n")
  end
  return 0
end

return M
