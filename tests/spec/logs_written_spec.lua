-- Every log cx writes validates clean under `cx logs validate --strict`: each command that appends
-- rows runs on the mock (capture commands, cxcopy, fix, health, successes, schema failures, adapter
-- failures, task variables, a signal, replay, fix-run), then the repository's log is checked by
-- the command and by the spec helper other
-- packages call (helpers.log_valid; the scheduler's rows join once pkg runall lands); and its
-- telemetry raises no finding (policies/telemetry.lua: every row carries what its kind must).
local h = require "helpers.cli"
local json = require "cx.json"
local log_valid = require "helpers.log_valid"
local runlog_rows = require "helpers.runlog_rows"

local function lines_of(evidence)
  local out = {}
  for i, e in ipairs(evidence) do out[i] = tostring(e.line) end
  return out
end

local function git_repo()
  local repo = h.tmprepo()
  assert(os.execute("cd " .. h.quote(repo) .. " && git config user.email t@example.invalid && git config user.name t"
    .. " && printf 'one\\n' > a && git add a && git commit -qm init"
    .. " && printf 'two\\n' >> a && printf 'b\\n' > b && git add b"))
  return repo
end

describe("logs cx writes", function()
  local repo
  before_each(function() repo = git_repo() end)
  after_each(function() h.rm(repo) end)

  local function cx(args, env)
    local e = { CX_PROVIDER_ADAPTER = "mock", HOME = repo }
    for k, v in pairs(env or {}) do e[k] = v end
    return h.cx(args, { cwd = repo, env = e })
  end

  -- The log holds n_rows rows, validates clean, and its telemetry raises no finding (every row
  -- carries what its kind must: policies/telemetry.lua); returns the telemetry document.
  local function assert_clean(n_rows, findings)
    local rows = runlog_rows.all(repo)
    assert.equal(n_rows, #rows)
    local r = cx({ "logs", "validate", "--strict" })
    assert.equal(0, r.code, r.stdout)
    assert.truthy(r.stdout:find("\nstatus: ok\n", 1, true), r.stdout)
    assert.truthy(r.stdout:find("warning_count: 0\n", 1, true), r.stdout)
    log_valid.assert_repo_clean(repo, { no_warnings = true })
    r = cx({ "telemetry", "--json", "--strict" })
    local d = assert(json.decode(r.stdout), r.stdout .. r.stderr)
    local ids = {}
    for i, f in ipairs(d.findings) do ids[i] = f.id .. "@" .. table.concat(lines_of(f.evidence), ",") end
    assert.same(findings or {}, ids)
    assert.equal(findings and 1 or 0, r.code, r.stderr)
    assert.same({ 0, n_rows }, { d.strict_violations, d.window_runs })
    return d
  end

  -- The capture commands (17 rows): successes, every adapter failure, cxcopy, fix, health.
  local function run_captures()
    assert.equal(0, cx({ "cx", "git", "status" }).code)
    assert.equal(0, cx({ "cxj", "git", "status" }).code)
    assert.equal(0, cx({ "cxo", "echo", "hi" }).code)
    assert.equal(0, cx({ "cxol", "true" }).code)
    for _, fail in ipairs({ "timeout", "unreachable", "malformed", "rate_limited", "server_error", "incomplete" }) do
      cx({ "cxo", "true" }, { CX_MOCK_FAIL = fail, CX_TIMEOUT_LLM_SECS = "1" })
    end
    cx({ "cxo", "true" }, { CX_MOCK_ERROR = "quota exhausted" })
    cx({ "cxo", "true" }, { CX_PROVIDER_ADAPTER = "http-stub" })
    cx({ "cxo", "true" }, { CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_URL = false })
    cx({ "cxo", "/nonexistent/command" })
    cx({ "cxcopy", "true" }) -- no clipboard here: the run is still logged
    cx({ "fix", "false" })
    assert.equal(0, cx({ "health" }).code)
  end

  -- The structured commands: successes, schema failures with quarantine, relaxed mode.
  local function run_structured()
    assert.equal(0, cx({ "next", "git", "status" }).code)
    assert.equal(0, cx({ "diffsum" }).code)
    assert.equal(0, cx({ "diffsum-staged" }).code)
    assert.equal(0, cx({ "commitjson" }).code)
    assert.equal(0, cx({ "commitmsg" }).code)
    assert.equal(1, cx({ "next", "true" }, { CX_MOCK_FAIL = "malformed" }).code) -- two rows + quarantine
    assert.equal(1, cx({ "next", "true" }, { CX_MOCK_PLAIN_RESPONSE = "prose", CX_SCHEMA_RELAXED = "1" }).code)
    assert.equal(1, cx({ "next", "true" }, { CX_MOCK_FAIL = "timeout", CX_TIMEOUT_LLM_SECS = "1" }).code)
  end

  -- Replay (success and failure) and fix-run, its last row a blocked command.
  local function run_replays()
    cx({ "next", "true" }, { CX_MOCK_FAIL = "malformed" })
    local qid = runlog_rows.last(repo).quarantine_id
    assert.equal(0, cx({ "replay", qid }).code)
    assert.equal(1, cx({ "replay", qid }, { CX_MOCK_FAIL = "malformed" }).code)
    local reply = '{"analysis":"stale","commands":["echo rebuilt > marker","rm -rf /"]}'
    assert.equal(0, cx({ "fix-run", "true" }, { CX_MOCK_PLAIN_RESPONSE = reply }).code)
    cx({ "fix-run", "true" }, { CX_MOCK_PLAIN_RESPONSE = reply, CXFIX_RUN = "1" })
  end

  it("capture commands: cx, cxj, cxo, cxol, successes and adapter failures", function()
    run_captures()
    local d = assert_clean(17)
    assert.same({ 17, 0 }, { d.row_kinds.kinds.capture, d.nullability.broken })
    assert.is_true(d.row_kinds.outcomes.timed_out >= 1 and d.row_kinds.outcomes.failed >= 6)
    local adapters = {}
    for _, row in ipairs(runlog_rows.all(repo)) do adapters[row.adapter_type] = true end
    assert.same({ mock = true, ["http-stub"] = true, ["http-curl"] = true }, adapters)
    local tools = {}
    for _, row in ipairs(runlog_rows.all(repo)) do tools[row.tool] = true end
    assert.is_true(tools.cxcopy and tools.cxfix and tools.cxj and tools.cx)
  end)

  it("task variables, an unusual mode and backend on the rows", function()
    local env = { CX_TASK_ID = "task_7", CX_TASK_PARENT_ID = "task_1", CX_TASK_WORKER_ID = "w3",
      CX_TASK_QUEUE_MS = "42", CX_TASK_RETRY_ATTEMPT = "2", CX_TASK_RETRY_MAX = "3", CX_TASK_RETRY_REASON = "timeout",
      CX_TASK_RETRY_BACKOFF_MS = "500", CX_TASK_REPLICA_INDEX = "1", CX_TASK_REPLICA_COUNT = "2",
      CX_TASK_CONVERGE_MODE = "vote", CX_TASK_CONVERGE_WINNER = "1", CX_TASK_CONVERGE_VOTES = '{"ok":2}',
      CX_MODE = "deterministic", CX_LLM_BACKEND = "ollama", CX_BROKER_POLICY = "cost" }
    assert.equal(0, cx({ "cxo", "true" }, env).code)
    -- values that do not parse become null, not junk
    env.CX_TASK_QUEUE_MS, env.CX_TASK_RETRY_ATTEMPT, env.CX_TASK_CONVERGE_VOTES = "-1", "99999999999", "{bad"
    assert.equal(0, cx({ "cxo", "true" }, env).code)
    -- the telemetry names the row whose queue wait did not parse: a worker's row without queue_ms
    local d = assert_clean(2, { "expected_field_incomplete@2", "queue_ms_missing@2" })
    assert.same({ 2, 1 }, { d.row_kinds.contexts.task_attempt, d.quality_rollups.queue.without_queue_ms })
    assert.equal(42, runlog_rows.all(repo)[1].queue_ms)
    assert.equal(json.null, runlog_rows.last(repo).queue_ms)
  end)

  it("structured commands: successes, schema failures with quarantine, relaxed mode", function()
    run_structured()
    local n = #runlog_rows.all(repo)
    assert.is_true(n >= 9)
    local d = assert_clean(n)
    assert.is_true(d.row_kinds.kinds.structured >= 5 and d.row_kinds.outcomes.schema_failure >= 1)
  end)

  it("replay, success and failure, and fix-run with a blocked command", function()
    run_replays()
    local n = #runlog_rows.all(repo)
    assert.is_true(n >= 6)
    assert_clean(n)
    assert.is_true(runlog_rows.last(repo).policy_blocked)
  end)

  it("every command on the mock in one log: failures, schema failures, replay, fix-run, task variables", function()
    run_captures()
    cx({ "cxo", "true" }, { CX_TASK_ID = "task_7", CX_TASK_WORKER_ID = "w3", CX_TASK_QUEUE_MS = "42",
      CX_TASK_RETRY_ATTEMPT = "2", CX_TASK_RETRY_MAX = "3", CX_TASK_RETRY_REASON = "timeout" })
    run_structured()
    run_replays()
    local n = #runlog_rows.all(repo)
    assert.is_true(n >= 30, "rows: " .. n)
    -- one log of every kind: the halves hold different commands, which is no drift
    local d = assert_clean(n)
    assert.is_true(d.row_kinds.kinds.capture > 10 and d.row_kinds.kinds.structured > 5)
    assert.is_true(d.row_kinds.outcomes.timed_out >= 2 and d.row_kinds.outcomes.schema_failure >= 2)
    local r = cx({ "logs", "stats", "--strict" })
    assert.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("\nquality_severity: ok\n$"), r.stdout)
  end)

  it("the scheduler's rows: task run, run-all with parallel waves, retries, failures and convergence", function()
    local tr = require "helpers.tasks_repo"
    local task = tr.task
    tr.write_tasks(repo, {
      task("task_001", { run_mode = "parallel", resource_keys = { "repo:read" } }),
      task("task_002", { run_mode = "parallel", resource_keys = { "repo:read" }, max_retries = 2 }),
      task("task_003", { objective = "next echo hi", max_retries = 3 }), -- a schema failure: not retried
      task("task_004", { depends_on = { "task_001" }, converge = "majority", replicas = 2 }),
      task("task_005", { depends_on = { "task_003" } }), -- skipped: its dependency fails
      task("task_006", { run_mode = "parallel", resource_keys = { "repo:read" } }),
      task("task_007", { status = "failed" }), -- not selected by run-all; run alone below
    })
    -- task_002 fails once with a transient error, then succeeds on its retry
    local r = tr.cx(repo, { "task", "run-all", "--mode", "mixed", "--max-workers", "2" },
      { CX_MOCK_FAIL = "server_error", CX_MOCK_FAIL_TASKS = "task_002", CX_MOCK_FAIL_EVERY = "2",
        CX_MOCK_PLAIN_RESPONSE = "not json" })
    assert.equal(1, r.code, r.stdout .. r.stderr)
    assert.equal(0, tr.cx(repo, { "task", "run", "task_007" }).code)
    local rows = runlog_rows.all(repo)
    local d = assert_clean(#rows)
    local k, q = d.row_kinds, d.quality_rollups
    assert.is_true(k.contexts.runall_attempt >= 6 and k.contexts.task_run >= 1, json.encode(k.contexts))
    assert.same({ 1, 1 }, { k.kinds.runall_summary, k.kinds.convergence })
    assert.equal(q.queue.scheduled_rows, q.queue.with_queue_ms)
    assert.is_true(q.attempts.retries >= 1 and q.attempts.started >= 6, json.encode(q.attempts))
    assert.same({ 0, 0 }, { q.attempts.retries_without_reason, q.attempts.started_not_finished })
    assert.same({ 1, 1, 0, 0 }, { q.runs.runs_seen, q.runs.runs_with_summary, q.runs.runs_without_summary,
      q.runs.open_runs })
    assert.is_true(q.workers.workers_seen >= 1 and q.workers.workers_with_unfinished == 0)
  end)

  it("a run stopped by a signal writes an `interrupted` row that validates clean", function()
    local bg = require "helpers.background"
    local p = bg.start({ "cxo", "echo", "hi" }, { cwd = repo,
      env = { CX_PROVIDER_ADAPTER = "mock", CX_MOCK_LATENCY_MS = "600000", HOME = repo } })
    assert.is_truthy(bg.wait_for(function() return bg.polling_without_children(p.pid) end))
    p.signal("TERM")
    assert.equal(143, p.wait().code)
    assert.equal(1, assert_clean(1).row_kinds.outcomes.failed)
    assert.equal("interrupted", runlog_rows.last(repo).failure_class)
  end)

  it("a log rewritten by `logs migrate --in-place` validates clean too", function()
    assert.equal(0, cx({ "cxo", "true" }).code)
    local log = repo .. "/.codex/cxlogs/runs.jsonl"
    local f = assert(io.open(log, "ab"))
    f:write('{"ts":"2026-02-20T10:00:00Z","tool":"cxo","cwd":"/p","scope":"repo","repo_root":"/p",' ..
      '"duration_ms":12,"prompt_len_processed":3,"rtk_error":"x","clip_mode":"smart","schema_reason":""}\n')
    f:close()
    assert.equal(1, cx({ "logs", "validate", "--strict" }).code) -- the legacy row lacks the strict keys
    assert.equal(0, cx({ "logs", "migrate", "--in-place" }).code)
    assert_clean(2)
  end)
end)
