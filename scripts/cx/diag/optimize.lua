--- optimize's scoreboard and recommendations (reference diagnostics.md §5), computed from typed
--- log rows. Pure: plain rows in, plain tables out; absent values are nil. Pairs such as
--- (tool, average) are two-element lists {tool, avg}, the shape the JSON report prints.
local fields = require "cx.diag.fields"
local stats = require "cx.diag.stats"

local u64, str, bool = fields.u64, fields.str, fields.bool

local optimize = {}

optimize.DEFAULT_WINDOW = 200
optimize.DEFAULT_MAX_MS = 12000
optimize.DEFAULT_MAX_EFF = 8000

--- The alert thresholds the environment sets: CXALERT_MAX_MS and CXALERT_MAX_EFF_IN, each only
--- when it is an unsigned integer (else the policy's threshold, by default the reference's).
--- getenv defaults to os.getenv.
function optimize.env_thresholds(getenv)
  getenv = getenv or os.getenv
  return {
    max_ms = stats.parse_u64(getenv("CXALERT_MAX_MS")),
    max_eff = stats.parse_u64(getenv("CXALERT_MAX_EFF_IN")),
  }
end

--- Alert thresholds with fallback: the environment's, else the defaults.
function optimize.thresholds(getenv)
  local env = optimize.env_thresholds(getenv)
  return { max_ms = env.max_ms or optimize.DEFAULT_MAX_MS, max_eff = env.max_eff or optimize.DEFAULT_MAX_EFF }
end

--- Rows over either alert threshold (duration > max_ms or effective input > max_eff).
function optimize.count_alerts(rows, th)
  local n = 0
  for _, row in ipairs(rows) do
    if (u64(row, "duration_ms") or 0) > th.max_ms or (u64(row, "effective_input_tokens") or 0) > th.max_eff then
      n = n + 1
    end
  end
  return n
end

