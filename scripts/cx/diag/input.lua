--- What the diagnostics rule policies receive (docs/policies.md "What a rule receives"): excerpts
--- of the window's rows, each with its log line number and byte offset, the metric blocks over
--- every row and over each class of rows a rule can be `about`, and the action placeholders.
--- Pure apart from counting log lines to number the rows.
local core = require "cx.core"
local json = require "cx.json"
local fields = require "cx.diag.fields"
local metrics = require "cx.diag.metrics"

local u64, str = fields.u64, fields.str

local input = {}

--- Rows are numbered only when that reads at most this much of the log (the rows of a window
--- sit at its end, so the whole prefix would be read); beyond it `line` is absent, `offset` stays.
input.LINE_SCAN_MAX = 8 * 1024 * 1024
--- Strings longer than this (prompt previews, outputs) are left out of excerpts.
input.MAX_TEXT = 200

--- A row as the rules see it: its scalar fields (long strings and nested values left out), plus
--- `line` (1-based, when known) and `offset` (of its first byte in the log). A row that is not a
--- JSON object keeps only those two.
function input.excerpt(row, offset, line)
  local e = {}
  if type(row) == "table" and not json.is_array(row) then
    for k, v in pairs(row) do
      local t = type(v)
      if type(k) == "string" and (t == "number" or t == "boolean" or (t == "string" and #v <= input.MAX_TEXT)) then
        e[k] = v
      end
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
  local out, count, at = {}, 0, 0
  for _, off in ipairs(order) do
    local n = core.runlog.count_lines(log_file, at, off)
    if not n then return {} end
    count, at = count + n, off
    out[off] = count + 1
  end
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

--- The excerpts of a window read by cx.runlog.read_window (info.offsets align with rows).
function input.rows(rows, info)
  local offsets = info and info.offsets or {}
  local lines = input.line_numbers(info and info.log_file, offsets)
  local out = {}
  for i, row in ipairs(rows) do
    local off = offsets[i]
    out[i] = input.excerpt(row, off, off and lines[off])
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

return input
