--- Waiting on loop jobs, the one way cx does it: code that runs a child, a transfer or a timer calls
--- `jobs.await(add)` and gets the job's completion, whether it runs alone (a private loop, progress
--- ticks, woken by signals) or inside a scheduled attempt (a coroutine over the scheduler's shared
--- loop, resumed by the driver). Signals (core.signals, docs/loop.md): once one is pending no new job
--- starts, and a job running when it arrives is cancelled (TERM to its process group, KILL after a
--- short grace); both come back as a completion of class `interrupted`.
local core = require "cx.core"
local config = require "cx.config"

local M = {}

--- TERM-to-KILL grace of a job cancelled by an interrupt (CX_INTERRUPT_GRACE_MS overrides, at most
--- a minute): short, the user is waiting for the prompt back.
M.DEFAULT_INTERRUPT_GRACE_MS = 1000
local MAX_INTERRUPT_GRACE_MS = 60000

-- What a coroutine yields to its driver, so a stray yield inside an attempt is told apart.
local AWAITING = setmetatable({}, { __name = "cx.jobs.awaiting" })

-- The attempt each running coroutine belongs to (weak: a finished coroutine leaves nothing behind).
local attempts_by_co = setmetatable({}, { __mode = "k" })

function M.interrupt_grace_ms()
  local ms = config.uint("CX_INTERRUPT_GRACE_MS", M.DEFAULT_INTERRUPT_GRACE_MS)
  return math.min(ms, MAX_INTERRUPT_GRACE_MS)
end

-- The class and message of a stop: `interrupted by SIGINT` while a signal is pending.
local function stop_reason(reason)
  local _, name = core.signals.pending()
  if reason == "interrupted" then
    return "interrupted", name and ("interrupted by " .. name) or "interrupted", name
  end
  return reason, reason, nil
end

-- A completion cancelled for `reason` becomes a failure of that class (other fields kept: what
-- the child printed, its status). One that finished before the cancel took is left as it came.
local function mark_stopped(c, reason)
  if c.class ~= "cancelled" then return c end
  c.ok, c.timed_out, c.timeout_phase = false, false, nil
  c.class, c.error, c.signal_name = stop_reason(reason)
  c.cancel_reason = reason
  return c
end

-- The completion of a job that was never added because the work is stopping.
local function not_started(reason)
  local c = { ok = false, duration_ms = 0, timed_out = false, cancel_reason = reason, not_started = true }
  c.class, c.error, c.signal_name = stop_reason(reason)
  return c
end

---------------------------------------------------------------------------------------------------
-- Plain code: a private loop per job.

local function await_alone(add, opts)
  if core.signals.pending() then return not_started("interrupted") end
  core.signals.defer() -- from the first job on, a signal is ours to handle (no-op unless installed)
  local loop <close> = core.loop.new()
  local id, err, class = add(loop)
  if not id then return nil, err, class end
  local progress = opts and opts.progress
  local started = core.loop.monotonic_ms()
  local next_tick = started + 1000
  local done, cancelled
  while not done do
    for _, c in ipairs(loop:wait(progress and math.max(1, math.ceil(next_tick - core.loop.monotonic_ms())) or nil)) do
      if c.id == id then done = c end
    end
    if not done and not cancelled and core.signals.pending() then
      cancelled = loop:cancel(id, M.interrupt_grace_ms())
    end
    local now = core.loop.monotonic_ms()
    if not done and progress and now >= next_tick then
      progress(now - started)
      next_tick = now + 1000
    end
  end
  if progress then progress(nil) end
  if cancelled then mark_stopped(done, "interrupted") end
  return done
end

---------------------------------------------------------------------------------------------------
-- Scheduled attempts: coroutines over one shared loop, resumed by the driver.

--- One context per scheduler run, over its loop. Creating it means signals are handled from now on.
function M.context(loop)
  core.signals.defer()
  return { loop = loop, waiting = {}, cancelled = {}, live = 0, started = 0, stopped = nil }
end

