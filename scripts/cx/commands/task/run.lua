--- `cx task run <id> [--mode M] [--backend B] [--json]` (reference scheduler.md §2.5, §2.8): run one
--- task's objective now, in this process — its replicas one after another and their convergence —
--- then record its status. Not a retry loop (run-all retries); no dependency is run for it: a task
--- whose dependency is not complete does not run (--ignore-deps runs it anyway).
local core = require "cx.core"
local common = require "cx.commands.task.common"
local show = require "cx.commands.task.show"
local json = require "cx.json"
local state = require "cx.state"
local attempt = require "cx.tasks.attempt"
local plan = require "cx.tasks.plan"
local record = require "cx.tasks.record"

local M = {}

M.USAGE = "cx task run <id> [--mode lean|deterministic|verbose] [--backend codex|ollama]"

local function help()
  return common.help(M.USAGE .. " [--json] [--ignore-deps]", "Run one task's objective now: a cx command "
    .. "(cxo git status, next cargo test, diffsum, fix-run make, ...) runs that command's own code; any other "
    .. "text is sent as a prompt. Replicas run one after another and converge (task add --converge). The "
    .. "task ends complete or failed; a failure says its class, reason, execution id and what to run next.", {
      { "--mode M", "the execution mode (CX_MODE) of this run; default: the task's profile" },
      { "--backend B", "the backend (CX_LLM_BACKEND) of this run; default: the task's own" },
      { "--json", "one JSON document: task_id, status, exit_code, class, reason, execution_id, ..." },
      { "--ignore-deps", "run even when a dependency is not complete" },
    }, "Exit codes: the objective's (0 ok, 1 failed, 2 its usage error); 1 task not found, not runnable or store "
      .. "error; 2 usage error; 130/143/129 stopped by a signal.")
end

local function parse(argv)
  local o = { json = false }
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a == "--mode" or a == "--backend" then
      local v = argv[i + 1]
      if v == nil then return nil, common.usage(M.USAGE) end
      o[a:sub(3)] = v
      i = i + 1
    elseif a == "--json" then
      o.json = true
    elseif a == "--ignore-deps" then
      o.ignore_deps = true
    elseif a == "--managed-by-parent" then
      o.managed = true -- the reference's worker flag: run, but leave the status to the caller
    elseif o.id == nil and a:sub(1, 2) ~= "--" then
      o.id = a
    else
      return nil, common.usage_error("run", "unknown flag '" .. a .. "'")
    end
    i = i + 1
  end
  if o.id == nil then return nil, common.usage(M.USAGE) end
  return o
end

-- The first effective dependency that is not complete: id, its status ("missing" if unknown).
local function unmet_dependency(t, by_id)
  for _, d in ipairs(plan.deps(t)) do
    local dt = by_id[d]
    if not dt then return d, "missing" end
    if dt.status ~= "complete" then return d, dt.status end
  end
  return nil
end

local function new_run_id()
  return os.date("!run-%Y%m%dT%H%M%SZ-") .. (core.fs.random_hex(3) or "000000")
end

-- state.json's current-task pointer around the run (the reference's runtime pointer).
local function point_at(t)
  local prev = { state.get("runtime.current_task_id"), state.get("runtime.current_task_parent_id") }
  state.set("runtime.current_task_id", t.id)
  state.set("runtime.current_task_parent_id", t.parent_id)
  return function()
    state.set("runtime.current_task_id", prev[1] ~= json.null and prev[1] or nil)
    state.set("runtime.current_task_parent_id", prev[2] ~= json.null and prev[2] or nil)
  end
end

local function render(o, t, summary, status, la)
  if o.json then
    io.stdout:write(json.pretty({
      task_id = t.id, status = status, exit_code = summary.code, class = la.class, reason = la.reason or json.null,
      execution_id = la.execution_id or json.null, quarantine_id = la.quarantine_id or json.null, run_id = la.run_id,
      replicas = summary.replicas, winner = summary.winner, converge_mode = summary.converge_mode,
      decision_source = summary.decision_source or json.null, output = summary.stdout,
    }), "\n")
  else
    io.stdout:write(summary.stdout)
    io.stdout:write("task_id: ", t.id, "\n")
    if summary.execution_id then io.stdout:write("execution_id: ", summary.execution_id, "\n") end
    io.stdout:write(t.id, ": ", status, "\n")
  end
  io.stderr:write(summary.stderr)
  if summary.ok then return end
  io.stderr:write("cx task run: ", t.id, " ", status == "pending" and "stopped" or "failed", ": ",
    show.attempt_line(la), "\n")
  t.status, t.last_attempt = status, la
  for _, step in ipairs(show.next_steps(t)) do io.stderr:write("  next: ", step, "\n") end
end

function M.run(argv)
  local h = common.maybe_help(argv, help)
  if h then return h end
  local o, code = parse(argv)
  if not o then return code end
  local s
  s, code = common.open_store()
  if not s then return code end
  local tasks, err = s:load()
  if not tasks then return common.fail("run", err) end
  local by_id = record.index(tasks)
  local t = by_id[o.id]
  if not t then return common.fail("run", "task not found: " .. o.id) end
  if t.status == "complete" then
    if o.json then
      io.stdout:write(json.pretty({ task_id = t.id, status = "complete", exit_code = 0, ran = false }), "\n")
    else
      io.stdout:write(t.id, ": complete\n")
    end
    return 0
  end
  local dep, dep_status = unmet_dependency(t, by_id)
  if dep and not o.ignore_deps then
    local why = dep_status == "failed" and "failed" or dep_status == "missing" and "does not exist"
      or ("is " .. dep_status)
    io.stderr:write(string.format("cx task run: %s did not run: its dependency %s %s\n", t.id, dep, why))
    io.stderr:write("  next: cx task show ", dep, dep_status == "failed" and "    (why it failed)" or "", "\n")
    io.stderr:write("  next: cx task run ", dep, "    (or cx task run ", t.id, " --ignore-deps)\n")
    return 1
  end
  local run_id = new_run_id()
  if not o.managed then
    local claimed, refused = s:claim({ t.id }, { run_id = run_id })
    if not claimed then return common.fail("run", refused) end
    if #claimed == 0 then
      return common.fail("run", t.id .. " is " .. (refused[1] and refused[1].reason or "not claimable")
        .. "; it runs there (cx task show " .. t.id .. ")")
    end
  end
  local restore = point_at(t)
  local started = core.loop.epoch_ms()
  local backend = o.backend or ((t.backend == "codex" or t.backend == "ollama") and t.backend or nil)
  local summary = attempt.run(t, { run_id = run_id, backend = backend, mode = o.mode, started_ms = started,
    epoch_ms = core.loop.epoch_ms })
  restore()
  if summary.warning then io.stderr:write("cx task run: ", summary.warning, "\n") end
  local interrupted = summary.class == "interrupted"
  local status = summary.ok and "complete" or (interrupted and "pending" or "failed")
  local la = attempt.last_attempt(summary, { backend = backend, run_id = run_id, finished_at = record.now() })
  if not o.managed then
    local done, refused = s:finish({ { id = t.id, status = status, last_attempt = la,
      note = interrupted and ("interrupted during task run " .. run_id .. "; not finished") or nil } },
      { run_id = run_id })
    if not done then return common.fail("run", refused) end
    if #done == 0 then return common.fail("run", "task disappeared: " .. t.id) end
  end
  render(o, t, summary, status, la)
  if interrupted then return 1 end -- cli.main exits with the signal's code
  return summary.code
end

return M
