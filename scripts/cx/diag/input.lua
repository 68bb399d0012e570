--- What the diagnostics rule policies receive (docs/policies.md "What a rule receives"): excerpts
--- of the window's rows, each with its log line number and byte offset, the metric blocks over
--- every row and over each class of rows a rule can be `about`, and the action placeholders.
--- Pure apart from counting log lines to number the rows.
local core = require "cx.core"
local json = require "cx.json"
local fields = require "cx.diag.fields"
local metrics = require "cx.diag.metrics"
local optimize = require "cx.diag.optimize"

local u64, str = fields.u64, fields.str

local input = {}

--- Rows are numbered only when that reads at most this much of the log (the rows of a window
--- sit at its end, so the whole prefix would be read); beyond it `line` is absent, `offset` stays.
input.LINE_SCAN_MAX = 8 * 1024 * 1024
--- Strings longer than this are left out of excerpts.
input.MAX_TEXT = 200

--- The fields of a row the rules see (docs/policies.md): what diagnostics judge, not the prompt
--- text, hashes and paths. Each is copied into the sandbox for every row, so the list stays short.
input.EXCERPT_KEYS = {
  "execution_id", "ts", "tool", "command_label", "execution_mode",
  "backend_used", "backend_selected", "llm_backend", "llm_model", "adapter_type", "provider_status", "http_status",
  "worker_id", "queue_ms", "task_id", "task_parent_id", "run_id", "wave",
  "retry_attempt", "retry_max", "retry_reason", "retry_backoff_ms",
  "duration_ms", "timed_out", "timeout_secs", "failure_class",
  "schema_enforced", "schema_name", "schema_valid", "schema_reason", "quarantine_id", "policy_blocked", "policy_reason",
  "input_tokens", "cached_input_tokens", "effective_input_tokens", "output_tokens",
  "clipped", "capture_provider", "system_output_len_raw", "system_output_len_processed", "system_output_len_clipped",
  "converge_mode", "replica_index", "replica_count",
  "run_all_mode", "halt_on_critical", "run_all_scheduled", "run_all_complete", "run_all_failed", "run_all_blocked",
  "run_all_critical_errors",
}

