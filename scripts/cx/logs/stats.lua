--- `logs stats` / `telemetry`: field population of the strict keys, contract drift between the two
--- halves of the window, retry / run-all / HTTP telemetry and a severity, computed over the decoded
--- rows of a window exactly as the reference does (contract telemetry.v1). Pure: rows in, table out.
local json = require "cx.json"
local contract = require "cx.log_contract"

local stats = {}

stats.CONTRACT_VERSION = "telemetry.v1"

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

local function field_population(rows)
  local fields, violations = {}, 0
  for _, key in ipairs(contract.STRICT_KEYS) do
    local present, non_null = 0, 0
    for _, r in ipairs(rows) do
      if is_object(r) and r[key] ~= nil then
        present = present + 1
        if r[key] ~= json.null then non_null = non_null + 1 end
      end
    end
    if present < #rows then violations = violations + 1 end
    fields[#fields + 1] = { field = key, present = present, non_null = non_null, total = #rows }
  end
  return fields, violations
end

local function contract_drift(rows)
  local new_keys, missing_keys = {}, {}
  if #rows >= 2 then
    local mid = #rows // 2
    local a, b = {}, {}
    for i, r in ipairs(rows) do
      if is_object(r) then
        local set = i <= mid and a or b
        for k in pairs(r) do set[k] = true end
      end
    end
    for _, k in ipairs(sorted_keys(b)) do
      if not a[k] then new_keys[#new_keys + 1] = k end
    end
    for _, k in ipairs(sorted_keys(a)) do
      if not b[k] then missing_keys[#missing_keys + 1] = k end
    end
  end
  return { new_keys_second_half = json.array(new_keys), missing_keys_second_half = json.array(missing_keys) }
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

local function retry_telemetry(rows)
  local with_meta, after, after_ok = 0, 0, 0
  local histogram = {}
  local timed_out_tasks, recovered_tasks = {}, {}
  for _, r in ipairs(rows) do
    if is_object(r) then
      local a = r.retry_attempt
      local task = trimmed_task(r)
      if is_uint(a) then
        with_meta = with_meta + 1
        local hk = tostring(a)
        histogram[hk] = (histogram[hk] or 0) + 1
        if a > 1 then
          after = after + 1
          if r.timed_out ~= true and r.schema_valid ~= false and r.policy_blocked ~= true then
            after_ok = after_ok + 1
          end
        end
      end
      if task then
        if r.timed_out == true then
          timed_out_tasks[task] = true
        elseif is_uint(a) and a > 1 then
          recovered_tasks[task] = true
        end
      end
    end
  end
  local with_retry, recovered = 0, 0
  for task in pairs(timed_out_tasks) do
    with_retry = with_retry + 1
    if recovered_tasks[task] then recovered = recovered + 1 end
  end
  return {
    rows_with_retry_metadata = with_meta,
    rows_after_retry = after,
    rows_after_retry_success = after_ok,
    rows_after_retry_success_rate = ratio(after_ok, after),
    tasks_with_retry = with_retry,
    tasks_retry_recovered = recovered,
    tasks_retry_recovery_rate = ratio(recovered, with_retry),
    attempt_histogram = histogram,
  }
end

local function critical_telemetry(rows)
  local c = { summary_rows = 0, halt_enabled_rows = 0, halted_rows = 0, critical_errors_total = 0,
    runs_with_critical_errors = 0 }
  for _, r in ipairs(rows) do
    if is_object(r) and r.tool == "cxtask_runall" then
      c.summary_rows = c.summary_rows + 1
      if r.halt_on_critical == true then c.halt_enabled_rows = c.halt_enabled_rows + 1 end
      local crit = is_uint(r.run_all_critical_errors) and r.run_all_critical_errors or 0
      c.critical_errors_total = c.critical_errors_total + crit
      if crit > 0 then c.runs_with_critical_errors = c.runs_with_critical_errors + 1 end
      local s, done, failed = r.run_all_scheduled, r.run_all_complete, r.run_all_failed
      if is_uint(s) and is_uint(done) and is_uint(failed) and done + failed < s then
        c.halted_rows = c.halted_rows + 1
      end
    end
  end
  return c
end

local function http_mode_stats(rows)
  local groups, order = {}, {}
  for _, r in ipairs(rows) do
    if is_object(r) and r.provider_transport == "http" then
      local format = type(r.http_provider_format) == "string" and r.http_provider_format or "unknown"
      local mode = type(r.http_parser_mode) == "string" and r.http_parser_mode or "unknown"
      local key = format .. "\0" .. mode
      local g = groups[key]
      if not g then
        g = { format = format, parser_mode = mode, runs = 0, healthy_runs = 0, schema_invalid = 0,
          timed_out = 0, policy_blocked = 0 }
        groups[key] = g
        order[#order + 1] = key
      end
      g.runs = g.runs + 1
      local bad = false
      if r.schema_valid == false then g.schema_invalid, bad = g.schema_invalid + 1, true end
      if r.timed_out == true then g.timed_out, bad = g.timed_out + 1, true end
      if r.policy_blocked == true then g.policy_blocked, bad = g.policy_blocked + 1, true end
      if not bad then g.healthy_runs = g.healthy_runs + 1 end
    end
  end
  table.sort(order) -- "\0" separates format from mode, so this sorts by (format, parser_mode)
  local out = {}
  for _, key in ipairs(order) do
    local g = groups[key]
    g.success_rate = ratio(g.healthy_runs, g.runs)
    out[#out + 1] = g
  end
  return json.array(out)
end

--- The telemetry.v1 report for a window of decoded rows (file order).
function stats.compute(rows, log_file)
  local fields, violations = field_population(rows)
  local drift = contract_drift(rows)
  local severity = "ok"
  if violations > 0 or #drift.missing_keys_second_half > 0 then
    severity = "critical"
  elseif #drift.new_keys_second_half > 0 then
    severity = "warning"
  end
  return {
    contract_version = stats.CONTRACT_VERSION,
    log_file = log_file,
    window_runs = #rows,
    required_fields = #contract.STRICT_KEYS,
    severity = severity,
    strict_violations = violations,
    fields = json.array(fields),
    contract_drift = drift,
    retry_telemetry = retry_telemetry(rows),
    critical_telemetry = critical_telemetry(rows),
    http_mode_stats = http_mode_stats(rows),
  }
end

return stats
