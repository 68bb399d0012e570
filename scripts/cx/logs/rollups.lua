--- Quality rollups of the scheduler's telemetry over a window of run-log rows, streamed: scheduled
--- rows without a queue wait, retries without a reason, attempts that started and never finished,
--- workers that left attempts unfinished, run-all runs without their summary row. Counts are exact;
--- evidence rows, workers and runs kept are capped. policies/telemetry.lua judges the numbers.
local json = require "cx.json"

local null, is_array = json.null, json.is_array

local rollups = {}

rollups.EVIDENCE_MAX = 20 -- rows kept per rollup
rollups.WORKERS_MAX = 256 -- workers tracked (the rest only counted)
rollups.RUNS_MAX = 4096 -- run ids tracked

local function text(v)
  if type(v) == "string" and v:match("%S") then return v end
  return nil
end

local function uint(v)
  if math.type(v) == "integer" and v >= 0 then return v end
  return nil
end

local function counter()
  return { count = 0, evidence = {} }
end

function rollups.new()
  return {
    queue = { scheduled_rows = 0, with_queue_ms = 0, without = counter() },
    attempts = { attempt_rows = 0, retries = 0, without_reason = counter(), over_max = counter(),
      started = 0, unfinished = counter(), finished_before_started = counter() },
    workers = { seen = 0, list = {}, by_id = {}, untracked = 0 },
    runs = { by_id = {}, order = {}, untracked = 0, summaries = 0, summaries_with_run_id = 0 },
    index = 0,
  }
end

local function note(c, e)
  c.count = c.count + 1
  if #c.evidence < rollups.EVIDENCE_MAX then c.evidence[#c.evidence + 1] = e end
end

local function worker_of(acc, id)
  local w = acc.workers.by_id[id]
  if w then return w end
  local ws = acc.workers
  ws.seen = ws.seen + 1
  if #ws.list >= rollups.WORKERS_MAX then
    ws.untracked = ws.untracked + 1
    return nil
  end
  w = { worker_id = id, rows = 0, attempts_started = 0, unfinished = 0 }
  ws.by_id[id] = w
  ws.list[#ws.list + 1] = w
  return w
end

local function run_of(acc, id, e)
  local runs = acc.runs
  local r = runs.by_id[id]
  if r then return r end
  if #runs.order >= rollups.RUNS_MAX then
    runs.untracked = runs.untracked + 1
    return nil
  end
  r = { run_id = id, rows = 0, summary = false, first = e, last_index = 0 }
  runs.by_id[id] = r
  runs.order[#runs.order + 1] = r
  return r
end

--- Count one row. ex() returns the row's evidence excerpt ({execution_id, line, offset}), made on
--- demand (nil when no more can be kept).
function rollups.add(acc, row, ex)
  acc.index = acc.index + 1
  if type(row) ~= "table" or is_array(row) then return end
  local worker = text(row.worker_id)
  local run = text(row.run_id)
  local tool = row.tool ~= nil and row.tool ~= null and row.tool or row.command
  -- queue: rows a scheduler placed on a worker must say how long they waited
  if worker then
    local q = acc.queue
    q.scheduled_rows = q.scheduled_rows + 1
    if uint(row.queue_ms) then q.with_queue_ms = q.with_queue_ms + 1 else note(q.without, ex()) end
  end
  -- attempts
  local a = acc.attempts
  local attempt = uint(row.retry_attempt)
  if attempt then
    a.attempt_rows = a.attempt_rows + 1
    if attempt > 1 then
      a.retries = a.retries + 1
      if not text(row.retry_reason) then note(a.without_reason, ex()) end
    end
    local max = uint(row.retry_max)
    if max and attempt > max + 1 then note(a.over_max, ex()) end
  end
  local started, finished = uint(row.attempt_started_ms), uint(row.attempt_finished_ms)
  local w = worker and worker_of(acc, worker)
  if w then w.rows = w.rows + 1 end
  if started then
    a.started = a.started + 1
    if w then w.attempts_started = w.attempts_started + 1 end
    if not finished then
      note(a.unfinished, ex())
      if w then w.unfinished = w.unfinished + 1 end
    elseif finished < started then
      note(a.finished_before_started, ex())
    end
  end
  -- runs: a run-all's attempts (a run id and a worker) end with its summary row (same run id)
  if tool == "cxtask_runall" then
    acc.runs.summaries = acc.runs.summaries + 1
    if run then
      acc.runs.summaries_with_run_id = acc.runs.summaries_with_run_id + 1
      local r = acc.runs.by_id[run]
      if r then r.summary = true end
    end
  elseif run and worker then
    local r = run_of(acc, run, nil)
    if r then
      if not r.first then r.first = ex() end
      r.rows = r.rows + 1
      r.last_index = acc.index
    end
  end
end

local function sorted_workers(list)
  local out = {}
  for i, w in ipairs(list) do out[i] = w end
  table.sort(out, function(a, b) return a.worker_id < b.worker_id end)
  return out
end

--- The rollups: { queue, attempts, workers, runs } (docs/logs.md "Quality rollups"). Evidence items
--- are the excerpts ex() returned.
function rollups.finish(acc)
  local q, a = acc.queue, acc.attempts
  local workers, with_unfinished = {}, 0
  for _, w in ipairs(sorted_workers(acc.workers.list)) do
    workers[#workers + 1] = w
    if w.unfinished > 0 then with_unfinished = with_unfinished + 1 end
  end
  -- runs without a summary: the most recent run may still be going ("open"); earlier ones ended
  -- without writing it (a crash, a kill)
  local latest
  for _, r in ipairs(acc.runs.order) do
    if not latest or r.last_index > latest.last_index then latest = r end
  end
  local without, open = {}, {}
  for _, r in ipairs(acc.runs.order) do
    if not r.summary then
      local item = { run_id = r.run_id, rows = r.rows, first = r.first }
      if r == latest then open[#open + 1] = item else without[#without + 1] = item end
    end
  end
  return {
    queue = { scheduled_rows = q.scheduled_rows, with_queue_ms = q.with_queue_ms,
      without_queue_ms = q.without.count, evidence = q.without.evidence },
    attempts = {
      attempt_rows = a.attempt_rows, retries = a.retries,
      retries_without_reason = a.without_reason.count, retries_without_reason_evidence = a.without_reason.evidence,
      attempts_over_max = a.over_max.count, attempts_over_max_evidence = a.over_max.evidence,
      started = a.started,
      started_not_finished = a.unfinished.count, started_not_finished_evidence = a.unfinished.evidence,
      finished_before_started = a.finished_before_started.count,
      finished_before_started_evidence = a.finished_before_started.evidence,
    },
    workers = { workers_seen = acc.workers.seen, workers_with_unfinished = with_unfinished, workers = workers,
      untracked = acc.workers.untracked },
    runs = { runs_seen = #acc.runs.order + acc.runs.untracked, untracked = acc.runs.untracked,
      summary_rows = acc.runs.summaries, summaries_with_run_id = acc.runs.summaries_with_run_id,
      without_summary = without, open = open },
  }
end

return rollups