-- Resume an attempt with value; returns the finished record when the coroutine ended.
local function resume(ctx, attempt, value)
  local r = table.pack(coroutine.resume(attempt.co, value))
  local finished
  if coroutine.status(attempt.co) == "dead" then
    finished = { attempt = attempt, ok = r[1] }
    if r[1] then
      finished.results = table.pack(table.unpack(r, 2, r.n))
    else
      finished.error = tostring(r[2])
      finished.traceback = debug.traceback(attempt.co, finished.error)
    end
  elseif r[2] ~= AWAITING then
    coroutine.close(attempt.co)
    finished = { attempt = attempt, ok = false, error = "attempt yielded outside cx.jobs.await" }
  else
    return nil
  end
  attempts_by_co[attempt.co] = nil
  ctx.live = ctx.live - 1
  attempt.finished = finished
  return finished
end

--- Start fn(...) as an attempt of ctx: it runs now up to its first await. Returns the attempt, and
--- its finished record when it ended without awaiting anything (else nil: deliver will return it).
function M.start(ctx, fn, ...)
  local args = table.pack(...)
  ctx.started = ctx.started + 1
  local attempt = { n = ctx.started, ctx = ctx }
  attempt.co = coroutine.create(function() return fn(table.unpack(args, 1, args.n)) end)
  attempts_by_co[attempt.co] = attempt
  ctx.live = ctx.live + 1
  return attempt, resume(ctx, attempt, nil)
end

--- Hand a completion of ctx.loop to the attempt awaiting it. Returns the finished record when that
--- attempt ended: {attempt, ok, results (fn's returns, packed) | error, traceback}; nil while it
--- runs on, and nil for a job no attempt awaits (the driver's own timers, for instance).
function M.deliver(ctx, c)
  local attempt = ctx.waiting[c.id]
  if not attempt then return nil end
  ctx.waiting[c.id] = nil
  local reason = ctx.cancelled[c.id]
  if reason then
    ctx.cancelled[c.id] = nil
    mark_stopped(c, reason)
  end
  attempt.job = nil
  return resume(ctx, attempt, c)
end

--- True when job id belongs to an attempt of ctx.
function M.owns(ctx, id)
  return ctx.waiting[id] ~= nil
end

--- Stop everything: cancel every job of every attempt (processes get TERM, then KILL after the
--- interrupt grace) and make every later await of ctx return at once. Each awaiting attempt gets a
--- completion of class `reason` (default "interrupted") through deliver. Returns how many jobs
--- were cancelled.
function M.cancel_all(ctx, reason)
  reason = reason or "interrupted"
  ctx.stopped = ctx.stopped or reason
  local grace, n = M.interrupt_grace_ms(), 0
  for id in pairs(ctx.waiting) do
    if not ctx.cancelled[id] and ctx.loop:cancel(id, grace) then
      ctx.cancelled[id] = reason
      n = n + 1
    end
  end
  return n
end

--- Attempts of ctx that have not finished.
function M.running(ctx)
  return ctx.live
end

local function await_in(attempt, add)
  local ctx = attempt.ctx
  if ctx.stopped then return not_started(ctx.stopped) end
  if core.signals.pending() then return not_started("interrupted") end
  local id, err, class = add(ctx.loop)
  if not id then return nil, err, class end
  ctx.waiting[id] = attempt
  attempt.job = id
  return coroutine.yield(AWAITING)
end

---------------------------------------------------------------------------------------------------

--- Run one job and return its completion (docs/loop.md), or nil, message, class when add could not
--- add it (add's own return, as is). add(loop) adds exactly one job and returns its id.
--- opts.progress(elapsed_ms), outside the scheduler: called about once a second, and with nil at
--- the end. A stopped job completes with ok=false, class "interrupted" (signal_name, error
--- "interrupted by SIGINT"), cancel_reason; a job not started because of a stop also has
--- not_started=true and no id.
function M.await(add, opts)
  local attempt = attempts_by_co[coroutine.running()]
  if attempt then return await_in(attempt, add) end
  return await_alone(add, opts)
end

return M
