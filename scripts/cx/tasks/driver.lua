--- The run-all driver (docs/scheduler.md, "The run-all driver"): one process, one event loop. The
--- native scheduler (core.sched) decides what starts when — dependencies, caps, locks, fairness,
--- backoff, parked backends; each attempt is a cx.jobs coroutine over the shared loop running
--- cx.tasks.attempt; this module turns attempts' outcomes into scheduler outcomes and task statuses
--- (written in batches by cx.tasks.writer), stops cleanly on a signal or a critical error, and
--- writes the summary row. It never prints: the caller renders the events and the report.
local core = require "cx.core"
local json = require "cx.json"
local config = require "cx.config"
local jobs = require "cx.jobs"
local runlog = require "cx.runlog"
local state = require "cx.state"
local vclock = require "cx.vclock"
local attempt = require "cx.tasks.attempt"
local broker = require "cx.tasks.broker"
local plan = require "cx.tasks.plan"
local record = require "cx.tasks.record"
local store = require "cx.tasks.store"
local writer = require "cx.tasks.writer"

local driver = {}

--- A task parked more often than this (a backend that keeps answering 429 with a reset time) fails
--- with the class of its last refusal (CX_TASK_MAX_PARKS overrides).
driver.MAX_PARKS = 10

--- The summary buckets of a failed task's last class (reference §3.3): policy blocks, transient
--- failures whose retries ran out, and the rest.
function driver.bucket(class)
  if class == "policy_blocked" then return "blocked" end
  if attempt.TRANSIENT[class] then return "retryable" end
  return "non_retryable"
end

--- A run id: `run-<UTC time>-<6 hex>`.
function driver.new_run_id()
  return os.date("!run-%Y%m%dT%H%M%SZ-") .. (core.fs.random_hex(3) or string.format("%06x", math.random(0, 0xffffff)))
end

