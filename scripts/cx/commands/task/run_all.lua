--- `cx task run-all [flags] [--json]` (reference scheduler.md §3): run the tasks of a status on the
--- scheduler (cx.tasks.driver): flags, messages, header, summary line and exit codes of the
--- reference; rendering of the driver's events (failures, skipped dependents, critical errors, the
--- progress line on a terminal).
local common = require "cx.commands.task.common"
local show = require "cx.commands.task.show"
local config = require "cx.config"
local json = require "cx.json"
local progress = require "cx.progress"
local driver = require "cx.tasks.driver"

local M = {}

M.USAGE = "cx task run-all [--status pending|in_progress|complete|failed] [--mode sequential|mixed] "
  .. "[--backend-pool codex,ollama] [--backend-cap backend=limit] [--max-workers N] "
  .. "[--fairness round_robin|least_loaded] [--halt-on-critical|--continue-on-critical]"

local function help()
  return common.help(M.USAGE .. " [--json]", "Run the tasks of a status (pending by default) in this process, on "
    .. "one event loop: dependencies and resource locks hold at run time, each backend runs at most its cap, "
    .. "transient failures are retried with backoff, a backend that says when its quota resets is parked until "
    .. "then, and the dependents of a failed task are skipped (they stay pending). sequential runs one task at a "
    .. "time in file order; mixed runs the plan's waves (cx task run-plan) on --max-workers workers.", {
      { "--status S", "the tasks to run (default pending)" },
      { "--mode M", "sequential (default) or mixed" },
      { "--backend-pool L", "codex and/or ollama (default: the configured backend)" },
      { "--backend-cap B=N", "at most N attempts at once on backend B (default: --max-workers); repeatable" },
      { "--max-workers N", "attempts at once in mixed mode (default 1)" },
      { "--fairness F", "round_robin (default) or least_loaded between backends" },
      { "--halt-on-critical", "stop launching at the first critical error (default: CX_TASK_HALT_ON_CRITICAL=1)" },
      { "--continue-on-critical", "keep going after critical errors" },
      { "--json", "one JSON document: the plan, every task's outcome and the summary" },
    }, "Critical errors: a task status that cannot be written (tasks.json unwritable or replaced), a task that "
      .. "disappeared from tasks.json, an internal error of an attempt. docs/scheduler.md, docs/recovery.md.\n"
      .. "Exit codes: 0 every task complete; 1 a task failed, was skipped or blocked, a critical error, a "
      .. "store error, no available backend; 2 usage error; 130/143/129 stopped by a signal.")
end

local function usage_error(message)
  return nil, common.usage_error("run-all", message)
end

