--- The facts `cx report` draws, gathered from run-log rows one at a time (streamed: the window is
--- never held). Each attempt is kept in parallel arrays of plain numbers and interned strings, so
--- 100,000 attempts cost a few MiB, not a table per row. Pure: rows in, a model out.
---
--- An attempt is every row that records a call (a command run, a task attempt, a replica), that is
--- every object row except the summary rows run-all and convergence write (SUMMARY_TOOLS).
local collect = {}

collect.SUMMARY_TOOLS = { cxtask_runall = true, cxtask_converge = true }

-- Failure classes the scheduler retries (docs/scheduler.md, "Outcomes").
collect.TRANSIENT = { timeout = true, transport_unreachable = true, rate_limited = true, server_error = true }

collect.NO_WORKER = "(no worker)"

-- Outcome codes (the timeline's colours).
collect.OUTCOMES = { "ok", "retried", "failed", "quarantined", "interrupted" }

local function str(v)
  if type(v) == "string" then return v end
  if math.type(v) == "integer" then return tostring(v) end
  return nil
end

-- A finite number, or nil (JSON has no NaN or infinity, but a float may overflow to one).
local function num(v)
  if type(v) ~= "number" or v ~= v or v == math.huge or v == -math.huge then return nil end
  return v
end

local function nonneg(v)
  v = num(v)
  if v and v < 0 then return 0 end
  return v
end

-- Days since 1970-01-01 of a civil date (proleptic Gregorian; Howard Hinnant's algorithm).
local function days_from_civil(y, m, d)
  if m <= 2 then y = y - 1 end
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local mp = (m + 9) % 12
  local doy = (153 * mp + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

--- Epoch milliseconds of a row timestamp `YYYY-MM-DDTHH:MM:SS[.fff]Z`, or nil.
function collect.epoch_ms(ts)
  if type(ts) ~= "string" then return nil end
  local y, mo, d, h, mi, s, frac = ts:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)(%.?%d*)Z$")
  if not y then return nil end
  local ms = 0
  if #frac > 1 then ms = math.floor(tonumber("0" .. frac) * 1000) end
  local days = days_from_civil(tonumber(y), tonumber(mo), tonumber(d))
  return ((days * 24 + tonumber(h)) * 60 + tonumber(mi)) * 60000 + tonumber(s) * 1000 + ms
end

--- An empty model.
function collect.new()
  return {
    rows = 0, -- rows seen (objects or not)
    attempts = 0,
    -- per attempt, parallel arrays
    start = {}, finish = {}, lane = {}, outcome = {}, task = {}, backend = {}, class = {}, try = {},
    queue = {}, line = {},
    lanes = {}, -- lane name -> true
    backends = {}, -- backend -> {durations = {}, queues = {}, attempts, outcomes = {}}
    classes = {}, -- failure class -> backend -> count
    tasks = {}, -- task id -> {attempts, last_outcome, retried}
    quarantined = {}, -- {id, task, schema, reason, execution_id, line}
    quarantined_count = 0, -- distinct quarantine ids
    quarantine_seen = {},
    runs = {}, -- run ids in order of first appearance
    run_seen = {},
    t0 = nil, t1 = nil,
    first_line = nil,
  }
end

collect.QUARANTINE_LIST_MAX = 100

local function outcome_of(row, class)
  if class == "ok" then return "ok" end
  if class == "interrupted" then return "interrupted" end
  if str(row.quarantine_id) then return "quarantined" end
  if collect.TRANSIENT[class] then
    -- transient: retried when the task had an attempt left (retry_attempt is 1-based, retry_max the
    -- retries allowed), else this was the task's last word
    local try, max = math.tointeger(num(row.retry_attempt)), math.tointeger(num(row.retry_max))
    if try and max and try <= max then return "retried" end
  end
  return "failed"
end

local function class_of(row)
  local c = str(row.failure_class)
  if c and c ~= "" then return c end
  if row.schema_enforced == true and row.schema_ok == false then return "schema_invalid" end
  if row.policy_blocked == true then return "policy_blocked" end
  return "ok"
end

local function backend_stats(m, name)
  local b = m.backends[name]
  if not b then
    b = { durations = {}, queues = {}, attempts = 0, outcomes = {} }
    m.backends[name] = b
  end
  return b
end

--- Add one decoded row (line: its 1-based line in the window, for evidence links).
function collect.add(m, row, line)
  m.rows = m.rows + 1
  if type(row) ~= "table" then return end
  local tool = str(row.tool)
  local rid = str(row.run_id)
  if rid and not m.run_seen[rid] then
    m.run_seen[rid] = true
    m.runs[#m.runs + 1] = rid
  end
  if tool and collect.SUMMARY_TOOLS[tool] then return end
  local started, finished = nonneg(row.attempt_started_ms), nonneg(row.attempt_finished_ms)
  local duration = nonneg(row.duration_ms)
  if not started then
    -- a row outside the scheduler: it ended at its timestamp and took duration_ms
    local ended = collect.epoch_ms(row.ts) or collect.epoch_ms(row.timestamp)
    if ended then started, finished = math.max(0, ended - (duration or 0)), ended end
  end
  if started and (not finished or finished < started) then finished = started + (duration or 0) end
  if finished and started and (not duration or duration == 0) then duration = finished - started end
  local n = m.attempts + 1
  m.attempts = n
  local class = class_of(row)
  local outcome = outcome_of(row, class)
  local lane = str(row.worker_id) or collect.NO_WORKER
  local backend = str(row.backend_used) or str(row.llm_backend) or str(row.adapter_type) or "unknown"
  local task = str(row.task_id) or tool or "?"
  m.start[n], m.finish[n] = started or false, finished or false
  m.lane[n], m.outcome[n], m.task[n], m.backend[n], m.class[n] = lane, outcome, task, backend, class
  m.try[n] = math.tointeger(num(row.retry_attempt)) or 1
  m.queue[n] = nonneg(row.queue_ms) or false
  m.line[n] = line
  m.first_line = m.first_line or line
  m.lanes[lane] = true
  if started then
    if not m.t0 or started < m.t0 then m.t0 = started end
    if not m.t1 or finished > m.t1 then m.t1 = finished end
  end
  local b = backend_stats(m, backend)
  b.attempts = b.attempts + 1
  b.outcomes[outcome] = (b.outcomes[outcome] or 0) + 1
  if duration then b.durations[#b.durations + 1] = duration end
  if m.queue[n] then b.queues[#b.queues + 1] = m.queue[n] end
  if class ~= "ok" then
    local per = m.classes[class] or {}
    m.classes[class] = per
    per[backend] = (per[backend] or 0) + 1
  end
  if str(row.task_id) then
    local t = m.tasks[task] or { attempts = 0 }
    m.tasks[task] = t
    t.attempts = t.attempts + 1
    t.last = outcome
    -- what each row of the task came to, kept as a list only once it has a second row
    if t.attempts == 1 then
      t.first = class
    else
      t.seq = t.seq or { t.first }
      t.seq[#t.seq + 1] = class
    end
    if m.try[n] > 1 then t.retried = true end
  end
  local qid = str(row.quarantine_id)
  -- a structured call's schema retry writes a second row naming the same quarantine entry
  if qid and not m.quarantine_seen[qid] then
    m.quarantine_seen[qid] = true
    m.quarantined_count = m.quarantined_count + 1
    if #m.quarantined < collect.QUARANTINE_LIST_MAX then
      m.quarantined[#m.quarantined + 1] = { id = qid, task = task, schema = str(row.schema_name),
        reason = str(row.schema_reason), execution_id = str(row.execution_id), line = line }
    end
  end
end

--- The value at quantile q (0..1) of a sorted list (nearest rank), or nil when empty.
function collect.quantile(sorted, q)
  local n = #sorted
  if n == 0 then return nil end
  local k = math.max(1, math.min(n, math.ceil(q * n)))
  return sorted[k]
end

-- Lane names in natural order: w2 before w10; "(no worker)" last.
local function lane_order(a, b)
  if a == collect.NO_WORKER then return false end
  if b == collect.NO_WORKER then return true end
  local pa, na = a:match("^(.-)(%d+)$")
  local pb, nb = b:match("^(.-)(%d+)$")
  if pa and pb and pa == pb then return tonumber(na) < tonumber(nb) end
  return a < b
end

local function sorted_keys(t, cmp)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out, cmp)
  return out
end

--- Finish the model: sorted lanes and backends, distributions, retry and outcome totals.
function collect.finish(m)
  m.lane_names = sorted_keys(m.lanes, lane_order)
  m.backend_names = sorted_keys(m.backends)
  m.class_names = sorted_keys(m.classes)
  m.lane_count = {}
  for i = 1, m.attempts do m.lane_count[m.lane[i]] = (m.lane_count[m.lane[i]] or 0) + 1 end
  m.totals = {}
  for _, o in ipairs(collect.OUTCOMES) do m.totals[o] = 0 end
  for i = 1, m.attempts do m.totals[m.outcome[i]] = m.totals[m.outcome[i]] + 1 end
  for _, name in ipairs(m.backend_names) do
    local b = m.backends[name]
    table.sort(b.durations)
    table.sort(b.queues)
  end
  local r = { tasks = 0, retried = 0, recovered = 0, retry_attempts = 0 }
  local retried = {}
  for id, t in pairs(m.tasks) do
    r.tasks = r.tasks + 1
    if t.retried then
      r.retried = r.retried + 1
      if t.last == "ok" then r.recovered = r.recovered + 1 end
      retried[#retried + 1] = { task = id, rows = t.seq or { t.first }, last = t.last }
    end
  end
  table.sort(retried, function(a, b) return lane_order(a.task, b.task) end)
  m.retried_tasks = retried -- {task, rows = {class of each row}, last = outcome}, by task id
  for i = 1, m.attempts do
    if m.try[i] > 1 then r.retry_attempts = r.retry_attempts + 1 end
  end
  m.retry = r
  return m
end

return collect