-- The schedule: the ids in launch order and the wave of each (the plan's, in both modes).
local function schedule(tasks, p, mode, status)
  local wave_of, order = {}, {}
  for _, w in ipairs(p.waves) do
    for _, id in ipairs(w.task_ids) do wave_of[id] = w.index end
  end
  if mode == "mixed" then
    for _, w in ipairs(p.waves) do
      for _, id in ipairs(w.task_ids) do order[#order + 1] = id end
    end
  else
    for _, t in ipairs(tasks) do
      if t.status == status and wave_of[t.id] then order[#order + 1] = t.id end
    end
  end
  return order, wave_of
end

local function available_backends(pool)
  local out = {}
  for _, b in ipairs(pool) do
    if broker.available(b) then out[#out + 1] = b end
  end
  return out
end

--- The default pool: the configured backend (CX_LLM_BACKEND, else state, else codex).
function driver.default_pool()
  return { config.backend(state.load()) }
end

-- The clock of a run: ms since its start (monotonic, or the virtual clock), and epoch ms of those.
local function make_clock(virtual)
  local epoch0 = core.loop.epoch_ms()
  if virtual then
    vclock.start(0)
    return { now = function() return vclock.now() end, epoch = function(ms) return epoch0 + ms end, virtual = true }
  end
  local t0 = core.loop.monotonic_ms()
  return {
    now = function() return math.floor(core.loop.monotonic_ms() - t0) end,
    epoch = function(ms) return epoch0 + ms end,
  }
end

--- Run the tasks of status opts.status. opts = {status, mode ("sequential" | "mixed"), pool (list,
--- nil: driver.default_pool()), caps ({backend = n}), max_workers, fairness, halt (bool), seed,
--- virtual (bool: cx.vclock), progress_ms (wake at least this often for events.progress)}.
--- events (all optional): plan(info), task_finished(info), task_failed(info), skipped(info),
--- critical(info), changed(info), warning(text), progress(info).
--- Returns the report: {kind = "ran" | "none" | "nothing_runnable" | "error", message, ...}.
function driver.run(opts, events)
  events = events or {}
  local s, err = store.open()
  if not s then return { kind = "error", message = err, not_repo = true } end
  local run_id = driver.new_run_id()
  local lock
  lock, err = s:run_lock(run_id)
  if not lock then return { kind = "error", message = err } end
  local ok, report = pcall(driver.run_locked, s, run_id, opts, events)
  vclock.stop()
  lock:release()
  if not ok then error(report, 0) end
  return report
end

-- The summary counts from the tasks' outcomes (reference §3.3): failed = retryable +
-- non_retryable + blocked (policy), critical errors counted as failed and non-retryable.
local function tally(run, outcome_of)
  for _, k in ipairs({ "complete", "failed", "policy_blocked", "retryable", "non_retryable", "critical" }) do
    run[k] = 0
  end
  for _, o in pairs(outcome_of) do
    if o.critical then
      run.failed, run.non_retryable, run.critical = run.failed + 1, run.non_retryable + 1, run.critical + 1
    elseif o.status == "complete" then
      run.complete = run.complete + 1
    elseif o.status == "failed" then
      run.failed = run.failed + 1
      local k = o.bucket == "blocked" and "policy_blocked" or o.bucket
      run[k] = run[k] + 1
    end
  end
end

--- The run-all summary row (reference §4.2) with this run's id and cx's counts.
function driver.summary_row(run)
  return runlog.row("cxtask_runall", {
    command_label = "task_run_all_summary",
    duration_ms = math.max(0, math.tointeger(run.duration_ms) or 0),
    prompt_sha256 = core.digest.sha256_hex("task run-all summary"),
    prompt_preview = "task run-all mode=" .. run.mode,
    schema_enforced = false, schema_valid = true, schema_ok = true,
    run_all_mode = run.mode, halt_on_critical = run.halt_on_critical,
    run_all_scheduled = run.scheduled, run_all_complete = run.complete, run_all_failed = run.failed,
    run_all_blocked = run.policy_blocked, run_all_retryable_failures = run.retryable,
    run_all_non_retryable_failures = run.non_retryable, run_all_critical_errors = run.critical,
    run_all_skipped = run.skipped, run_all_not_run = run.not_run, run_id = run.run_id,
    task_id = json.null, task_parent_id = json.null,
  })
end

function driver.run_locked(s, run_id, opts, events)
  local function emit(name, x)
    if events[name] then events[name](x) end
  end
  local real_t0 = core.loop.monotonic_ms()
  local tasks, err = s:load({ shared = true })
  if not tasks then return { kind = "error", message = err } end
  local selected, stale = 0, 0
  for _, t in ipairs(tasks) do
    if t.status == opts.status then selected = selected + 1 end
    -- we hold the run lock: a claim made under it belongs to a run that is gone
    if t.status == "in_progress" and type(t.claim) == "table" and t.claim.run_lock == true then stale = stale + 1 end
  end
  if stale > 0 then
    emit("warning", string.format("%d task(s) are in_progress for a run that is no longer alive; "
      .. "`cx task recover` puts them back to pending", stale))
  end
  if selected == 0 then return { kind = "none", status = opts.status } end
  local p = plan.build(tasks, opts.status)
  local order, wave_of = schedule(tasks, p, opts.mode, opts.status)
  if #order == 0 then return { kind = "nothing_runnable", status = opts.status, blocked = p.blocked } end

  local pool = opts.pool or driver.default_pool()
  local avail = available_backends(pool)
  if #avail == 0 then
    return { kind = "error", message = "no available backend from --backend-pool", blocked = p.blocked }
  end
  local max_workers = opts.mode == "mixed" and opts.max_workers or 1
  local caps = {}
  for _, b in ipairs(pool) do caps[b] = math.max(1, (opts.caps or {})[b] or max_workers) end
  emit("plan", { run_id = run_id, mode = opts.mode, waves = p.waves, blocked = p.blocked, runnable = #order,
    pool = pool, max_workers = opts.max_workers, caps = opts.caps or {}, fairness = opts.fairness, halt = opts.halt })

  -- Signals are ours from here on (one that comes during the claim is seen at the loop's first turn).
  local loop <close> = core.loop.new()
  local ctx = jobs.context(loop)

  local claimed, refused = s:claim(order, { run_id = run_id })
  if not claimed then return { kind = "error", message = refused, blocked = p.blocked } end
  for _, r in ipairs(refused) do emit("warning", string.format("%s not run: %s", r.id, r.reason)) end

  local by_id = record.index(tasks)
  local policy = broker.policy(state.load())
  local max_parks = config.uint("CX_TASK_MAX_PARKS", driver.MAX_PARKS)
  local sched = core.sched.new({ max_workers = max_workers, fairness = opts.fairness or "round_robin",
    seed = opts.seed or 0 })
  local bidx, bname = {}, {}
  for _, b in ipairs(avail) do
    bidx[b] = sched:backend(b, caps[b])
    bname[bidx[b]] = b
  end
  local in_run, satisfied = {}, {}
  for _, id in ipairs(claimed) do in_run[id] = true end
  local info = {} -- scheduler task index -> {id, task, wave, pinned, parks}
  for pos, id in ipairs(claimed) do
    local t = by_id[id]
    local b = broker.fallback(broker.choose(t.backend, pool, pos - 1, policy), avail)
    local pinned = type(t.backend) == "string" and t.backend:lower() == b
    local alternatives
    if not pinned then
      alternatives = {}
      for _, other in ipairs(avail) do
        if other ~= b then alternatives[#alternatives + 1] = bidx[other] end
      end
    end
    local deps = plan.deps(t)
    for _, d in ipairs(deps) do
      local dt = by_id[d]
      if not in_run[d] and not satisfied[d] and dt and dt.status == "complete" then
        satisfied[d] = true
        sched:satisfied(d)
      end
    end
    local i = sched:task({ id = id, order = pos, backend = bidx[b], alternatives = alternatives,
      max_retries = math.tointeger(t.max_retries) or 0, deps = deps, locks = plan.resource_keys(t) })
    info[i] = { id = id, task = t, wave = wave_of[id], pinned = pinned, parks = 0 }
  end
  local n = #claimed
  local clock = make_clock(opts.virtual)
  local w = writer.new(s, run_id, { interval_ms = max_workers == 1 and 0 or nil })
  local sealed = sched:seal(clock.now())
  for _, b in ipairs(sealed) do emit("warning", string.format("%s not run: %s", b.id, b.reason)) end

  local run = {
    kind = "ran", run_id = run_id, mode = opts.mode, status = opts.status, waves = p.waves, blocked = p.blocked,
    scheduled = n, skipped = 0, not_run = 0, halted = false, halt_on_critical = opts.halt and true or false,
    refused = refused, seal_blocked = sealed, launches = 0,
  }
  local outcome_of = {} -- id -> {status, bucket, last_attempt, critical, ancestor, why}
  local dead = {}       -- backends that exhausted their quota with no reset time
  local interrupted = {}
  local stopping, signal_name
  local running = {}    -- cx.jobs attempt -> {i, attempt, backend_name}

  local function stop(why)
    if stopping then return end
    stopping = why
    sched:stop()
  end
  local function check_signal()
    if signal_name then return end
    local signo, name = core.signals.pending()
    if signo then
      signal_name = name
      stopping = "signal" -- also after a halt: what still runs is cancelled
      sched:stop()
      jobs.cancel_all(ctx, "interrupted")
    end
  end

  local function critical(id, message)
    local o = outcome_of[id] or {}
    outcome_of[id] = o
    if o.critical then return end
    o.status, o.bucket, o.critical = "failed", "non_retryable", message
    emit("critical", { id = id, message = message })
    if opts.halt then
      run.halted = true
      stop("halted")
    end
  end

  local function flush(force)
    local r = w:flush(core.loop.monotonic_ms(), force)
    if not r then return end
    for _, c in ipairs(r.critical) do
      if c.status == "pending" then -- a task going back to pending: not run, nothing of it is lost
        emit("warning", string.format("%s: could not be put back to pending (%s); it stays in_progress until "
          .. "`cx task recover`", c.id, c.reason))
      else
        critical(c.id, c.reason)
      end
    end
    for _, c in ipairs(r.changed) do emit("changed", c) end
  end

  local function final(i, status, summary, la, bucket)
    local id = info[i].id
    outcome_of[id] = { status = status, bucket = bucket, last_attempt = la }
    w:add({ id = id, status = status, last_attempt = la })
    emit("task_finished", { id = id, status = status, summary = summary, last_attempt = la })
    if status == "failed" then emit("task_failed", { id = id, last_attempt = la, summary = summary }) end
  end

  local function record_skips(res, now)
    for _, sk in ipairs(res.skipped or {}) do
      run.skipped = run.skipped + 1
      local reason = "dependency " .. sk.ancestor_id .. " failed"
      w:add({ id = sk.id, status = "pending", blocked_by = { id = sk.ancestor_id, status = "failed", reason = reason,
        run_id = run_id, time = record.now() }, note = "not run in " .. run_id .. ": " .. reason })
      outcome_of[sk.id] = { status = "skipped", ancestor = sk.ancestor_id }
      emit("skipped", { id = sk.id, ancestor = sk.ancestor_id, at_ms = now })
    end
  end

  local function facts(i, a)
    local t = info[i].task
    return { attempt = a.attempt, max_attempts = (math.tointeger(t.max_retries) or 0) + 1,
      backend = a.backend_name, run_id = run_id, finished_at = record.now() }
  end

  -- An attempt ended: what it means for the scheduler and for the task.
  local function on_finished(f)
    local a = running[f.attempt]
    running[f.attempt] = nil
    local i = a.i
    local now = clock.now()
    if not f.ok then
      local summary = { ok = false, class = "internal_error", reason = f.error }
      local res = sched:finish(i, "failed", now, { class = "internal_error" })
      final(i, "failed", summary, attempt.last_attempt(summary, facts(i, a)), "non_retryable")
      record_skips(res, now)
      critical(info[i].id, "internal error: " .. tostring(f.error))
      return
    end
    local summary = f.results[1]
    local class = summary.class
    local outcome, fopts = "ok", {}
    if summary.ok then -- luacheck: ignore 542
    elseif class == "interrupted" then
      outcome = "interrupted"
    elseif (class == "rate_limited" or class == "quota_exhausted") and summary.retry_after_ms
      and info[i].parks < max_parks then
      info[i].parks = info[i].parks + 1
      info[i].parked = { class = "parked:" .. class, at = now }
      outcome = "park"
      fopts = { class = "parked:" .. class, park_until_ms = now + math.max(1, summary.retry_after_ms) }
    else
      if class == "quota_exhausted" and not summary.retry_after_ms then dead[a.backend_name] = true end
      outcome = attempt.TRANSIENT[class] and "retry" or "failed"
      fopts = { class = class }
    end
    local res = sched:finish(i, outcome, now, fopts)
    if outcome == "interrupted" then
      interrupted[info[i].id] = summary.reason or "interrupted"
    elseif res.state == "complete" then
      final(i, "complete", summary, attempt.last_attempt(summary, facts(i, a)), nil)
    elseif res.state == "failed" then
      final(i, "failed", summary, attempt.last_attempt(summary, facts(i, a)), driver.bucket(class))
    end
    record_skips(res, now)
  end

  -- A task launched on a backend that exhausted its quota with no reset time: an auto task moves
  -- to another backend of the pool (a park of 1 ms moves it); a pinned one fails without a call.
  local function on_dead_backend(l, now)
    local i = l.task
    if not info[i].pinned then
      record_skips(sched:finish(i, "park", now, { class = "parked:quota_exhausted", park_until_ms = now + 1 }), now)
      return
    end
    local summary = { ok = false, class = "quota_exhausted",
      reason = "not run: backend " .. l.backend_name .. " exhausted its quota earlier in this run (no reset time)" }
    local res = sched:finish(i, "failed", now, { class = "quota_exhausted" })
    final(i, "failed", summary, attempt.last_attempt(summary, facts(i, { attempt = l.attempt,
      backend_name = l.backend_name })), "non_retryable")
    record_skips(res, now)
  end

  local function start(l, now)
    if dead[l.backend_name] then return on_dead_backend(l, now) end
    local i = l.task
    local t = info[i].task
    -- after a park of its own attempt: why it waited, and how long
    local reason, backoff = l.retry_reason, l.retry_backoff_ms
    local parked = info[i].parked
    if parked then
      reason, backoff = parked.class, now - parked.at
      info[i].parked = nil
    end
    local launch = {
      run_id = run_id, backend = l.backend_name, worker = l.worker, queue_ms = l.queue_ms,
      retry_attempt = l.attempt, retry_max = math.tointeger(t.max_retries) or 0, retry_reason = reason,
      retry_backoff_ms = backoff, wave = info[i].wave, started_ms = clock.epoch(now),
      run_offset_ms = now - (l.entered_ms or 0), moved_from = l.moved_from and bname[l.moved_from],
      epoch_ms = function() return clock.epoch(clock.now()) end,
    }
    run.launches = run.launches + 1
    local a, fin = jobs.start(ctx, attempt.run, t, launch)
    running[a] = { i = i, attempt = l.attempt, backend_name = l.backend_name }
    if fin then on_finished(fin) end
  end

  local function launch_all()
    while not stopping do
      local now = clock.now()
      local l = sched:next(now)
      if not l then return end
      start(l, now)
    end
  end

  -- Wait for the next thing to happen: a completion, a backoff or park ending, a batch due. Returns
  -- the completions ({} when only time passed), or nil when nothing can happen any more.
  local function wait()
    local now = clock.now()
    local wake = sched:wake_ms(now)
    if clock.virtual and loop:pending() == vclock.pending() then
      local id, at = vclock.earliest()
      if wake and (not at or wake < at) then
        vclock.advance(wake)
        return {}
      end
      if not id then return nil end
      local entry = vclock.fire(loop, id)
      local out = {}
      repeat
        for _, c in ipairs(loop:wait(0)) do out[#out + 1] = c.id == id and vclock.completion(c, entry) or c end
      until #out > 0
      return out
    end
    local timeout
    if wake and not clock.virtual then timeout = math.max(0, wake - now) end
    local due = w:due_at()
    if due then
      local d = math.max(0, math.ceil(due - core.loop.monotonic_ms()))
      timeout = timeout and math.min(timeout, d) or d
    end
    if opts.progress_ms then timeout = math.min(timeout or opts.progress_ms, opts.progress_ms) end
    if loop:pending() == 0 then
      if not timeout then return nil end
      loop:timer(timeout) -- something to wait on (cx.jobs ignores its completion)
    end
    return loop:wait(timeout)
  end

  check_signal()
  while sched:remaining() > 0 do
    flush(false) -- before launching: a critical store error must halt before more starts
    launch_all()
    if sched:remaining() == 0 then break end
    if events.progress then
      emit("progress", { now_ms = clock.now(), stats = sched:stats(), counts = sched:counts(), n = n })
    end
    local completions = wait()
    if completions == nil then
      emit("warning", "internal: tasks are left but nothing can start or finish; stopping")
      stop("stall")
      break
    end
    for _, c in ipairs(completions) do
      local f = jobs.deliver(ctx, c)
      if f then
        on_finished(f)
        flush(false) -- a due batch first: a critical store error must halt before more starts
        launch_all() -- the freed slot starts its next task now, not after the whole batch
      end
    end
    check_signal()
  end

  -- Tasks that did not end: back to pending, each with a note of why.
  for i = 1, n do
    local ti = sched:task_info(i)
    local id = info[i].id
    if ti.state == "blocked" then
      w:add({ id = id, status = "pending", note = "not run in " .. run_id .. ": " .. (ti.blocked_reason or "blocked") })
    elseif ti.state == "waiting" or ti.state == "ready" or ti.state == "backoff" then
      run.not_run = run.not_run + 1
      local why = interrupted[id] and ("interrupted: " .. interrupted[id])
        or (signal_name and ("the run was stopped by " .. signal_name))
        or (stopping == "halted" and "the run halted on a critical error") or "the run stopped"
      w:add({ id = id, status = "pending", note = "not run to the end in " .. run_id .. ": " .. why })
      outcome_of[id] = outcome_of[id] or { status = "not_run", why = why }
    end
  end
  local before = run.halted
  flush(true)
  run.halted = before -- a failed final write is reported, but nothing is left to halt
  tally(run, outcome_of)
  -- What the run scheduled, as the reference's readers judge it (diag: halted = complete + failed <
  -- scheduled): not the dependents it skipped nor the tasks blocked at seal, and after a signal not
  -- the tasks it never reached, so that only a halt on a critical error reads as a halt.
  run.scheduled = n - run.skipped - #sealed - (signal_name and run.not_run or 0)
  run.signal = signal_name
  run.interrupted = next(interrupted) ~= nil
  run.outcomes = outcome_of
  run.writes = w.writes
  run.virtual_ms = clock.virtual and clock.now() or nil
  run.duration_ms = math.floor(core.loop.monotonic_ms() - real_t0)
  local ok, row_err = runlog.append(driver.summary_row(run))
  if not ok then emit("warning", "the summary row was not written: " .. tostring(row_err)) end
  return run
end

return driver