--- A row as the rules see it: its EXCERPT_KEYS fields that hold a number, a boolean or a string
--- of at most MAX_TEXT bytes (null and other values are absent), plus `line` (1-based, when known)
--- and `offset` (of its first byte in the log). A row that is not a JSON object keeps only those two.
function input.excerpt(row, offset, line)
  local e = {}
  if type(row) == "table" and not json.is_array(row) then
    for _, k in ipairs(input.EXCERPT_KEYS) do
      local v = row[k]
      local t = type(v)
      if t == "number" or t == "boolean" or (t == "string" and #v <= input.MAX_TEXT) then e[k] = v end
    end
  end
  e.offset, e.line = offset, line
  return e
end

--- { [offset] = line number } for the rows at these byte offsets of log_file; empty when counting
--- would read more than LINE_SCAN_MAX bytes or the log cannot be read.
function input.line_numbers(log_file, offsets)
  local order = {}
  for _, off in pairs(offsets or {}) do order[#order + 1] = off end
  if not log_file or #order == 0 then return {} end
  table.sort(order)
  if order[#order] > input.LINE_SCAN_MAX then return {} end
  local lines = core.runlog.line_numbers(log_file, order)
  local out = {}
  for i, off in ipairs(lines and order or {}) do out[off] = lines[i] end
  return out
end

--- A row a user's cancellation ended (pkg signals): not a provider anomaly.
function input.interrupted(row)
  return str(row, "failure_class") == "interrupted"
end

--- A row the task scheduler wrote: it names a worker, a queue wait, a retry attempt or a run-all
--- run, or it is a run-all summary. Plain `cx cxo` rows are not scheduled, whatever their backend.
function input.scheduled(row)
  if input.interrupted(row) then return false end
  local w = str(row, "worker_id")
  return (w ~= nil and w ~= "") or u64(row, "queue_ms") ~= nil or u64(row, "retry_attempt") ~= nil
    or str(row, "run_id") ~= nil or str(row, "tool") == "cxtask_runall"
end

--- The excerpts of a window read by cx.runlog.read_window (info.offsets align with rows; a caller
--- that knows the line numbers already gives info.lines, aligned too).
function input.rows(rows, info)
  local offsets = info and info.offsets or {}
  local known = info and info.lines
  local lines = known and {} or input.line_numbers(info and info.log_file, offsets)
  local out = {}
  for i, row in ipairs(rows) do
    local off = offsets[i]
    out[i] = input.excerpt(row, off, known and known[i] or (off and lines[off]))
  end
  return json.array(out)
end

--- The input of the scheduler policy (cx diag, cx scheduler): m = metrics.compute(rows), the
--- blocks the report shows; classes.scheduled holds the scheduled rows and their own blocks.
function input.scheduler(rows, info, window, m)
  local excerpts = input.rows(rows, info)
  local sched_rows, sched_ex = {}, {}
  for i, row in ipairs(rows) do
    if input.scheduled(row) then
      sched_rows[#sched_rows + 1] = row
      sched_ex[#sched_ex + 1] = excerpts[i]
    end
  end
  return {
    window = window,
    log_file = info and info.log_file,
    rows = excerpts,
    metrics = m or metrics.compute(rows),
    classes = { scheduled = { rows = json.array(sched_ex), metrics = metrics.compute(sched_rows) } },
    vars = { W = window },
  }
end

--- The input of the optimize policy: the scoreboard (cx.diag.optimize) of the typed rows.
function input.optimize(rows, info, window, scoreboard)
  return {
    window = window,
    log_file = info and info.log_file,
    rows = input.rows(rows, info),
    scoreboard = scoreboard,
    vars = { W = window },
  }
end

-- The rows of a window that pass optimize's typed check, with their offsets.
local function typed(rows, info)
  local out, offsets, lines = {}, {}, info and info.lines and {} or nil
  for i, row in ipairs(rows) do
    if fields.typed_ok(row) then
      out[#out + 1] = row
      offsets[#out] = info and info.offsets and info.offsets[i]
      if lines then lines[#out] = info.lines[i] end
    end
  end
  return out, { log_file = info and info.log_file, offsets = offsets, lines = lines }
end

-- The telemetry policy's input (cx.logs.quality) over rows already read.
local function telemetry_input(rows, info, window)
  local quality = require "cx.logs.quality" -- not needed by diag itself
  local offsets = info and info.offsets or {}
  local lines = info and info.lines
  if not lines then
    local by_offset = input.line_numbers(info and info.log_file, offsets)
    lines = {}
    for i, off in pairs(offsets) do lines[i] = by_offset[off] end
  end
  return quality.input(quality.of_rows(rows, offsets, lines), { window = window, log_file = info and info.log_file })
end

--- The input cx gives rule policy `name` over a window of decoded rows (cx policy run / test, the
--- Lua API): `scheduler` as cx diag does, `optimize` as cx optimize does (its typed rows and the
--- CXALERT_* thresholds), `telemetry` as cx logs stats does, any other policy everything at once:
--- rows, metrics, classes, scoreboard. Returns the input and the cx.policy_rules options it needs
--- ({thresholds} or {}).
function input.for_policy(name, rows, info, window, getenv)
  local env = optimize.env_thresholds(getenv)
  if name == "scheduler" then return input.scheduler(rows, info, window), {} end
  if name == "telemetry" then return telemetry_input(rows, info, window), {} end
  local trows, tinfo = typed(rows, info)
  local th = { max_ms = env.max_ms or optimize.DEFAULT_MAX_MS, max_eff = env.max_eff or optimize.DEFAULT_MAX_EFF }
  local sb = optimize.scoreboard(trows, th)
  if name == "optimize" then return input.optimize(trows, tinfo, window, sb), { thresholds = env } end
  local all = input.scheduler(rows, info, window)
  all.scoreboard = sb
  return all, {}
end

return input