-- Per-key (sum, count) accumulators turned into [key, floor(avg)] pairs, highest first; ties by key
-- so the order is stable (the reference leaves ties to hash order).
local function top_averages(acc, limit)
  local out = {}
  for key, a in pairs(acc) do out[#out + 1] = { key, a.sum // a.count } end
  table.sort(out, function(x, y)
    if x[2] ~= y[2] then return x[2] > y[2] end
    return x[1] < y[1]
  end)
  while #out > limit do out[#out] = nil end
  return out
end

local function top_counts(counts, limit)
  local out = {}
  for key, n in pairs(counts) do out[#out + 1] = { key, n } end
  table.sort(out, function(x, y)
    if x[2] ~= y[2] then return x[2] > y[2] end
    return x[1] < y[1]
  end)
  while #out > limit do out[#out] = nil end
  return out
end

local function add(acc, key, value)
  local a = acc[key]
  if not a then
    a = { sum = 0, count = 0 }
    acc[key] = a
  end
  a.sum = a.sum + value
  a.count = a.count + 1
end

-- Cached over input tokens for rows[first..last], or nil when those rows had no input tokens.
local function cache_ratio(rows, first, last)
  local input, cached = 0, 0
  for i = first, last do
    input = input + (u64(rows[i], "input_tokens") or 0)
    cached = cached + (u64(rows[i], "cached_input_tokens") or 0)
  end
  return stats.ratio(cached, input)
end

local function cache_trend(rows)
  local n = #rows
  if n == 0 then return {} end
  local k = math.max(n // 2, 1)
  local first, second = cache_ratio(rows, 1, k), cache_ratio(rows, k + 1, n)
  local delta = (first and second) and (second - first) or nil
  return { first_half = first, second_half = second, delta = delta }
end

-- Retry counters; tasks are tracked only on rows that carry retry_attempt, keyed by the untrimmed id.
local function retry_health(rows, runs)
  local h = { rows_after_retry = 0, rows_after_retry_success = 0, tasks_with_timeout = 0, tasks_recovered = 0 }
  local hist, seen, recovered = {}, {}, {}
  for _, row in ipairs(rows) do
    local attempt = u64(row, "retry_attempt")
    if attempt then
      hist[attempt] = (hist[attempt] or 0) + 1
      local timed_out = bool(row, "timed_out") == true
      if attempt > 1 and str(row, "failure_class") ~= "interrupted" then -- a cancellation is not a failed retry
        h.rows_after_retry = h.rows_after_retry + 1
        if not timed_out and bool(row, "policy_blocked") ~= true and bool(row, "schema_valid") ~= false then
          h.rows_after_retry_success = h.rows_after_retry_success + 1
        end
      end
      local tid = str(row, "task_id")
      if tid and fields.trim(tid) ~= "" then
        seen[tid] = seen[tid] or false
        recovered[tid] = recovered[tid] or false
        if timed_out then
          seen[tid] = true
        elseif attempt > 1 then
          recovered[tid] = true
        end
      end
    end
  end
  for tid, s in pairs(seen) do
    if s then
      h.tasks_with_timeout = h.tasks_with_timeout + 1
      if recovered[tid] then h.tasks_recovered = h.tasks_recovered + 1 end
    end
  end
  local histogram = {}
  for _, attempt in ipairs(stats.sorted_keys(hist)) do histogram[#histogram + 1] = { attempt, hist[attempt] } end
  h.attempt_histogram = histogram
  h.rows_after_retry_rate = stats.ratio(h.rows_after_retry, runs)
  h.rows_after_retry_success_rate = stats.ratio(h.rows_after_retry_success, h.rows_after_retry)
  h.tasks_recovery_rate = stats.ratio(h.tasks_recovered, h.tasks_with_timeout)
  return h
end

local function compression(providers)
  local out = {}
  for name, p in pairs(providers) do
    out[#out + 1] = {
      provider = name,
      runs = p.runs,
      raw_sum = p.raw,
      processed_sum = p.processed,
      clipped_sum = p.clipped,
      processed_over_raw = stats.ratio(p.processed, p.raw),
      clipped_over_raw = stats.ratio(p.clipped, p.raw),
    }
  end
  -- Best compression first; a provider without raw bytes sorts as ratio 1.0.
  table.sort(out, function(x, y)
    local a, b = x.processed_over_raw or 1.0, y.processed_over_raw or 1.0
    if a ~= b then return a < b end
    return x.provider < y.provider
  end)
  return out
end

--- The scoreboard of a window of typed rows. th = optimize.thresholds(); alerts count rows over
--- either threshold. With no rows every counter is 0, every list empty and every rate nil.
function optimize.scoreboard(rows, th)
  th = th or optimize.thresholds(function() return nil end)
  local runs = #rows
  local dur, eff = {}, {}
  local alerts, schema_runs, schema_failures, timeout_runs = 0, 0, 0, 0
  local captured, clipped = 0, 0
  local labels, providers = {}, {}
  local sum_in, sum_cached = 0, 0
  for _, row in ipairs(rows) do
    local tool = str(row, "tool") or "unknown"
    local e = u64(row, "effective_input_tokens") or 0
    local d = u64(row, "duration_ms") or 0
    add(eff, tool, e)
    add(dur, tool, d)
    if d > th.max_ms or e > th.max_eff then alerts = alerts + 1 end
    -- A run the user interrupted (failure_class "interrupted") is not a schema failure.
    if bool(row, "schema_enforced") == true and str(row, "failure_class") ~= "interrupted" then
      schema_runs = schema_runs + 1
      if bool(row, "schema_valid") == false then schema_failures = schema_failures + 1 end
    end
    if bool(row, "timed_out") == true then
      timeout_runs = timeout_runs + 1
      local label = str(row, "command_label") or "unknown"
      labels[label] = (labels[label] or 0) + 1
    end
    local c = bool(row, "clipped")
    if c ~= nil then
      captured = captured + 1
      if c then clipped = clipped + 1 end
    end
    local provider = str(row, "capture_provider")
    if provider then
      local p = providers[provider] or { runs = 0, raw = 0, processed = 0, clipped = 0 }
      providers[provider] = p
      p.runs = p.runs + 1
      p.raw = p.raw + (u64(row, "system_output_len_raw") or 0)
      p.processed = p.processed + (u64(row, "system_output_len_processed") or 0)
      p.clipped = p.clipped + (u64(row, "system_output_len_clipped") or 0)
    end
    sum_in = sum_in + (u64(row, "input_tokens") or 0)
    sum_cached = sum_cached + (u64(row, "cached_input_tokens") or 0)
  end
  return {
    runs = runs,
    alerts = alerts,
    alerts_pct = runs > 0 and (alerts / runs) * 100.0 or 0.0,
    top_avg_duration_ms = top_averages(dur, 5),
    top_avg_effective_input_tokens = top_averages(eff, 5),
    cache_hit_rate = stats.ratio(sum_cached, sum_in),
    cache_hit_trend = cache_trend(rows),
    schema_failure_frequency = {
      schema_runs = schema_runs,
      schema_failures = schema_failures,
      rate = stats.ratio(schema_failures, schema_runs),
    },
    timeout_frequency = {
      timeout_runs = timeout_runs,
      rate = stats.ratio(timeout_runs, runs),
      top_labels = top_counts(labels, 5),
    },
    retry_health = retry_health(rows, runs),
    capture_provider_compression = compression(providers),
    budget_clipping_frequency = {
      captured_runs = captured,
      clipped_runs = clipped,
      rate = stats.ratio(clipped, captured),
    },
  }
end

--- The recommendations of an empty window, and of a window where no recommendation rule fired
--- (the rules themselves are in policies/optimize.lua).
optimize.NO_RUNS = "No runs available in log window."
optimize.NO_ANOMALIES = "No significant anomalies in this window."

return optimize
