--- Test helper: a run-all's attempts as its rows tell them, and an oracle of the scheduler's
--- guarantees checked from those rows alone (attempt_started_ms / attempt_finished_ms, never the
--- elapsed wall time): caps and max_workers never exceeded, conflicting locks never held together,
--- no task started before its dependencies finished, every task ended at most once, no ready task
--- waiting while a slot it could use was idle (a task holding locks may also wait behind a queued
--- conflicting task: the scheduler's reservations; a task without locks may not wait at all).
---
---   local rr = require "helpers.run_rows"
---   local atts = rr.attempts(rows, run_id)     -- one entry per attempt, in start order
---   local v = rr.violations(atts, graph, { caps = {codex = 2}, max_workers = 4, slack_ms = 0 })
local sim = require "helpers.sched_sim"

local M = {}

local function null(v)
  return v == nil or type(v) == "userdata"
end

--- The attempts of run run_id: rows grouped by (task_id, retry_attempt, attempt_started_ms), each
--- {task, attempt, start, finish (the latest row's), backend, worker, queue_ms, run_offset, wave,
--- class (the last row's failure_class), retry_reason, retry_backoff_ms, rows}, sorted by start.
function M.attempts(rows, run_id)
  local by, out = {}, {}
  for _, r in ipairs(rows) do
    if r.run_id == run_id and not null(r.task_id) and not null(r.attempt_started_ms) then
      local key = r.task_id .. "/" .. tostring(r.retry_attempt) .. "/" .. r.attempt_started_ms
      local a = by[key]
      if not a then
        a = { task = r.task_id, attempt = r.retry_attempt, start = r.attempt_started_ms, finish = r.attempt_finished_ms,
          backend = r.backend_used, worker = r.worker_id, queue_ms = r.queue_ms, run_offset = r.run_offset_ms,
          wave = r.wave, retry_reason = r.retry_reason, retry_backoff_ms = r.retry_backoff_ms, rows = {} }
        by[key] = a
        out[#out + 1] = a
      end
      a.finish = math.max(a.finish, r.attempt_finished_ms)
      a.class = r.failure_class
      a.rows[#a.rows + 1] = r
    end
  end
  table.sort(out, function(x, y)
    if x.start ~= y.start then return x.start < y.start end
    return tostring(x.worker) < tostring(y.worker)
  end)
  return out
end

--- The summary row of run run_id, or nil.
function M.summary(rows, run_id)
  for _, r in ipairs(rows) do
    if r.tool == "cxtask_runall" and r.run_id == run_id then return r end
  end
  return nil
end

--- The largest number of intervals [start, finish) open at once among atts (filter(a) -> bool).
function M.max_overlap(atts, filter)
  local ev = {}
  for _, a in ipairs(atts) do
    if not filter or filter(a) then
      ev[#ev + 1] = { a.start, 1 }
      ev[#ev + 1] = { a.finish, -1 }
    end
  end
  table.sort(ev, function(x, y)
    if x[1] ~= y[1] then return x[1] < y[1] end
    return x[2] < y[2] -- a finish before a start at the same instant
  end)
  local cur, best = 0, 0
  for _, e in ipairs(ev) do
    cur = cur + e[2]
    best = math.max(best, cur)
  end
  return best
end

local function locks_of(keys)
  local out = {}
  for _, k in ipairs(keys or {}) do
    local domain, write = sim.lock_parse(k)
    out[#out + 1] = { domain = domain, write = write }
  end
  return out
end

local conflict = sim.conflicts

--- The distinct instants at which attempts start or finish, and for each the attempts running just
--- after it (started at or before it, finishing after it).
function M.timeline(atts)
  local set = {}
  for _, a in ipairs(atts) do
    set[a.start], set[a.finish] = true, true
  end
  local times = {}
  for x in pairs(set) do times[#times + 1] = x end
  table.sort(times)
  local pos = {}
  for k, x in ipairs(times) do pos[x] = k end
  local running_after = {}
  for k = 1, #times do running_after[k] = {} end
  for _, a in ipairs(atts) do
    for k = pos[a.start], pos[a.finish] - 1 do
      local r = running_after[k]
      r[#r + 1] = a
    end
  end
  return times, running_after
end

--- Violations of the scheduler's guarantees (a list of messages; empty when none). graph = {id =
--- {deps = {ids}, locks = {keys}}}; opts = {caps = {backend = n}, max_workers = n, slack_ms = n
--- (the time a launch may take after a slot frees: 0 under the virtual clock)}.
function M.violations(atts, graph, opts)
  local out = {}
  local function bad(fmt, ...)
    if #out < 25 then out[#out + 1] = string.format(fmt, ...) end
  end
  local slack = opts.slack_ms or 0
  -- caps and max_workers (intervals shrunk by the slack on a real clock: rows are written a little
  -- before the scheduler frees the slot)
  local function shrunk(a)
    return { start = a.start, finish = math.max(a.start, a.finish - slack), backend = a.backend }
  end
  local sh = {}
  for i, a in ipairs(atts) do sh[i] = shrunk(a) end
  if opts.max_workers and M.max_overlap(sh) > opts.max_workers then
    bad("more than %d attempts at once: %d", opts.max_workers, M.max_overlap(sh))
  end
  for b, cap in pairs(opts.caps or {}) do
    local n = M.max_overlap(sh, function(a) return a.backend == b end)
    if n > cap then bad("backend %s ran %d attempts at once (cap %d)", b, n, cap) end
  end
  -- locks: conflicting attempts never overlap
  for i = 1, #atts do
    local a = atts[i]
    local la = locks_of((graph[a.task] or {}).locks)
    for j = i + 1, #atts do
      local b = atts[j]
      if b.start >= a.finish - slack then break end
      if conflict(la, locks_of((graph[b.task] or {}).locks)) then
        bad("%s and %s ran together with conflicting locks", a.task, b.task)
      end
    end
  end
  -- dependencies: a task's first attempt starts after each dependency's last attempt finished
  local last, first = {}, {}
  for _, a in ipairs(atts) do
    if not last[a.task] or a.finish > last[a.task].finish then last[a.task] = a end
    if not first[a.task] then first[a.task] = a end
  end
  for id, a in pairs(first) do
    for _, d in ipairs((graph[id] or {}).deps or {}) do
      if not last[d] then
        bad("%s ran but its dependency %s never did", id, d)
      elseif a.start < last[d].finish then
        bad("%s started at %d before its dependency %s finished at %d", id, a.start, d, last[d].finish)
      end
    end
  end
  -- work conservation: between a task's ready time (start - queue_ms) and its start, at every
  -- instant its backend had no free slot, the run no free worker, or a running or queued task held
  -- a conflicting lock (the writer reservation rule). The running set after each instant comes from
  -- one sweep over the attempts.
  local times, running_after = M.timeline(atts)
  local function index_at(x) -- the last k with times[k] <= x
    local lo, hi = 1, #times
    if #times == 0 or times[1] > x then return 0 end
    while lo < hi do
      local mid = (lo + hi + 1) // 2
      if times[mid] <= x then lo = mid else hi = mid - 1 end
    end
    return lo
  end
  for _, t in ipairs(atts) do
    local ready = t.start - (t.queue_ms or 0)
    local tl = locks_of((graph[t.task] or {}).locks)
    local cap = (opts.caps or {})[t.backend] or math.huge
    local k = math.max(1, index_at(ready))
    while k >= 1 and k <= #times and times[k] < t.start do
      local at = math.max(times[k], ready)
      local on_backend, total, locked = 0, 0, false
      for _, a in ipairs(running_after[k]) do
        if a ~= t then
          total = total + 1
          if a.backend == t.backend then on_backend = on_backend + 1 end
          if #tl > 0 and conflict(tl, locks_of((graph[a.task] or {}).locks)) then locked = true end
        end
      end
      if not locked and on_backend < cap and total < (opts.max_workers or math.huge) and #tl > 0 then
        -- a conflicting task queued at that instant may hold a reservation on the domain (the
        -- scheduler's writer-fair tickets, docs/scheduler.md "Locks")
        for _, a in ipairs(atts) do
          if a ~= t and (a.start - (a.queue_ms or 0)) <= at and a.start > at
            and conflict(tl, locks_of((graph[a.task] or {}).locks)) then
            locked = true
            break
          end
        end
      end
      -- the state holds until the next instant; on a real clock a gap shorter than the slack is the
      -- time a launch takes
      local lasts = math.min(times[k + 1] or t.start, t.start) - at
      if not locked and on_backend < cap and total < (opts.max_workers or math.huge) and lasts > slack then
        bad("%s (ready at %d, started at %d) waited at %d for %d ms with a free slot on %s (%d/%s running, %d in "
          .. "all)", t.task, ready, t.start, at, lasts, tostring(t.backend), on_backend, tostring(cap), total)
        break
      end
      k = k + 1
    end
  end
  return out
end

return M
