-- A discrete-event simulator over require("cx.core").sched, mirroring tests/native/scheduler_sim.c:
-- it drives a scheduler in simulated time (launch all that next() gives, jump to the next
-- completion or wake time, deliver completions) and checks every decision against an oracle of
-- its own: worker slots (lowest free, never shared), caps, parks, stop, lock conflicts (the
-- lock-key rule re-implemented here), dependencies finished ok before a start, attempt counts,
-- backoff bounds, queue_ms = start - ready_ms, the reservation rule, work conservation after
-- every drain, and that every task ends exactly once. A driver test (pkg runall) can reuse it.
local M = {}

-- The lock-key rule: mode after the LAST ':' when it is read/write, else the whole key, write.
function M.lock_parse(key)
  local domain, mode = key:match("^(.*):(%a+)$")
  if mode == "read" or mode == "write" then return domain, mode == "write" end
  return key, true
end

-- Do two lists of parsed locks {domain, write} conflict?
local function conflicts(a, b)
  for _, x in ipairs(a) do
    for _, y in ipairs(b) do
      if x.domain == y.domain and (x.write or y.write) then return true end
    end
  end
  return false
end
M.conflicts = conflicts

local function backoff_base(attempt)
  return math.min(250 * 2 ^ math.min(attempt - 1, 3), 2000) // 1
end

-- splitmix64 over Lua's wrapping 64-bit integers; returns a non-negative integer < n.
local function rng(seed)
  local state = seed
  return function(n)
    state = state + 0x9e3779b97f4a7c15
    local x = state
    x = (x ~ (x >> 30)) * 0xbf58476d1ce4e5b9
    x = (x ~ (x >> 27)) * 0x94d049bb133111eb
    x = x ~ (x >> 31)
    return (x >> 1) % n
  end
end
M.rng = rng

