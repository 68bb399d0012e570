--- `broker benchmark` (reference diagnostics.md §1.4, §2.4, §3.4): per backend, the runs of a log
--- window, their average and p95 duration, average effective input and output tokens, and the
--- strict gate on a minimum number of runs. Pure: rows in, the broker-benchmark.v1 report out.
local json = require "cx.json"

local benchmark = {}

benchmark.CONTRACT_VERSION = "broker-benchmark.v1"

local function trim_lower(s)
  return (s:match("^%s*(.-)%s*$")):lower()
end

--- The backend a row ran on: backend_selected, else backend_used (trimmed, lowercased); nil when
--- neither is a non-blank string. (The reference gave up on a blank backend_selected instead of
--- falling back; docs/compat.md.)
function benchmark.backend_of(row)
  if type(row) ~= "table" or json.is_array(row) then return nil end
  for _, k in ipairs({ "backend_selected", "backend_used" }) do
    local v = row[k]
    if type(v) == "string" and v:find("%S") then return trim_lower(v) end
  end
  return nil
end

-- A non-negative integer field, else 0 (floats, negatives, strings and null count as absent).
local function uint(row, key)
  local v = row[key]
  if math.type(v) == "integer" and v >= 0 then return v end
  return 0
end

-- The floor of the mean of non-negative integers, exactly and without overflow.
local function floor_mean(values)
  local n = #values
  if n == 0 then return 0 end
  local q, r = 0, 0
  for _, v in ipairs(values) do
    q = q + v // n
    r = r + v % n
  end
  return q + r // n
end

-- The reference's p95: sorted values at index floor((n-1)*95/100); 0 when there are none.
local function p95(values)
  local n = #values
  if n == 0 then return 0 end
  local sorted = {}
  for i, v in ipairs(values) do sorted[i] = v end
  table.sort(sorted)
  return sorted[(n - 1) * 95 // 100 + 1]
end

--- One summary entry per backend (in the order given, zeros for a backend without runs).
function benchmark.summarize(rows, backends)
  local summary = {}
  for _, b in ipairs(backends) do
    local durations, eff, out = {}, {}, {}
    for _, row in ipairs(rows) do
      if benchmark.backend_of(row) == b then
        durations[#durations + 1] = uint(row, "duration_ms")
        eff[#eff + 1] = uint(row, "effective_input_tokens")
        out[#out + 1] = uint(row, "output_tokens")
      end
    end
    summary[#summary + 1] = {
      backend = b,
      runs = #durations,
      avg_duration_ms = floor_mean(durations),
      p95_duration_ms = p95(durations),
      avg_effective_input_tokens = floor_mean(eff),
      avg_output_tokens = floor_mean(out),
    }
  end
  return summary
end

--- The strict gate: a violation per backend with fewer than min_runs runs (critical when it has
--- none, else warn), and whether the gate fails at the severity floor ("warn" fails on any
--- violation, "critical" on a critical one).
function benchmark.gate(summary, min_runs, severity)
  local violations = {}
  local counts = { warn = 0, critical = 0 }
  for _, s in ipairs(summary) do
    if s.runs < min_runs then
      local sev = s.runs == 0 and "critical" or "warn"
      counts[sev] = counts[sev] + 1
      violations[#violations + 1] = {
        backend = s.backend, runs = s.runs, min_runs = min_runs, severity = sev,
        message = string.format("%s: runs=%d below min_runs=%d", s.backend, s.runs, min_runs),
      }
    end
  end
  local failed = counts.critical > 0 or (severity == "warn" and counts.warn > 0)
  return violations, counts, failed
end

--- The broker-benchmark.v1 report, and whether the strict gate failed. opts: window, log_file,
--- backends, strict, min_runs, severity ("warn" | "critical").
function benchmark.report(rows, opts)
  local summary = benchmark.summarize(rows, opts.backends)
  local violations, counts, failed = {}, { warn = 0, critical = 0 }, false
  if opts.strict then violations, counts, failed = benchmark.gate(summary, opts.min_runs, opts.severity) end
  return {
    contract_version = benchmark.CONTRACT_VERSION,
    window = opts.window,
    log_file = opts.log_file,
    summary = json.array(summary),
    strict = opts.strict and true or false,
    min_runs = opts.min_runs,
    severity = opts.severity,
    violations = json.array(violations),
    violation_counts = counts,
  }, failed
end

return benchmark
