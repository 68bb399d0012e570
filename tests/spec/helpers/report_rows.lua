--- Test helper: run-log rows shaped like a run-all's (task attempts on workers, with scheduler
--- keys), for `cx report` specs, and counting what a page holds. Deterministic: row i's fields are
--- functions of i.
local json = require "cx.json"

local M = {}

--- How many times a Lua pattern occurs in text.
function M.count(text, pattern)
  local n = 0
  for _ in text:gmatch(pattern) do n = n + 1 end
  return n
end

--- The attempts of a log file, counted from its lines (not by cx): object rows except the summary
--- rows of run-all and convergence.
function M.attempts_in(log)
  local n = 0
  for line in io.lines(log) do
    local row = json.decode(line)
    if type(row) == "table" and row.tool ~= "cxtask_runall" and row.tool ~= "cxtask_converge" then n = n + 1 end
  end
  return n
end

M.T0 = 1796000000000 -- epoch ms of the first attempt

--- n attempt rows over `workers` worker lanes and two backends, plus the run-all summary row.
--- opts: failing = {[i] = class} (row i fails with that class), quarantined = {[i] = true},
--- run_id, overrides = {[i] = {key = value}}.
function M.run(n, workers, opts)
  opts = opts or {}
  local rows = {}
  local run_id = opts.run_id or "run-20261202T120000Z-abc123"
  for i = 1, n do
    local w = (i - 1) % workers + 1
    local start = M.T0 + (i - 1) // workers * 100
    local class = opts.failing and opts.failing[i] or nil
    local q = opts.quarantined and opts.quarantined[i]
    if q then class = "schema_invalid" end
    local row = {
      tool = "cxtask_run", execution_id = string.format("exec_%05d", i), run_id = run_id,
      task_id = string.format("task_%03d", i), worker_id = "w" .. w,
      backend_used = (i % 3 == 0) and "ollama" or "codex", adapter_type = "mock",
      attempt_started_ms = start, attempt_finished_ms = start + 40 + i % 50, duration_ms = 40 + i % 50,
      queue_ms = i % 7 * 10, retry_attempt = 1, retry_max = 2, failure_class = class,
      quarantine_id = q and string.format("q_%05d", i) or nil, schema_name = q and "next" or nil,
      schema_reason = q and "commands: expected array" or nil,
      ts = os.date("!%Y-%m-%dT%H:%M:%SZ", start // 1000), timestamp = os.date("!%Y-%m-%dT%H:%M:%SZ", start // 1000),
    }
    for k, v in pairs(opts.overrides and opts.overrides[i] or {}) do row[k] = v end
    rows[#rows + 1] = row
  end
  rows[#rows + 1] = { tool = "cxtask_runall", run_id = run_id, execution_id = "summary", duration_ms = 5,
    ts = os.date("!%Y-%m-%dT%H:%M:%SZ", M.T0 // 1000) }
  return rows
end

return M
