--- The status writes of a run, coalesced: run-all queues each task's final status (or its return to
--- pending) and writes them in batches through the store (cx.tasks.store:finish), never one rewrite
--- of tasks.json per transition. A batch is written when the last one is `interval` old; the
--- interval grows with what a write costs (at most a twentieth of the time goes to writing, and
--- never more than max_ms between writes), so 2,000 tasks cost a few dozen writes.
local core = require "cx.core"

local writer = {}

local W = {}
W.__index = W

--- A writer for store s and run run_id. opts: interval_ms (base, default 200; 0 = every status is
--- written when flushed, as a sequential run wants), max_ms (default 2000).
function writer.new(s, run_id, opts)
  opts = opts or {}
  return setmetatable({
    store = s, run_id = run_id, queue = {},
    base_ms = opts.interval_ms or 200, max_ms = opts.max_ms or 2000,
    interval_ms = opts.interval_ms or 200, last_ms = nil, writes = 0,
  }, W)
end

--- Queue an entry {id, status, last_attempt?, blocked_by?, note?} (store:finish's shape).
function W:add(entry)
  self.queue[#self.queue + 1] = entry
end

function W:pending()
  return #self.queue
end

--- When the next batch is due (the writer's clock: monotonic ms), or nil with nothing queued.
function W:due_at()
  if #self.queue == 0 then return nil end
  if not self.last_ms then return 0 end
  return self.last_ms + self.interval_ms
end

--- Write what is queued when due (or now with force). Returns nil when nothing was written, else
--- {written = {ids}, critical = {{id, status, reason}}, changed = {{id, reason}}}: critical are tasks whose
--- status could not be recorded (the store failed, or the task disappeared from tasks.json);
--- changed are tasks someone else decided meanwhile (finished or reset by hand: left as they are).
function W:flush(now_ms, force)
  local due = self:due_at()
  if due == nil or (not force and now_ms < due) then return nil end
  local batch = self.queue
  self.queue = {}
  local t0 = core.loop.monotonic_ms()
  local done, refused_or_err = self.store:finish(batch, { run_id = self.run_id })
  local cost = core.loop.monotonic_ms() - t0
  self.writes = self.writes + 1
  self.last_ms = now_ms
  self.interval_ms = math.min(self.max_ms, math.max(self.base_ms, math.floor(cost * 20)))
  local out = { written = {}, critical = {}, changed = {} }
  if not done then
    for _, e in ipairs(batch) do
      out.critical[#out.critical + 1] = { id = e.id, status = e.status, reason = tostring(refused_or_err) }
    end
    return out
  end
  out.written = done
  local status_of = {}
  for _, e in ipairs(batch) do status_of[e.id] = e.status end
  for _, r in ipairs(refused_or_err) do
    if r.reason == "task not found" then
      out.critical[#out.critical + 1] = { id = r.id, status = status_of[r.id], reason = "task disappeared: " .. r.id }
    else
      out.changed[#out.changed + 1] = r
    end
  end
  return out
end

return writer
