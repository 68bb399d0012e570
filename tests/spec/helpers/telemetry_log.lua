--- Test helper: synthetic run logs in cx's row shape (every contract key, null when unset) for the
--- telemetry quality specs: plain capture rows, `task run-all` attempt rows (run_id, worker_id,
--- queue_ms, retry_*, wave, attempt_started_ms / attempt_finished_ms, run_offset_ms, as pkg runall writes them)
--- and run-all summary rows. Each builder returns a table; `M.text(rows)` gives the JSONL (row i
--- on line i). `M.drop` / `json.null` make the defects.
local json = require "cx.json"
local contract = require "cx.log_contract"

local M = {}

--- A marker: a field set to M.drop is removed from the row (absent, not null).
M.drop = setmetatable({}, { __tostring = function() return "drop" end })

local seq = 0

-- Set fields on row (M.drop removes the key).
local function apply(row, fields)
  for k, v in pairs(fields or {}) do
    if v == M.drop then row[k] = nil else row[k] = v end
  end
  return row
end

-- Defaults overlaid with fields, the drop markers kept for apply.
local function merge(defaults, fields)
  for k, v in pairs(fields or {}) do defaults[k] = v end
  return defaults
end

--- A row of tool with cx's base fields (as cx.runlog.row writes them), then fields.
function M.row(tool, fields)
  seq = seq + 1
  local row = {}
  for _, k in ipairs(contract.ROW_KEYS) do row[k] = json.null end
  local ts = string.format("2026-03-05T14:%02d:%02dZ", (seq // 60) % 60, seq % 60)
  apply(row, {
    execution_id = string.format("20260305T1415%02dZ_%s_4242_%08x", seq % 60, tool, seq),
    timestamp = ts, ts = ts, command = tool, tool = tool, cwd = "/repo", scope = "repo", repo_root = "/repo",
    backend_used = "codex", llm_backend = "codex", backend_selected = "codex", route_policy = "balanced",
    route_reason = "codex_selected", execution_mode = "lean", schema_enforced = contract.SCHEMA_TOOLS[tool] == true,
    schema_valid = true, schema_ok = true, adapter_type = "mock", provider_transport = "mock",
    adapter_id = "mock-0123456789ab",
  })
  return apply(row, fields)
end

--- A successful `cx cxo` row with its capture measures.
function M.capture(fields)
  return M.row("cxo", merge({
    duration_ms = 12, capture_provider = "native", system_output_len_raw = 40, system_output_len_processed = 40,
    system_output_len_clipped = 40, system_output_lines_raw = 2, system_output_lines_processed = 2,
    system_output_lines_clipped = 2, clipped = false, budget_chars = 12000, budget_lines = 300, clip_mode = "head",
    clip_footer = true, rtk_used = false, prompt_sha256 = ("ab"):rep(32), prompt_sha256_filtered = ("ab"):rep(32),
    prompt_sha256_raw = ("cd"):rep(32), prompt_len_raw = 40, prompt_len_filtered = 40, prompt_filter_applied = false,
    prompt_preview = "On branch main",
  }, fields))
end

--- One attempt row of a `task run-all` (tool cxtask_run: the objective sent as a prompt).
--- a = { run = run id, worker = n, task = id, attempt = n (default 1), queue = ms, started = epoch ms }.
function M.attempt(a, fields)
  local started = a.started or (1772720100000 + seq * 1000)
  local attempt = a.attempt or 1
  return M.row("cxtask_run", merge({
    duration_ms = 900, prompt_sha256 = ("ef"):rep(32), prompt_sha256_filtered = ("ef"):rep(32),
    prompt_len_raw = 30, prompt_preview = "Task: " .. a.task,
    run_id = a.run, worker_id = "w" .. a.worker, task_id = a.task, queue_ms = a.queue or 5,
    retry_attempt = attempt, retry_max = a.max or 2, retry_reason = attempt > 1 and "timeout" or json.null,
    retry_backoff_ms = attempt > 1 and 250 or json.null, wave = a.wave or 1,
    attempt_started_ms = started, attempt_finished_ms = started + 900, run_offset_ms = seq * 10,
  }, fields))
end

--- The summary row of run-all `run` (scheduled n tasks, all complete).
function M.summary(run, n, fields)
  return M.row("cxtask_runall", merge({
    command_label = "task_run_all_summary", duration_ms = 5000, prompt_sha256 = ("12"):rep(32),
    prompt_preview = "task run-all mode=mixed", run_all_mode = "mixed", halt_on_critical = false,
    run_all_scheduled = n, run_all_complete = n, run_all_failed = 0, run_all_blocked = 0,
    run_all_retryable_failures = 0, run_all_non_retryable_failures = 0, run_all_critical_errors = 0,
    run_id = run,
  }, fields))
end

--- The ids of a list of findings (or rules), in order.
function M.ids(list)
  local out = {}
  for i, x in ipairs(list) do out[i] = x.id end
  return out
end

--- The JSONL text of rows (compact, sorted keys; row i on line i).
function M.text(rows)
  local out = {}
  for i, r in ipairs(rows) do out[i] = json.encode(r) end
  return table.concat(out, "\n") .. "\n"
end

--- The log with known defects of the telemetry spec (a run-all whose rows break the scheduler's
--- expectations), and what it holds, line by line:
---   1-10  run r1, ten attempts on w1/w2; line 3 without queue_ms (null), line 5 a retry without a
---         reason, line 7 without attempt_finished_ms (absent); line 11 r1's summary
---   12-14 run r2's attempts on w1, and no summary (a crashed run)
---   15-16 run r3's attempts, line 17 its summary
---   18    run r4's first attempt, still running (open, not a defect)
function M.runall_defects()
  local rows = {}
  for i = 1, 10 do
    local fields
    if i == 3 then fields = { queue_ms = json.null } end
    if i == 7 then fields = { attempt_finished_ms = M.drop } end
    rows[i] = M.attempt({ run = "run-r1", worker = (i % 2) + 1, task = "t" .. i, attempt = i == 5 and 2 or 1 },
      i == 5 and { retry_reason = json.null } or fields)
  end
  rows[11] = M.summary("run-r1", 10)
  for i = 12, 14 do rows[i] = M.attempt({ run = "run-r2", worker = 1, task = "u" .. i }) end
  rows[15] = M.attempt({ run = "run-r3", worker = 1, task = "v1" })
  rows[16] = M.attempt({ run = "run-r3", worker = 2, task = "v2" })
  rows[17] = M.summary("run-r3", 2)
  rows[18] = M.attempt({ run = "run-r4", worker = 1, task = "x1" })
  return rows
end

return M