local function parse(argv)
  local o = {
    status = "pending", mode = "sequential", caps = {}, max_workers = 1, fairness = "round_robin",
    halt = config.u8_bool("CX_TASK_HALT_ON_CRITICAL", false), json = false,
  }
  local i = 1
  local function value()
    local v = argv[i + 1]
    i = i + 1
    return v
  end
  while i <= #argv do
    local a = argv[i]
    if a == "--status" or a == "--mode" or a == "--backend-pool" or a == "--backend-cap" or a == "--max-workers"
      or a == "--fairness" then
      local v = value()
      if v == nil then return nil, common.usage(M.USAGE) end
      if a == "--status" then
        if not common.status_value(v) then return usage_error("invalid status '" .. v .. "'") end
        o.status = v
      elseif a == "--mode" then
        if v ~= "sequential" and v ~= "mixed" then return usage_error("invalid mode '" .. v .. "'") end
        o.mode = v
      elseif a == "--backend-pool" then
        local set = {}
        for part in v:gmatch("[^,]+") do
          local b = part:match("^%s*(.-)%s*$"):lower()
          if b == "codex" or b == "ollama" then set[b] = true end
        end
        local pool = {}
        for _, b in ipairs({ "codex", "ollama" }) do
          if set[b] then pool[#pool + 1] = b end
        end
        if #pool == 0 then return usage_error("--backend-pool requires codex and/or ollama") end
        o.pool = pool
      elseif a == "--backend-cap" then
        local name, limit = v:match("^([^=]*)=(.*)$")
        if not name then return usage_error("--backend-cap must use backend=limit") end
        local b = name:match("^%s*(.-)%s*$"):lower()
        if b ~= "codex" and b ~= "ollama" then return usage_error("invalid backend in cap '" .. name .. "'") end
        local n = config.parse_uint(limit:match("^%s*(.-)%s*$"), 0xffffffff)
        if not n then return usage_error("invalid cap limit '" .. limit .. "'") end
        if n == 0 then return usage_error("backend cap must be >= 1") end
        o.caps[b] = n
      elseif a == "--max-workers" then
        local n = config.parse_uint(v, 0xffffffff)
        if not n then return usage_error("--max-workers must be an integer") end
        if n < 1 then return usage_error("--max-workers must be >= 1") end
        o.max_workers = n
      else
        local f = v:match("^%s*(.-)%s*$"):lower()
        if f ~= "round_robin" and f ~= "least_loaded" then return usage_error("invalid fairness '" .. v .. "'") end
        o.fairness = f
      end
    elseif a == "--halt-on-critical" then
      o.halt = true
    elseif a == "--continue-on-critical" then
      o.halt = false
    elseif a == "--json" then
      o.json = true
    else
      return usage_error("unknown flag '" .. a .. "'")
    end
    i = i + 1
  end
  return o
end

local function err(line)
  io.stderr:write("cx task run-all: ", line, "\n")
end

local function blocked_lines(blocked)
  if not blocked or #blocked == 0 then return end
  err("blocked tasks prevent full schedule:")
  for _, b in ipairs(blocked) do io.stderr:write(" - ", b.id, ": ", common.cell(b.reason), "\n") end
end

local function caps_text(caps)
  local names = {}
  for b in pairs(caps) do names[#names + 1] = b end
  table.sort(names)
  local parts = {}
  for _, b in ipairs(names) do parts[#parts + 1] = b .. "=" .. caps[b] end
  return #parts > 0 and table.concat(parts, ",") or "none"
end

-- The progress line: done / running / failed / queued, and per backend.
local function progress_text(p)
  local c = p.counts
  local done = c.complete + c.failed + c.skipped + c.blocked
  local parts = { string.format("cx: run-all %d/%d done (%d failed), %d running, %d queued", done, p.n,
    c.failed + c.skipped, c.running, c.ready + c.backoff + c.waiting) }
  for _, b in ipairs(p.stats) do
    local park = b.parked_until and b.parked_until > p.now_ms and " parked" or ""
    parts[#parts + 1] = string.format("%s %d run %d queued%s", b.name, b.running, b.queued, park)
  end
  return table.concat(parts, " | ")
end

local function events_for(o)
  local line = progress.line(200)
  local ev = {}
  function ev.plan(p)
    blocked_lines(p.blocked)
    if o.json or p.mode ~= "mixed" then return end
    io.stdout:write(string.format("run-all mode=mixed waves=%d runnable=%d backend_pool=%s max_workers=%d "
      .. "backend_caps=%s fairness=%s halt_on_critical=%s\n", #p.waves, p.runnable, table.concat(p.pool, ","),
      p.max_workers, caps_text(p.caps), p.fairness, tostring(p.halt)))
    for _, w in ipairs(p.waves) do
      io.stdout:write(string.format("wave %d [%s] -> %s\n", w.index, w.mode, table.concat(w.task_ids, ",")))
    end
    io.stdout:flush() -- the plan before any task's message on stderr, also in `2>&1 | tee`
  end
  function ev.task_finished(f)
    if o.json or o.mode == "mixed" and o.max_workers > 1 then return end
    if line then line.clear() end
    io.stdout:write(f.summary.stdout or "")
    io.stdout:flush()
    io.stderr:write(f.summary.stderr or "")
  end
  function ev.task_failed(f)
    if line then line.clear() end
    err("task failed: " .. f.id .. " (" .. show.attempt_line(f.last_attempt) .. ")")
  end
  function ev.skipped(f)
    if line then line.clear() end
    err(string.format("skipped %s: its dependency %s failed (it stays pending; cx task show %s)", f.id, f.ancestor,
      f.id))
  end
  function ev.critical(f)
    if line then line.clear() end
    err("critical error for " .. f.id .. ": " .. common.cell(f.message))
  end
  function ev.changed(f)
    err(f.id .. ": " .. common.cell(f.reason) .. "; its status was changed meanwhile and is left as it is")
  end
  function ev.warning(text)
    if line then line.clear() end
    err("warning: " .. common.cell(text))
  end
  if line then
    function ev.progress(p) line.draw(progress_text(p), p.now_ms) end
  end
  return ev, line
end

local function json_report(o, run)
  local tasks = {}
  for id, x in pairs(run.outcomes) do
    local la = x.last_attempt or {}
    tasks[#tasks + 1] = {
      id = id, status = x.status, class = la.class or json.null, reason = x.critical or la.reason or x.why
        or (x.ancestor and ("dependency " .. x.ancestor .. " failed")) or json.null,
      execution_id = la.execution_id or json.null, quarantine_id = la.quarantine_id or json.null,
      attempt = la.attempt or json.null, backend = la.backend or json.null, skipped_by = x.ancestor or json.null,
      critical = x.critical and true or false,
    }
  end
  table.sort(tasks, function(a, b) return a.id < b.id end)
  local blocked = {}
  for k, b in ipairs(run.blocked or {}) do blocked[k] = { id = b.id, reason = b.reason } end
  return {
    run_id = run.run_id or json.null, mode = o.mode, status_filter = o.status,
    waves = json.array(run.waves or {}), blocked = json.array(blocked),
    backend_pool = o.pool and json.array(o.pool) or json.null, max_workers = o.max_workers, fairness = o.fairness,
    halt_on_critical = o.halt,
    summary = {
      scheduled = run.scheduled or 0, complete = run.complete or 0, failed = run.failed or 0,
      blocked = run.policy_blocked or 0, retryable_failures = run.retryable or 0,
      non_retryable_failures = run.non_retryable or 0, critical_errors = run.critical or 0,
      skipped = run.skipped or 0, not_run = run.not_run or 0,
    },
    halted = run.halted or false, signal = run.signal or json.null, tasks = json.array(tasks),
    duration_ms = run.duration_ms or 0, store_writes = run.writes or 0,
  }
end

function M.run(argv)
  local h = common.maybe_help(argv, help)
  if h then return h end
  local o, code = parse(argv)
  if not o then return code end
  local ev, line = events_for(o)
  local run = driver.run({
    status = o.status, mode = o.mode, pool = o.pool, caps = o.caps, max_workers = o.max_workers,
    fairness = o.fairness, halt = o.halt, virtual = config.u8_bool("CX_MOCK_VIRTUAL_CLOCK", false),
    progress_ms = line and 200 or nil,
  }, ev)
  if line then line.clear() end
  if run.kind == "error" then
    if run.not_repo then
      io.stderr:write(run.message, "\n")
    else
      blocked_lines(run.blocked)
      err((tostring(run.message):gsub("^task run%-all: ", "")))
    end
    return 1
  end
  if run.kind == "none" then
    if o.json then
      io.stdout:write(json.pretty(json_report(o, { outcomes = {} })), "\n")
    else
      io.stdout:write("No tasks matched status '", o.status, "'.\n")
    end
    return 0
  end
  if run.kind == "nothing_runnable" then
    blocked_lines(run.blocked)
    if o.json then
      io.stdout:write(json.pretty(json_report(o, { outcomes = {}, blocked = run.blocked })), "\n")
    else
      io.stdout:write("No runnable tasks for status '", o.status, "'.\n")
    end
    return #run.blocked > 0 and 1 or 0
  end
  if o.json then
    io.stdout:write(json.pretty(json_report(o, run)), "\n")
  else
    io.stdout:write(string.format("run-all summary: mode=%s, complete=%d, failed=%d, blocked=%d, "
      .. "retryable_failures=%d, non_retryable_failures=%d, critical_errors=%d\n", run.mode, run.complete, run.failed,
      run.policy_blocked, run.retryable, run.non_retryable, run.critical))
    if run.halted then io.stdout:write("run-all halted_on_critical: true\n") end
    if run.skipped > 0 then
      io.stdout:write("run-all skipped: ", run.skipped, " (a dependency failed; they stay pending)\n")
    end
    if run.not_run > 0 then
      io.stdout:write("run-all not_run: ", run.not_run, " (the run stopped first; they stay pending)\n")
    end
    io.stdout:write("run-all run_id: ", run.run_id, "\n")
  end
  local blocked = #(run.blocked or {}) + #(run.seal_blocked or {}) + #(run.refused or {})
  if run.failed > 0 or run.halted or run.skipped > 0 or run.not_run > 0 or blocked > 0 then return 1 end
  return 0
end

return M