-- run(s, specs, script, opts) -> report
--   s        an unsealed scheduler holding `specs` (added in this order)
--   specs    the task tables given to s:task (id, backend (index), deps, locks, max_retries,
--            alternatives)
--   script   function(launch, now) -> { outcome =, latency =, park_ms =, class = }
--   opts     { check_idle = bool, stop_at = ms|nil, jitter_percent = n (default 50) }
-- report = { launches = {...}, violations = {...}, ended = {state = count}, not_run = n,
--            end_ms =, trace = "task:backend:worker:attempt@time,..." }
function M.run(s, specs, script, opts)
  opts = opts or {}
  local jitter = opts.jitter_percent or 50
  local r = { launches = {}, violations = {}, ended = {}, not_run = 0, max_running = 0 }
  local now = 0
  local function violation(fmt, ...)
    if #r.violations < 20 then r.violations[#r.violations + 1] = ("t=%d: " .. fmt):format(now, ...) end
  end
  local n = #specs
  local stats = s:stats()
  local caps, park, running_on = {}, {}, {}
  for b, st in ipairs(stats) do caps[b], park[b], running_on[b] = st.cap, math.mininteger, 0 end
  local workers = s:max_workers()
  local tasks = {}
  for i, sp in ipairs(specs) do
    local t = { state = "fresh", ends = 0, counted = 0, deps = {}, locks = {}, pending = 0, origin = 0 }
    local seen = {}
    for _, d in ipairs(sp.deps or {}) do
      local di = s:find(d)
      if di and not seen[di] then seen[di] = true; t.deps[#t.deps + 1] = di end
    end
    t.pending = #t.deps
    for _, key in ipairs(sp.locks or {}) do
      local domain, write = M.lock_parse(key)
      t.locks[#t.locks + 1] = { domain = domain, write = write }
    end
    tasks[i] = t
  end
  local slots, nrunning, stopped, any_park = {}, 0, false, false
  local events, seq = {}, 0
  local trace = {}

  local function reservations(except)
    local min, min_w = {}, {}
    for i = 1, n do
      local info = s:task_info(i)
      if info.ticket and i ~= except then
        if info.state ~= "ready" or park[info.backend] > now then
          violation("%s holds a ticket while %s", info.id, info.state)
        end
        for _, lk in ipairs(tasks[i].locks) do
          if not min[lk.domain] or info.ticket < min[lk.domain] then min[lk.domain] = info.ticket end
          if lk.write and (not min_w[lk.domain] or info.ticket < min_w[lk.domain]) then
            min_w[lk.domain] = info.ticket
          end
        end
      end
    end
    return min, min_w
  end

  local function reserved(i, ticket, min, min_w)
    local key = ticket or math.maxinteger
    for _, lk in ipairs(tasks[i].locks) do
      if (min_w[lk.domain] or math.maxinteger) < key then return true end
      if lk.write and (min[lk.domain] or math.maxinteger) < key then return true end
    end
    return false
  end

  local function holds_conflict(i)
    for w = 1, workers do
      local o = slots[w]
      if o and conflicts(tasks[i].locks, tasks[o].locks) then return s:task_info(o).id end
    end
  end

  local function check_launch(l, tickets)
    local t, sp = tasks[l.task], specs[l.task]
    if stopped then violation("%s launched after stop", l.id) end
    if t.state ~= "fresh" then violation("%s launched in oracle state %s", l.id, t.state) end
    if l.worker < 1 or l.worker > workers or slots[l.worker] then
      violation("%s: worker %d is not free", l.id, l.worker)
    end
    for w = 1, l.worker - 1 do
      if not slots[w] then violation("%s: worker %d given while %d is free", l.id, l.worker, w) end
    end
    if running_on[l.backend] >= caps[l.backend] then violation("%s: cap exceeded", l.id) end
    if park[l.backend] > now then violation("%s launched on a parked backend", l.id) end
    local own = l.backend == sp.backend
    for _, a in ipairs(sp.alternatives or {}) do own = own or a == l.backend end
    if not own then violation("%s launched on a backend not its own", l.id) end
    local holder = holds_conflict(l.task)
    if holder then violation("%s launched while %s holds a conflicting lock", l.id, holder) end
    for _, d in ipairs(t.deps) do
      if tasks[d].state ~= "ok" then violation("%s launched before a dependency completed", l.id) end
    end
    if opts.check_idle then
      local min, min_w = reservations(l.task)
      if reserved(l.task, tickets[l.task], min, min_w) then
        violation("%s launched ahead of an earlier lock reservation", l.id)
      end
    end
    if l.attempt ~= t.counted + 1 then violation("%s: attempt %d", l.id, l.attempt) end
    if l.attempt > 1 then
      if now < t.not_before then violation("%s: retry before its backoff ended", l.id) end
      if l.retry_backoff_ms ~= t.backoff or not l.retry_reason then violation("%s: retry fields", l.id) end
    elseif l.retry_reason or l.retry_backoff_ms then
      violation("%s: retry fields on attempt 1", l.id)
    end
    if l.ready_ms > now or l.queue_ms ~= now - l.ready_ms then violation("%s: queue_ms", l.id) end
    if (any_park and l.ready_ms < t.origin) or (not any_park and l.ready_ms ~= t.origin) then
      violation("%s: ready at %d, oracle says %d", l.id, l.ready_ms, t.origin)
    end
  end

  local function push_event(e)
    events[#events + 1] = e
    table.sort(events, function(a, b)
      if a.time ~= b.time then return a.time < b.time end
      return a.seq < b.seq
    end)
  end

  local function launch(l, tickets)
    check_launch(l, tickets)
    local o = script(l, now)
    local rec = { task = l.task, id = l.id, backend = l.backend, worker = l.worker, attempt = l.attempt,
                  start = now, finish = now + o.latency, queue_ms = l.queue_ms, outcome = o.outcome }
    r.launches[#r.launches + 1] = rec
    local t = tasks[l.task]
    t.state = "running"
    slots[l.worker] = l.task
    nrunning = nrunning + 1
    running_on[l.backend] = running_on[l.backend] + 1
    r.max_running = math.max(r.max_running, nrunning)
    trace[#trace + 1] = ("%d:%d:%d:%d@%d"):format(l.task, l.backend, l.worker, l.attempt, now)
    seq = seq + 1
    push_event { time = now + o.latency, seq = seq, rec = rec, o = o }
  end

  local function check_idle()
    local min, min_w = reservations(nil)
    if stopped or nrunning >= workers then return end
    for i = 1, n do
      local info = s:task_info(i)
      local b = info.backend
      if info.state == "ready" and running_on[b] < caps[b] and park[b] <= now
        and not reserved(i, info.ticket, min, min_w) and not holds_conflict(i) then
        violation("%s could start but waits", info.id)
      end
    end
  end

  local function deliver(ev)
    local rec, o = ev.rec, ev.o
    local t, sp = tasks[rec.task], specs[rec.task]
    local res, err = s:finish(rec.task, o.outcome, now,
      { class = o.class, park_until_ms = o.outcome == "park" and now + o.park_ms or nil })
    if not res then return violation("finish %s: %s", rec.id, err) end
    slots[rec.worker] = nil
    nrunning = nrunning - 1
    running_on[rec.backend] = running_on[rec.backend] - 1
    t.state = "fresh"
    if o.outcome == "ok" then
      if res.state ~= "complete" then violation("%s: ok gave %s", rec.id, res.state) end
      t.state, t.ends, t.counted = "ok", t.ends + 1, t.counted + 1
      for _, other in ipairs(tasks) do
        for _, d in ipairs(other.deps) do
          if d == rec.task then
            other.pending = other.pending - 1
            if other.pending == 0 then other.origin = now end
          end
        end
      end
    elseif o.outcome == "retry" or o.outcome == "failed" then
      t.counted = t.counted + 1
      if o.outcome == "retry" and rec.attempt <= (sp.max_retries or 0) then
        local base = backoff_base(rec.attempt)
        if res.state ~= "backoff" or res.backoff_ms < base or res.backoff_ms > base + base * jitter // 100 then
          violation("%s: retry gave %s %s", rec.id, res.state, tostring(res.backoff_ms))
        end
        t.not_before, t.backoff, t.origin = res.retry_at_ms, res.backoff_ms, res.retry_at_ms
      else
        if res.state ~= "failed" then violation("%s: failure gave %s", rec.id, res.state) end
        t.state, t.ends = "failed", t.ends + 1
        for _, sk in ipairs(res.skipped) do
          local w = tasks[sk.task]
          if sk.ancestor ~= rec.task then violation("%s skipped with a wrong ancestor", sk.id) end
          if w.state ~= "fresh" then violation("%s skipped in state %s", sk.id, w.state) end
          local linked = false
          for _, d in ipairs(w.deps) do linked = linked or d == rec.task or tasks[d].state == "skipped" end
          if not linked then violation("%s skipped without depending on %s", sk.id, rec.id) end
          w.state, w.ends = "skipped", w.ends + 1
        end
      end
    else -- interrupted, park
      if o.outcome == "park" then
        any_park = true
        park[rec.backend] = math.max(park[rec.backend], now + o.park_ms)
      end
      if res.state ~= "ready" then violation("%s: %s gave %s", rec.id, o.outcome, res.state) end
      t.origin = now
    end
  end

  local blocked = s:seal(0)
  for _, b in ipairs(blocked) do
    tasks[b.task].state, tasks[b.task].ends = "blocked", 1
    if #b.unresolved == 0 then violation("%s blocked without unresolved dependencies", b.id) end
  end
  while true do
    if opts.stop_at and now >= opts.stop_at and not stopped then
      s:stop()
      stopped = true
    end
    while true do
      local tickets = {}
      if opts.check_idle then
        for i = 1, n do tickets[i] = s:task_info(i).ticket end
      end
      local l = s:next(now)
      if not l then break end
      launch(l, tickets)
    end
    if opts.check_idle then check_idle() end
    if s:remaining() == 0 or #r.violations >= 20 then break end
    local t = events[1] and events[1].time or math.maxinteger
    local wake = s:wake_ms(now)
    if wake and wake < t then t = wake end
    if t == math.maxinteger then
      violation("stalled: %d tasks remain", s:remaining())
      break
    end
    if opts.stop_at and not stopped and opts.stop_at > now and opts.stop_at < t then t = opts.stop_at end
    now = t
    while events[1] and events[1].time <= now do deliver(table.remove(events, 1)) end
  end
  r.end_ms = now
  for i = 1, n do
    local info = s:task_info(i)
    local t = tasks[i]
    if t.ends > 1 then violation("%s ended %d times", info.id, t.ends) end
    if t.ends == 0 then
      if not stopped then violation("%s never ended (%s)", info.id, info.state) end
      r.not_run = r.not_run + 1
    else
      r.ended[info.state] = (r.ended[info.state] or 0) + 1
    end
  end
  r.trace = table.concat(trace, ",")
  return r
end

local LOCK_KEYS = { "repo:read", "repo:write", "repo", "db:read", "db:write", "cache", "cache:read" }

-- A random workload: { config = {...}, backends = {{name, cap}}, specs = {...}, script = fn }.
-- Each (task, launch number) draws its outcome from the seed, whatever the launch order.
function M.random_workload(seed, n)
  local rand = rng(seed * 7919 + 1)
  local w = { config = {}, backends = {}, specs = {} }
  local nb = 1 + rand(3)
  for b = 1, nb do w.backends[b] = { "be" .. b, rand(5) == 0 and n + 1 or 1 + rand(3) } end
  w.config = { max_workers = 1 + rand(6), fairness = rand(2) == 0 and "round_robin" or "least_loaded",
               seed = seed, jitter_percent = rand(3) == 0 and 0 or 10 }
  local p_retry, p_fail, p_park, p_interrupt = rand(12), rand(6), rand(4), rand(3)
  local latency = 20 + rand(300)
  for i = 1, n do
    local sp = { id = ("t%04d"):format(i), order = rand(4) == 0 and rand(n) or i,
                 backend = 1 + rand(nb), max_retries = rand(4), deps = {}, locks = {} }
    if nb > 1 and rand(4) == 0 then sp.alternatives = { (sp.backend % nb) + 1 } end
    local dr = rand(20)
    local nd = i == 1 and 0 or dr < 10 and 0 or dr < 16 and 1 or dr < 19 and 2 or 3
    for k = 1, nd do
      local r = rand(1000)
      if r < 5 then
        sp.deps[k] = "ghost"
      elseif r < 8 and i + 3 <= n then
        sp.deps[k] = ("t%04d"):format(i + 1 + rand(3))
      else
        sp.deps[k] = ("t%04d"):format(i - 1 - rand(math.min(i - 1, 60)))
      end
    end
    for k = 1, rand(3) do sp.locks[k] = LOCK_KEYS[1 + rand(#LOCK_KEYS)] end
    w.specs[i] = sp
  end
  local launches = {}
  w.script = function(l)
    local nth = launches[l.task] or 0
    launches[l.task] = nth + 1
    local r = rng(seed * 1000003 + l.task * 131 + nth)
    local o = { outcome = "ok", latency = 1 + r(latency) }
    local x = r(100)
    if nth < 4 and x < p_park then
      o.outcome, o.park_ms, o.class = "park", 100 + r(900), "quota_exhausted"
    elseif nth < 4 and x < p_park + p_interrupt then
      o.outcome, o.class = "interrupted", "interrupted"
    elseif x < p_park + p_interrupt + p_retry then
      o.outcome, o.class = "retry", "timeout"
    elseif x < p_park + p_interrupt + p_retry + p_fail then
      o.outcome, o.class = "failed", "schema"
    end
    return o
  end
  return w
end

-- The scheduler of a workload, with its backends and tasks added (not sealed).
function M.build(w)
  local s = require("cx.core").sched.new(w.config)
  for _, b in ipairs(w.backends) do assert(s:backend(b[1], b[2])) end
  for _, sp in ipairs(w.specs) do assert(s:task(sp)) end
  return s
end

return M
