--- `logs stats` / `telemetry`: field population of the strict keys, contract drift between the two
--- halves of the window, retry / run-all / HTTP telemetry and a severity, computed over the decoded
--- rows of a window exactly as the reference does (contract telemetry.v1). The rows are counted
--- one at a time (stats.new / add / finish), so a window of any size streams in bounded memory.
local json = require "cx.json"
local contract = require "cx.log_contract"
local window = require "cx.logs.window"

local stats = {}

stats.CONTRACT_VERSION = "telemetry.v1"
stats.SHAPES_MAX = 4096 -- distinct row shapes tallied (rows of other shapes are walked)

-- Where each strict key is in a row's shape (contract.FIELD_KEYS order).
local STRICT_AT = {}
do
  local at = {}
  for i, k in ipairs(contract.FIELD_KEYS) do at[k] = i end
  for i, k in ipairs(contract.STRICT_KEYS) do STRICT_AT[i] = at[k] end
end
local byte = string.byte
local ABSENT, NULL = byte("-"), byte("z")

local function is_object(v)
  return type(v) == "table" and not json.is_array(v)
end

local function is_uint(v)
  return math.type(v) == "integer" and v >= 0
end

local function sorted_keys(set)
  local out = {}
  for k in pairs(set) do out[#out + 1] = k end
  table.sort(out)
  return out
end

local function ratio(num, den)
  if den == 0 then return 0.0 end
  return num / den
end

local function trimmed_task(r)
  local t = r.task_id
  if type(t) ~= "string" then return nil end
  t = t:gsub("^%s+", ""):gsub("%s+$", "")
  if t == "" then return nil end
  return t
end

--- A fresh accumulator for a window of `total` rows (the count must be known up front: the drift
--- compares the window's two halves). Feed it with stats.add, in file order; stats.finish gives the
--- report. Memory grows with the distinct keys, tasks and HTTP modes seen, never with the rows.
function stats.new(total, log_file)
  local present, non_null = {}, {}
  for _, key in ipairs(contract.STRICT_KEYS) do present[key], non_null[key] = 0, 0 end
  return {
    total = total, log_file = log_file, index = 0, present = present, non_null = non_null,
    keys_a = {}, keys_b = {},
    retry = { with_meta = 0, after = 0, after_ok = 0, histogram = {}, timed_out_tasks = {}, recovered_tasks = {} },
    critical = { summary_rows = 0, halt_enabled_rows = 0, halted_rows = 0, critical_errors_total = 0,
      runs_with_critical_errors = 0 },
    http = {}, http_order = {},
    -- rows counted by shape, per half (1 older, 2 newer; 1 when the window has no halves)
    shapes = { {}, {} }, shape_count = 0,
  }
end

local function add_retry(t, r)
  local a = r.retry_attempt
  local task = trimmed_task(r)
  if is_uint(a) then
    t.with_meta = t.with_meta + 1
    local hk = tostring(a)
    t.histogram[hk] = (t.histogram[hk] or 0) + 1
    if a > 1 then
      t.after = t.after + 1
      if r.timed_out ~= true and r.schema_valid ~= false and r.policy_blocked ~= true then
        t.after_ok = t.after_ok + 1
      end
    end
  end
  if task then
    if r.timed_out == true then
      t.timed_out_tasks[task] = true
    elseif is_uint(a) and a > 1 then
      t.recovered_tasks[task] = true
    end
  end
end

local function add_critical(c, r)
  if r.tool ~= "cxtask_runall" then return end
  c.summary_rows = c.summary_rows + 1
  if r.halt_on_critical == true then c.halt_enabled_rows = c.halt_enabled_rows + 1 end
  local crit = is_uint(r.run_all_critical_errors) and r.run_all_critical_errors or 0
  c.critical_errors_total = c.critical_errors_total + crit
  if crit > 0 then c.runs_with_critical_errors = c.runs_with_critical_errors + 1 end
  local sch, done, failed = r.run_all_scheduled, r.run_all_complete, r.run_all_failed
  if is_uint(sch) and is_uint(done) and is_uint(failed) and done + failed < sch then
    c.halted_rows = c.halted_rows + 1
  end
end

local function add_http(acc, r)
  if r.provider_transport ~= "http" then return end
  local format = type(r.http_provider_format) == "string" and r.http_provider_format or "unknown"
  local mode = type(r.http_parser_mode) == "string" and r.http_parser_mode or "unknown"
  local key = format .. "\0" .. mode
  local g = acc.http[key]
  if not g then
    g = { format = format, parser_mode = mode, runs = 0, healthy_runs = 0, schema_invalid = 0,
      timed_out = 0, policy_blocked = 0 }
    acc.http[key] = g
    acc.http_order[#acc.http_order + 1] = key
  end
  g.runs = g.runs + 1
  local bad = false
  if r.schema_valid == false then g.schema_invalid, bad = g.schema_invalid + 1, true end
  if r.timed_out == true then g.timed_out, bad = g.timed_out + 1, true end
  if r.policy_blocked == true then g.policy_blocked, bad = g.policy_blocked + 1, true end
  if not bad then g.healthy_runs = g.healthy_runs + 1 end
end

-- A row with a shape (contract.FIELD_KEYS only): its key presence is tallied by shape and read at
-- finish, not walked key by key. False when the shape cannot be kept (too many shapes).
local function tally_shape(acc, shape)
  local half = (acc.total >= 2 and acc.index > acc.total // 2) and 2 or 1
  local t = acc.shapes[half]
  local n = t[shape]
  if n then
    t[shape] = n + 1
    return true
  end
  if acc.shape_count >= stats.SHAPES_MAX then return false end
  acc.shape_count = acc.shape_count + 1
  t[shape] = 1
  return true
end

-- Spread the shape tallies over the strict keys' counters and the halves' key sets.
local function spread_shapes(acc)
  for half, t in ipairs(acc.shapes) do
    local set = half == 1 and acc.keys_a or acc.keys_b
    for shape, n in pairs(t) do
      for i, key in ipairs(contract.STRICT_KEYS) do
        local b = byte(shape, STRICT_AT[i])
        if b ~= ABSENT then
          acc.present[key] = acc.present[key] + n
          if b ~= NULL then acc.non_null[key] = acc.non_null[key] + n end
        end
      end
      if acc.total >= 2 then
        for i = 1, #shape do
          if byte(shape, i) ~= ABSENT then set[contract.FIELD_KEYS[i]] = true end
        end
      end
    end
    acc.shapes[half] = {}
  end
  acc.shape_count = 0
end

-- Count the keys of an object row, one by one: its strict keys, and its keys in its half's set.
local function count_keys(acc, r)
  for _, key in ipairs(contract.STRICT_KEYS) do
    local v = r[key]
    if v ~= nil then
      acc.present[key] = acc.present[key] + 1
      if v ~= json.null then acc.non_null[key] = acc.non_null[key] + 1 end
    end
  end
  if acc.total >= 2 then
    local set = acc.index <= acc.total // 2 and acc.keys_a or acc.keys_b
    for k in pairs(r) do set[k] = true end
  end
end

--- Count one row (any decoded JSON value; fields of non-objects are absent). shape: the row's
--- shape (contract:decode(text, true)), optional: rows of a shape are counted faster.
function stats.add(acc, r, shape)
  acc.index = acc.index + 1
  if not is_object(r) then return end
  if not (shape and tally_shape(acc, shape)) then
    count_keys(acc, r)
  end
  add_retry(acc.retry, r)
  add_critical(acc.critical, r)
  add_http(acc, r)
end

local function finish_drift(acc)
  local new_keys, missing_keys = {}, {}
  for _, k in ipairs(sorted_keys(acc.keys_b)) do
    if not acc.keys_a[k] then new_keys[#new_keys + 1] = k end
  end
  for _, k in ipairs(sorted_keys(acc.keys_a)) do
    if not acc.keys_b[k] then missing_keys[#missing_keys + 1] = k end
  end
  return { new_keys_second_half = json.array(new_keys), missing_keys_second_half = json.array(missing_keys) }
end

local function finish_retry(t)
  local with_retry, recovered = 0, 0
  for task in pairs(t.timed_out_tasks) do
    with_retry = with_retry + 1
    if t.recovered_tasks[task] then recovered = recovered + 1 end
  end
  return {
    rows_with_retry_metadata = t.with_meta,
    rows_after_retry = t.after,
    rows_after_retry_success = t.after_ok,
    rows_after_retry_success_rate = ratio(t.after_ok, t.after),
    tasks_with_retry = with_retry,
    tasks_retry_recovered = recovered,
    tasks_retry_recovery_rate = ratio(recovered, with_retry),
    attempt_histogram = t.histogram,
  }
end

local function finish_http(acc)
  local order = {}
  for i, k in ipairs(acc.http_order) do order[i] = k end
  table.sort(order) -- "\0" separates format from mode, so this sorts by (format, parser_mode)
  local out = {}
  for _, key in ipairs(order) do
    local g = acc.http[key]
    g.success_rate = ratio(g.healthy_runs, g.runs)
    out[#out + 1] = g
  end
  return json.array(out)
end

--- The telemetry.v1 report of the rows added (exactly acc.total of them).
function stats.finish(acc)
  spread_shapes(acc)
  local fields, violations = {}, 0
  for _, key in ipairs(contract.STRICT_KEYS) do
    local present = acc.present[key]
    if present < acc.index then violations = violations + 1 end
    fields[#fields + 1] = { field = key, present = present, non_null = acc.non_null[key], total = acc.index }
  end
  local drift = finish_drift(acc)
  local severity = "ok"
  if violations > 0 or #drift.missing_keys_second_half > 0 then
    severity = "critical"
  elseif #drift.new_keys_second_half > 0 then
    severity = "warning"
  end
  return {
    contract_version = stats.CONTRACT_VERSION,
    log_file = acc.log_file,
    window_runs = acc.index,
    required_fields = #contract.STRICT_KEYS,
    severity = severity,
    strict_violations = violations,
    fields = json.array(fields),
    contract_drift = drift,
    retry_telemetry = finish_retry(acc.retry),
    critical_telemetry = acc.critical,
    http_mode_stats = finish_http(acc),
  }
end

--- The telemetry.v1 report for a window of decoded rows (file order).
function stats.compute(rows, log_file)
  local acc = stats.new(#rows, log_file)
  for _, r in ipairs(rows) do stats.add(acc, r) end
  return stats.finish(acc)
end

--- The report over the last n rows of the log at path, streamed (cx.logs.window): memory does not
--- grow with n. Returns report, info {exists, rows}; or nil, message.
function stats.file(path, n)
  local loc, err = window.locate(path, n)
  if not loc then return nil, err end
  local acc = stats.new(loc.count, path)
  local rows
  rows, err = window.each(loc, function(row, _, _, shape) stats.add(acc, row, shape) end, { shape = true })
  if not rows then return nil, err end
  return stats.finish(acc), loc
end

return stats
