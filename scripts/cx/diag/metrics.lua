--- The diag/scheduler metric blocks (reference diagnostics.md §3.1), computed from a list of
--- decoded log rows (the window). Pure: plain rows in, plain tables out; absent values are nil.
local fields = require "cx.diag.fields"
local stats = require "cx.diag.stats"

local u64, str, bool = fields.u64, fields.str, fields.bool

local metrics = {}

--- Queue latency, workers and backends.
--- Returns {window_runs, queue_rows, queue_ms_avg|nil, queue_ms_p95|nil, workers_seen = {sorted},
--- worker_distribution = {id = n}, backend_distribution = {name = n}}.
function metrics.scheduler(rows)
  local queue, sum = {}, 0
  local workers, backends = {}, {}
  for _, row in ipairs(rows) do
    local q = u64(row, "queue_ms")
    if q then
      queue[#queue + 1] = q
      sum = sum + q
    end
    local w = str(row, "worker_id")
    if w then workers[w] = (workers[w] or 0) + 1 end
    -- Verbatim, no trimming: the reference counts "" as a backend too.
    local b = str(row, "backend_selected") or str(row, "backend_used")
    if b then backends[b] = (backends[b] or 0) + 1 end
  end
  return {
    window_runs = #rows,
    queue_rows = #queue,
    queue_ms_avg = stats.avg_floor(sum, #queue),
    queue_ms_p95 = stats.p95(queue),
    workers_seen = stats.sorted_keys(workers),
    worker_distribution = workers,
    backend_distribution = backends,
  }
end

-- A row after a retry succeeded unless it timed out, failed its schema or was blocked by policy;
-- absent booleans count as fine.
local function retry_succeeded(row)
  return bool(row, "timed_out") ~= true and bool(row, "schema_valid") ~= false and bool(row, "policy_blocked") ~= true
end

--- Retry volume and recovery. attempt_histogram maps the attempt number as a string to its count.
--- tasks_with_retry counts tasks that saw a timeout (the reference's name); a task recovered when a
--- later attempt (>1) of it did not time out.
function metrics.retry(rows)
  local r = {
    window_runs = #rows,
    rows_with_retry_metadata = 0,
    rows_after_retry = 0,
    rows_after_retry_success = 0,
    tasks_with_retry = 0,
    tasks_retry_recovered = 0,
    attempt_histogram = {},
  }
  local seen, recovered = {}, {}
  for _, row in ipairs(rows) do
    local attempt = u64(row, "retry_attempt")
    if attempt then
      r.rows_with_retry_metadata = r.rows_with_retry_metadata + 1
      local key = tostring(attempt)
      r.attempt_histogram[key] = (r.attempt_histogram[key] or 0) + 1
      if attempt > 1 and str(row, "failure_class") ~= "interrupted" then -- a cancellation is not a failed retry
        r.rows_after_retry = r.rows_after_retry + 1
        if retry_succeeded(row) then r.rows_after_retry_success = r.rows_after_retry_success + 1 end
      end
    end
    local tid = str(row, "task_id")
    tid = tid and fields.trim(tid)
    if tid and tid ~= "" then
      if attempt then
        seen[tid] = seen[tid] or false
        recovered[tid] = recovered[tid] or false
      end
      -- A timeout marks the task even on a row without retry metadata, as the reference does.
      if bool(row, "timed_out") == true then
        seen[tid] = true
      elseif attempt and attempt > 1 then
        recovered[tid] = true
      end
    end
  end
  for tid, s in pairs(seen) do
    if s then
      r.tasks_with_retry = r.tasks_with_retry + 1
      if recovered[tid] then r.tasks_retry_recovered = r.tasks_retry_recovered + 1 end
    end
  end
  r.rows_after_retry_success_rate = stats.ratio_or_zero(r.rows_after_retry_success, r.rows_after_retry)
  r.tasks_retry_recovery_rate = stats.ratio_or_zero(r.tasks_retry_recovered, r.tasks_with_retry)
  return r
end

--- Task run-all summaries (rows whose tool is exactly "cxtask_runall"): how many, how many had
--- halt_on_critical, how many stopped early (complete + failed < scheduled), critical errors.
function metrics.critical(rows)
  local c = {
    window_runs = #rows,
    summary_rows = 0,
    halt_enabled_rows = 0,
    halted_rows = 0,
    critical_errors_total = 0,
    runs_with_critical_errors = 0,
  }
  for _, row in ipairs(rows) do
    if str(row, "tool") == "cxtask_runall" then
      c.summary_rows = c.summary_rows + 1
      if bool(row, "halt_on_critical") == true then c.halt_enabled_rows = c.halt_enabled_rows + 1 end
      local crit = u64(row, "run_all_critical_errors") or 0
      c.critical_errors_total = c.critical_errors_total + crit
      if crit > 0 then c.runs_with_critical_errors = c.runs_with_critical_errors + 1 end
      local scheduled = u64(row, "run_all_scheduled")
      local complete = u64(row, "run_all_complete")
      local failed = u64(row, "run_all_failed")
      if scheduled and complete and failed and complete + failed < scheduled then
        c.halted_rows = c.halted_rows + 1
      end
    end
  end
  return c
end

--- All three blocks at once: {scheduler =, retry =, critical =}.
function metrics.compute(rows)
  return { scheduler = metrics.scheduler(rows), retry = metrics.retry(rows), critical = metrics.critical(rows) }
end

return metrics
