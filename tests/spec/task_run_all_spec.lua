-- `cx task run-all` end to end (reference scheduler.md §3, §4.2, §7): flags and messages, the
-- header, the summary line and row, exit codes, the reference's scheduler / fairness / retry
-- scenarios, halt and continue on critical errors, skipped dependents, parked backends and the
-- store. Timing facts are asserted from the rows' attempt_started_ms / attempt_finished_ms (and
-- under the mock's virtual clock, where time is exact), never from the elapsed wall time.
local bg = require "helpers.background"
local fake = require "helpers.fake_cli"
local fixture = require "helpers.fixture_server"
local h = require "helpers.cli"
local rr = require "helpers.run_rows"
local tr = require "helpers.tasks_repo"

local task = tr.task

local function ok_run(repo, args, extra)
  local r = tr.cx(repo, args, extra)
  assert(r.code == 0, table.concat(args, " ") .. " -> " .. r.code .. "\n" .. r.stdout .. r.stderr)
  return r
end

-- The attempts of the last run-all in repo.
local function attempts(repo, r)
  return rr.attempts(tr.rows(repo), tr.run_id(r, repo))
end

local function count(list, pred)
  local n = 0
  for _, x in ipairs(list) do
    if pred(x) then n = n + 1 end
  end
  return n
end

local function parallel_tasks(n, fields)
  local out = {}
  for i = 1, n do
    local f = { run_mode = "parallel", resource_keys = { "repo:read" } }
    for k, v in pairs(fields or {}) do f[k] = v end
    out[i] = task(string.format("task_%03d", i), f)
  end
  return out
end

teardown(tr.cleanup)

describe("cx task run-all flags (reference §3.1)", function()
  local repo
  setup(function() repo = tr.repo({ task("task_001") }) end)

  local cases = {
    { { "--status", "done" }, "cx task run-all: invalid status 'done'" },
    { { "--mode", "parallel" }, "cx task run-all: invalid mode 'parallel'" },
    { { "--backend-pool", "gpt,claude" }, "cx task run-all: --backend-pool requires codex and/or ollama" },
    { { "--backend-cap", "codex" }, "cx task run-all: --backend-cap must use backend=limit" },
    { { "--backend-cap", "gpt=1" }, "cx task run-all: invalid backend in cap 'gpt'" },
    { { "--backend-cap", "codex=x" }, "cx task run-all: invalid cap limit 'x'" },
    { { "--backend-cap", "codex=0" }, "cx task run-all: backend cap must be >= 1" },
    { { "--max-workers", "many" }, "cx task run-all: --max-workers must be an integer" },
    { { "--max-workers", "0" }, "cx task run-all: --max-workers must be >= 1" },
    { { "--fairness", "random" }, "cx task run-all: invalid fairness 'random'" },
    { { "--what" }, "cx task run-all: unknown flag '--what'" },
  }
  for _, c in ipairs(cases) do
    it("rejects " .. table.concat(c[1], " ") .. " (exit 2)", function()
      local args = { "task", "run-all" }
      for _, a in ipairs(c[1]) do args[#args + 1] = a end
      local r = tr.cx(repo, args)
      assert.equal(2, r.code)
      assert.equal(c[2] .. "\n", r.stderr)
      assert.equal("", r.stdout)
    end)
  end

  it("prints the usage line when a value is missing", function()
    local r = tr.cx(repo, { "task", "run-all", "--max-workers" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("^Usage: cx task run%-all %[%-%-status "))
  end)

  it("has --help", function()
    local r = ok_run(repo, { "task", "run-all", "--help" })
    assert.truthy(r.stdout:find("Critical errors:", 1, true))
  end)

  it("says when no task has the status (exit 0, no summary row)", function()
    local r = ok_run(repo, { "task", "run-all", "--status", "failed" })
    assert.equal("No tasks matched status 'failed'.\n", r.stdout)
    assert.same({}, tr.rows(repo))
  end)
end)

describe("cx task run-all, sequential", function()
  it("runs every pending task in file order, dependencies first, printing their output", function()
    local repo = tr.repo({
      task("task_001", { depends_on = { "task_002" } }), task("task_002"), task("task_003", { status = "complete" }),
    })
    local r = ok_run(repo, { "task", "run-all" })
    assert.truthy(r.stdout:find('{"commands":["echo mock"]}\n{"commands":["echo mock"]}\n', 1, true))
    assert.truthy(r.stdout:find("run-all summary: mode=sequential, complete=2, failed=0, blocked=0, "
      .. "retryable_failures=0, non_retryable_failures=0, critical_errors=0\n", 1, true))
    local by = tr.tasks(repo)
    assert.equal("complete", by.task_001.status)
    assert.equal("complete", by.task_002.status)
    assert.equal("ok", by.task_001.last_attempt.class)
    assert.is_nil(by.task_001.claim)
    local atts = attempts(repo, r)
    assert.equal(2, #atts)
    assert.equal("task_002", atts[1].task) -- its dependent comes first in the file
    assert.equal("task_001", atts[2].task)
    assert.is_true(atts[2].start >= atts[1].finish)
    for _, a in ipairs(atts) do
      assert.equal("w1", a.worker)
      assert.equal(1, a.attempt)
      assert.equal("codex", a.backend)
      local row = a.rows[1]
      assert.equal(a.task, row.task_id)
      assert.equal(0, row.retry_max)
      assert.equal("mock", row.adapter_type)
      assert.is_number(row.run_offset_ms)
    end
    local sum = rr.summary(tr.rows(repo), tr.run_id(r, repo))
    assert.equal("task_run_all_summary", sum.command_label)
    assert.equal("task run-all mode=sequential", sum.prompt_preview)
    assert.equal(2, sum.run_all_scheduled)
    assert.equal(2, sum.run_all_complete)
    assert.equal(0, sum.run_all_failed)
    assert.is_false(sum.halt_on_critical)
    assert.equal(0, sum.run_all_skipped)
    tr.assert_log_valid(repo)
  end)

  it("writes the scheduler's row keys only on the rows they concern", function()
    local repo = tr.repo({ task("task_001") })
    ok_run(repo, { "cxo", "echo", "plain" })
    local r = ok_run(repo, { "task", "run-all" })
    local rows = tr.rows(repo)
    assert.equal(3, #rows)
    local plain, attempt_row, summary = rows[1], rows[2], rows[3]
    for _, k in ipairs({ "run_id", "wave", "attempt_started_ms", "attempt_finished_ms", "run_offset_ms",
      "run_all_skipped", "retry_after_ms", "backend_moved_from" }) do
      assert.is_nil(plain[k], k)
    end
    assert.equal(tr.run_id(r, repo), attempt_row.run_id)
    assert.equal(1, attempt_row.wave)
    assert.is_number(attempt_row.run_offset_ms)
    assert.is_nil(attempt_row.run_all_skipped)
    assert.is_nil(attempt_row.backend_moved_from) -- only when the task moved
    assert.equal(attempt_row.run_id, summary.run_id)
    assert.equal(0, summary.run_all_skipped)
    assert.equal(0, summary.run_all_not_run)
    assert.is_nil(summary.wave)
    tr.assert_log_valid(repo)
  end)

  it("reports the failure taxonomy, retries only transient failures and explains each failure", function()
    local repo = tr.repo({
      task("task_001"),
      task("task_002", { max_retries = 1 }),                                   -- server_error twice: retryable
      task("task_003", { objective = "next echo hi", max_retries = 3 }),       -- schema_invalid: never retried
    })
    local r = tr.cx(repo, { "task", "run-all" }, { CX_MOCK_FAIL = "server_error", CX_MOCK_FAIL_TASKS = "task_002",
      CX_MOCK_PLAIN_RESPONSE = "not json at all" })
    assert.equal(1, r.code)
    for _, k in ipairs({ "run-all summary:", "blocked=0", "retryable_failures=1", "non_retryable_failures=1",
      "critical_errors=0", "complete=1", "failed=2" }) do
      assert.truthy(r.stdout:find(k, 1, true), k)
    end
    assert.truthy(r.stderr:find("cx task run-all: task failed: task_002 (server_error: mock provider server error: "
      .. "HTTP 500 (injected) (attempt 2 of 2, backend codex, execution_id ", 1, true))
    local atts = attempts(repo, r)
    assert.equal(2, count(atts, function(a) return a.task == "task_002" end))
    assert.equal(1, count(atts, function(a) return a.task == "task_003" end))
    local first, retry
    for _, a in ipairs(atts) do
      if a.task == "task_002" then
        if a.attempt == 1 then first = a else retry = a end
      end
    end
    assert.equal(2, retry.attempt)
    assert.equal("server_error", retry.retry_reason)
    assert.is_true(retry.retry_backoff_ms >= 250 and retry.retry_backoff_ms <= 275)
    assert.is_true(retry.start - first.finish >= 250)
    local by = tr.tasks(repo)
    assert.equal("failed", by.task_003.status)
    assert.equal("schema_invalid", by.task_003.last_attempt.class)
    local q = by.task_003.last_attempt.quarantine_id
    assert.is_string(q)
    local show = ok_run(repo, { "task", "show", "task_003", "--text" })
    assert.truthy(show.stdout:find("last_attempt: schema_invalid", 1, true))
    assert.truthy(show.stdout:find("cx quarantine show " .. q, 1, true))
    assert.truthy(show.stdout:find("cx replay " .. q, 1, true))
    tr.assert_log_valid(repo)
  end)

  it("skips the dependents of a failed task, reports them with the failed ancestor, and keeps them pending", function()
    local repo = tr.repo({
      task("task_001"), task("task_002", { depends_on = { "task_001" } }),
      task("task_003", { depends_on = { "task_002" } }), task("task_004"),
    })
    local r = tr.cx(repo, { "task", "run-all", "--json" }, { CX_MOCK_FAIL = "unreachable",
      CX_MOCK_FAIL_TASKS = "task_001" })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("cx task run-all: skipped task_002: its dependency task_001 failed", 1, true))
    assert.truthy(r.stderr:find("cx task run-all: skipped task_003: its dependency task_001 failed", 1, true))
    local doc = require("cx.json").decode(r.stdout)
    assert.equal(2, doc.summary.skipped)
    assert.equal(1, doc.summary.failed)
    assert.equal(1, doc.summary.complete)
    local t3
    for _, t in ipairs(doc.tasks) do
      if t.id == "task_003" then t3 = t end
    end
    assert.equal("skipped", t3.status)
    assert.equal("task_001", t3.skipped_by)
    local by = tr.tasks(repo)
    assert.equal("pending", by.task_002.status)
    assert.equal("task_001", by.task_003.blocked_by.id)
    assert.equal("failed", by.task_003.blocked_by.status)
    assert.equal("complete", by.task_004.status)
    local show = ok_run(repo, { "task", "show", "task_003", "--text" })
    assert.truthy(show.stdout:find("blocked_by: did not run: dependency task_001 failed", 1, true))
    assert.truthy(show.stdout:find("cx task show task_001", 1, true))
    -- the rerun of only what failed: the failed task, then its dependents
    ok_run(repo, { "task", "run-all", "--status", "failed" })
    ok_run(repo, { "task", "run-all" })
    by = tr.tasks(repo)
    for _, id in ipairs({ "task_001", "task_002", "task_003", "task_004" }) do
      assert.equal("complete", by[id].status)
    end
    assert.is_nil(by.task_003.blocked_by)
    tr.assert_log_valid(repo)
  end)

  it("reports unknown dependencies and cycles before anything runs, and runs the rest", function()
    local repo = tr.repo({ task("task_001", { depends_on = { "task_009" } }), task("task_002"),
      task("task_003", { depends_on = { "task_004" } }), task("task_004", { depends_on = { "task_003" } }) })
    local r = tr.cx(repo, { "task", "run-all" })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("^cx task run%-all: blocked tasks prevent full schedule:\n"
      .. " %- task_001: unresolved dependencies: task_009\n"
      .. " %- task_003: unresolved dependencies: task_004; cycle: task_003 %-> task_004 %-> task_003\n"))
    local by = tr.tasks(repo)
    assert.equal("complete", by.task_002.status)
    assert.equal("pending", by.task_001.status)
    assert.equal("pending", by.task_003.status)
    local only = tr.repo({ task("task_001", { depends_on = { "task_002" } }),
      task("task_002", { depends_on = { "task_001" } }) })
    r = tr.cx(only, { "task", "run-all", "--mode", "mixed" })
    assert.equal(1, r.code)
    assert.equal("No runnable tasks for status 'pending'.\n", r.stdout)
  end)

  it("gives a task's timeout_secs to every adapter, and the task's backend, model and mode to its run", function()
    local repo = tr.repo({
      task("task_001", { timeout_secs = 1 }),
      task("task_002", { objective = "Summarize the plan", backend = "ollama", model = "llama3", profile = "quality" }),
    })
    local r = tr.cx(repo, { "task", "run-all", "--backend-pool", "codex,ollama" }, { CX_MOCK_LATENCY_MS = "1500" })
    assert.equal(1, r.code)
    local by = tr.tasks(repo)
    assert.equal("timeout", by.task_001.last_attempt.class)
    local atts = attempts(repo, r)
    assert.is_true(atts[1].rows[1].timed_out)
    assert.equal(1, atts[1].rows[1].timeout_secs)
    local row = atts[2].rows[1]
    assert.equal("cxtask_run", row.tool)
    assert.equal("ollama", row.backend_used)
    assert.equal("llama3", row.model_selected)
    assert.equal("verbose", row.execution_mode)
    assert.equal("Task Objective:\nSummarize the plan\n\nRespond with concise execution notes and next actions.",
      row.prompt_preview)
  end)
end)

describe("cx task run-all, critical errors (reference halt/continue tests)", function()
  local function run_and_break_store(halt_flag)
    local repo = tr.repo({ task("task_001"), task("task_002") })
    local env = tr.env(repo, { CX_MOCK_LATENCY_MS = "1500" })
    local p = bg.start({ "task", "run-all", halt_flag }, { cwd = repo, env = env })
    -- both tasks are claimed (in_progress) before the first attempt starts: then break the store
    assert.truthy(bg.wait_for(function()
      return h.slurp(repo .. "/.codex/tasks.json"):find('"in_progress"', 1, true)
    end), "run-all did not claim its tasks")
    assert(os.execute("mv " .. h.quote(repo .. "/.codex/tasks.json") .. " " .. h.quote(repo .. "/.codex/tasks.bak")
      .. " && mkdir " .. h.quote(repo .. "/.codex/tasks.json")))
    return p.wait(), repo
  end

  it("--halt-on-critical stops at the first critical error", function()
    local r = run_and_break_store("--halt-on-critical")
    assert.equal(1, r.code)
    local _, n = r.stderr:gsub("critical error for task_", "")
    assert.equal(1, n)
    assert.truthy(r.stdout:find("critical_errors=1", 1, true))
    assert.truthy(r.stdout:find("run-all halted_on_critical: true\n", 1, true))
    assert.truthy(r.stdout:find("run-all not_run: 1", 1, true))
  end)

  it("--continue-on-critical records every critical error", function()
    local r, repo = run_and_break_store("--continue-on-critical")
    assert.equal(1, r.code)
    local _, n = r.stderr:gsub("critical error for task_", "")
    assert.equal(2, n)
    assert.truthy(r.stdout:find("critical_errors=2", 1, true))
    assert.falsy(r.stdout:find("halted_on_critical", 1, true))
    local sum = tr.rows(repo)
    sum = sum[#sum]
    assert.equal("cxtask_runall", sum.tool)
    assert.equal(2, sum.run_all_critical_errors)
    assert.equal(2, sum.run_all_failed)
    assert.equal(2, sum.run_all_non_retryable_failures)
  end)

  it("takes CX_TASK_HALT_ON_CRITICAL=1 as the default", function()
    local repo = tr.repo({ task("task_001", { status = "complete" }), task("task_002") })
    local r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--max-workers", "2" },
      { CX_TASK_HALT_ON_CRITICAL = "1" })
    assert.truthy(r.stdout:find("halt_on_critical=true", 1, true))
    r = ok_run(repo, { "task", "run-all", "--status", "complete", "--mode", "mixed", "--max-workers", "2" },
      { CX_TASK_HALT_ON_CRITICAL = "true" })
    assert.truthy(r.stdout:find("halt_on_critical=false", 1, true))
  end)
end)

describe("cx task run-all, mixed (reference scheduler_tests)", function()
  it("prints the header and the waves", function()
    local repo = tr.repo({ task("task_001", { resource_keys = { "repo:write" } }),
      task("task_002", { run_mode = "parallel", resource_keys = { "repo:read" }, depends_on = { "task_001" } }),
      task("task_003", { run_mode = "parallel", resource_keys = { "repo:read" }, depends_on = { "task_001" } }) })
    local r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--max-workers", "3", "--backend-pool",
      "ollama,codex", "--backend-cap", "ollama=2", "--fairness", "LEAST_LOADED", "--halt-on-critical" })
    assert.truthy(r.stdout:find("^run%-all mode=mixed waves=2 runnable=3 backend_pool=codex,ollama max_workers=3 "
      .. "backend_caps=ollama=2 fairness=least_loaded halt_on_critical=true\n"
      .. "wave 1 %[sequential%] %-> task_001\nwave 2 %[parallel%] %-> task_002,task_003\n"))
    -- parallel mode keeps the tasks' own output off stdout
    assert.falsy(r.stdout:find("echo mock", 1, true))
  end)

  it("a backend cap serializes its tasks (cap codex=1) and every row has worker_id and queue_ms", function()
    local repo = tr.repo(parallel_tasks(3))
    local r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--backend-pool", "codex", "--backend-cap",
      "codex=1", "--max-workers", "3" }, { CX_MOCK_LATENCY_MS = "300" })
    local atts = attempts(repo, r)
    assert.equal(3, #atts)
    assert.equal(1, rr.max_overlap(atts))
    for i = 2, 3 do assert.is_true(atts[i].start >= atts[i - 1].finish) end
    for _, a in ipairs(atts) do
      assert.is_string(a.worker)
      assert.is_number(a.queue_ms)
    end
    assert.is_true(atts[3].queue_ms >= 2 * 300)
    -- the control: with the cap at 3 the same tasks overlap
    tr.write_tasks(repo, parallel_tasks(3))
    r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--backend-pool", "codex", "--backend-cap",
      "codex=3", "--max-workers", "3" }, { CX_MOCK_LATENCY_MS = "300" })
    assert.equal(3, rr.max_overlap(attempts(repo, r)))
    tr.assert_log_valid(repo)
  end)

  it("holds dependency waves: children start after their root finished (run_offset_ms >= 900)", function()
    local repo = tr.repo({ task("task_001"),
      task("task_002", { run_mode = "parallel", resource_keys = { "repo:read" }, depends_on = { "task_001" } }),
      task("task_003", { run_mode = "parallel", resource_keys = { "repo:read" }, depends_on = { "task_001" } }) })
    local r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--backend-cap", "codex=2", "--max-workers", "2" },
      { CX_MOCK_LATENCY_MS = "1000" })
    local by = tr.tasks(repo)
    for _, id in ipairs({ "task_001", "task_002", "task_003" }) do assert.equal("complete", by[id].status) end
    local atts = attempts(repo, r)
    assert.equal(3, #atts)
    local max_offset = 0
    for _, a in ipairs(atts) do
      assert.is_number(a.queue_ms)
      max_offset = math.max(max_offset, a.run_offset)
    end
    -- the reference measured queue_ms from the run's start; cx's queue_ms is ready -> started and
    -- run_offset_ms is the reference's measure (docs/compat.md)
    assert.is_true(max_offset >= 900)
    assert.is_true(atts[2].start >= atts[1].finish and atts[3].start >= atts[1].finish)
    assert.equal(2, rr.max_overlap({ atts[2], atts[3] }))
    assert.equal(1, atts[1].wave)
    assert.equal(2, atts[2].wave)
  end)

  it("queues later tasks longer (cap 1, virtual clock: 0, 1000, 2000, 3000 ms)", function()
    local repo = tr.repo(parallel_tasks(4))
    local r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--backend-cap", "codex=1", "--max-workers", "4" },
      { CX_MOCK_LATENCY_MS = "1000", CX_MOCK_VIRTUAL_CLOCK = "1" })
    local q = {}
    for _, a in ipairs(attempts(repo, r)) do q[#q + 1] = a.queue_ms end
    assert.same({ 0, 1000, 2000, 3000 }, q)
    assert.is_true(q[1] < 300 and q[4] >= 2500)
  end)

  it("a balanced pool uses both backends (no backend starvation)", function()
    local repo = tr.repo(parallel_tasks(8))
    local r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--backend-pool", "codex,ollama", "--backend-cap",
      "codex=1", "--backend-cap", "ollama=1", "--max-workers", "4" },
      { CX_OLLAMA_MODEL = "llama3", CX_MOCK_LATENCY_MS = "100", CX_MOCK_VIRTUAL_CLOCK = "1" })
    local atts = attempts(repo, r)
    assert.equal(8, #atts)
    assert.is_true(count(atts, function(a) return a.backend == "codex" end) >= 1)
    assert.is_true(count(atts, function(a) return a.backend == "ollama" end) >= 1)
  end)

  it("falls back to the available backend of the pool (CX_DISABLE_OLLAMA=1)", function()
    local repo = tr.repo(parallel_tasks(4))
    local r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--backend-pool", "codex,ollama",
      "--max-workers", "2" }, { CX_DISABLE_OLLAMA = "1" })
    for _, a in ipairs(attempts(repo, r)) do assert.equal("codex", a.backend) end
  end)

  it("least_loaded balances backends and workers (10 tasks, caps 1/1, 4 workers)", function()
    local repo = tr.repo(parallel_tasks(10))
    local r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--backend-pool", "codex,ollama", "--backend-cap",
      "codex=1", "--backend-cap", "ollama=1", "--max-workers", "4", "--fairness", "least_loaded" },
      { CX_MOCK_LATENCY_MS = "1000", CX_MOCK_VIRTUAL_CLOCK = "1" })
    local atts = attempts(repo, r)
    assert.equal(10, #atts)
    assert.is_true(count(atts, function(a) return a.backend == "codex" end) >= 3)
    assert.is_true(count(atts, function(a) return a.backend == "ollama" end) >= 3)
    local workers, max_q = {}, 0
    for _, a in ipairs(atts) do
      workers[a.worker] = true
      max_q = math.max(max_q, a.queue_ms)
    end
    assert.is_true(next(workers, next(workers)) ~= nil)
    assert.is_true(max_q >= 3000)
    assert.same({}, rr.violations(atts, {}, { caps = { codex = 1, ollama = 1 }, max_workers = 4 }))
  end)

  it("round_robin assigns auto tasks to backends by position (balanced policy)", function()
    local repo = tr.repo(parallel_tasks(6))
    local r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--backend-pool", "codex,ollama", "--backend-cap",
      "codex=1", "--backend-cap", "ollama=1", "--max-workers", "2", "--fairness", "round_robin" },
      { CX_BROKER_POLICY = "balanced", CX_MOCK_VIRTUAL_CLOCK = "1", CX_MOCK_LATENCY_MS = "100" })
    for _, a in ipairs(attempts(repo, r)) do
      local idx = tonumber(a.task:match("%d+")) - 1
      assert.equal(idx % 2 == 0 and "codex" or "ollama", a.backend, a.task)
    end
  end)

  it("fails when no backend of the pool is available, in both modes", function()
    local repo = tr.repo(parallel_tasks(2))
    for _, mode in ipairs({ "mixed", "sequential" }) do
      local r = tr.cx(repo, { "task", "run-all", "--mode", mode, "--backend-pool", "codex,ollama", "--max-workers",
        "2" }, { CX_PROVIDER_ADAPTER = false, PATH = "/nonexistent", CX_DISABLE_CODEX = "1", CX_DISABLE_OLLAMA = "1" })
      assert.equal(1, r.code)
      assert.equal("cx task run-all: no available backend from --backend-pool\n", r.stderr)
      assert.equal("", r.stdout)
    end
    assert.equal("pending", tr.tasks(repo).task_001.status)
  end)

  it("runs process adapters concurrently on one loop: the fake codex and ollama, caps from the rows", function()
    local repo = tr.repo(parallel_tasks(6))
    local r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--backend-pool", "codex,ollama", "--backend-cap",
      "codex=1", "--backend-cap", "ollama=2", "--max-workers", "3" }, fake.env({ CX_PROVIDER_ADAPTER = false,
      HOME = repo, CX_OLLAMA_MODEL = "m", FAKE_CODEX_SCENARIO = "reply", FAKE_CODEX_REPLY = "done",
      FAKE_CODEX_LINE_DELAY = "0.1", FAKE_OLLAMA_REPLY = "done", CX_NO_PROGRESS = "1", CX_TASK_ID = false }))
    local atts = attempts(repo, r)
    assert.equal(6, #atts)
    for _, a in ipairs(atts) do
      assert.equal(a.backend == "codex" and "codex-cli" or "ollama-cli", a.rows[1].adapter_type)
    end
    -- a real clock: a launch may come a moment after the slot freed (spawning the previous child)
    assert.same({}, rr.violations(atts, {}, { caps = { codex = 1, ollama = 2 }, max_workers = 3, slack_ms = 250 }))
    assert.equal(1, rr.max_overlap(atts, function(a) return a.backend == "codex" end))
    tr.assert_log_valid(repo)
  end)
end)

describe("cx task run-all, retries (reference retry_timeout_tests)", function()
  it("retries a timed-out attempt and succeeds; the rows carry the retry fields", function()
    local repo = tr.repo({ task("task_001", { max_retries = 1 }) })
    -- a codex that hangs on the first attempt (CX_TASK_RETRY_ATTEMPT reaches the child)
    local wrapper = repo .. "/slow-codex"
    h.write(wrapper, "#!/bin/sh\nif [ \"${CX_TASK_RETRY_ATTEMPT:-1}\" = 1 ]; then sleep 2; fi\nexec "
      .. fake.bin_dir .. "/codex \"$@\"\n")
    os.execute("chmod +x " .. h.quote(wrapper))
    local r = ok_run(repo, { "task", "run-all" }, fake.env({ CX_PROVIDER_ADAPTER = false, HOME = repo,
      CX_CODEX_BIN = wrapper, CX_TIMEOUT_LLM_SECS = "1", CX_NO_PROGRESS = "1", CX_TASK_ID = false }))
    assert.truthy(r.stdout:find("complete=1", 1, true))
    assert.truthy(r.stdout:find("failed=0", 1, true))
    local atts = attempts(repo, r)
    assert.equal(2, #atts)
    assert.equal(1, atts[1].attempt)
    assert.is_true(atts[1].rows[1].timed_out)
    assert.equal(2, atts[2].attempt)
    assert.equal("timeout", atts[2].retry_reason)
    assert.is_true(atts[2].retry_backoff_ms >= 250 and atts[2].retry_backoff_ms <= 275)
    assert.equal(1, atts[2].rows[1].retry_max)
  end)

  it("honours max_retries: three attempts of a task that keeps failing, backoffs 250 then 500 ms", function()
    local repo = tr.repo({ task("task_001", { max_retries = 2 }) })
    local r = tr.cx(repo, { "task", "run-all" }, { CX_MOCK_FAIL = "rate_limited", CX_MOCK_VIRTUAL_CLOCK = "1" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find("retryable_failures=1", 1, true))
    local atts = attempts(repo, r)
    assert.equal(3, #atts)
    assert.same({ 1, 2, 3 }, { atts[1].attempt, atts[2].attempt, atts[3].attempt })
    assert.is_true(atts[2].retry_backoff_ms >= 250 and atts[2].retry_backoff_ms <= 275)
    assert.is_true(atts[3].retry_backoff_ms >= 500 and atts[3].retry_backoff_ms <= 550)
    assert.equal(atts[2].retry_backoff_ms, atts[2].start - atts[1].finish)
    local la = tr.tasks(repo).task_001.last_attempt
    assert.equal(3, la.attempt)
    assert.equal(3, la.max_attempts)
  end)
end)

describe("cx task run-all, parked backends", function()
  it("parks a backend that says when its quota resets: the task waits, no retry is used", function()
    local repo = tr.repo({ task("task_001", { backend = "codex" }) })
    local r = ok_run(repo, { "task", "run-all", "--json" }, { CX_MOCK_FAIL = "quota_exhausted",
      CX_MOCK_FAIL_EVERY = "2", CX_MOCK_RETRY_AFTER_MS = "700", CX_MOCK_VIRTUAL_CLOCK = "1" })
    local atts = attempts(repo, r)
    assert.equal(2, #atts)
    assert.equal("quota_exhausted", atts[1].class)
    assert.equal(700, atts[1].rows[1].retry_after_ms)
    assert.equal(1, atts[2].attempt) -- the same attempt again: nothing burnt
    assert.equal("parked:quota_exhausted", atts[2].retry_reason)
    assert.equal(700, atts[2].start - atts[1].finish)
    assert.equal("complete", tr.tasks(repo).task_001.status)
  end)

  it("moves auto tasks off a parked backend to another of the pool", function()
    local repo = tr.repo(parallel_tasks(4))
    local r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--backend-pool", "codex,ollama", "--max-workers",
      "1" }, { CX_MOCK_FAIL = "rate_limited", CX_MOCK_FAIL_BACKEND = "codex", CX_MOCK_RETRY_AFTER_MS = "60000",
      CX_MOCK_VIRTUAL_CLOCK = "1", CX_MOCK_LATENCY_MS = "100" })
    local atts = attempts(repo, r)
    assert.equal("codex", atts[1].backend)
    assert.equal("rate_limited", atts[1].class)
    for i = 2, #atts do assert.equal("ollama", atts[i].backend, atts[i].task) end
    local moved = count(atts, function(a) return a.rows[1].backend_moved_from == "codex" end)
    assert.is_true(moved >= 1)
    assert.is_true(atts[#atts].finish - atts[1].start < 60000) -- nobody waited for the reset
  end)

  it("treats a quota with no reset time as final for that backend in this run", function()
    local repo = tr.repo({ task("task_001", { backend = "codex" }), task("task_002", { backend = "codex" }),
      task("task_003"), task("task_004") })
    local r = tr.cx(repo, { "task", "run-all", "--backend-pool", "codex,ollama" }, { CX_MOCK_FAIL = "quota_exhausted",
      CX_MOCK_FAIL_BACKEND = "codex" })
    assert.equal(1, r.code)
    local by = tr.tasks(repo)
    assert.equal("quota_exhausted", by.task_001.last_attempt.class)
    assert.equal("failed", by.task_002.status)
    assert.truthy(by.task_002.last_attempt.reason:find("exhausted its quota earlier in this run", 1, true))
    assert.equal("complete", by.task_003.status)
    assert.equal("complete", by.task_004.status)
    local atts = attempts(repo, r)
    assert.equal(0, count(atts, function(a) return a.task == "task_002" end)) -- no call was made for it
    for _, a in ipairs(atts) do
      if a.task ~= "task_001" then assert.equal("ollama", a.backend) end
    end
  end)

  it("parks on an HTTP 429 with Retry-After (http-curl adapter)", function()
    local srv = fixture.start("openai", { status = 429, fail_first = 1, header = "Retry-After: 1", max_requests = 2 })
    local repo = tr.repo({ task("task_001", { objective = "Say hi" }) })
    local r = ok_run(repo, { "task", "run-all" }, { CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_FORMAT = "openai",
      CX_HTTP_PROVIDER_URL = srv.url .. "/v1/chat/completions" })
    srv.stop()
    local atts = attempts(repo, r)
    assert.equal(2, #atts)
    assert.equal("rate_limited", atts[1].class)
    assert.equal(429, atts[1].rows[1].http_status)
    assert.equal(1000, atts[1].rows[1].retry_after_ms)
    assert.equal("parked:rate_limited", atts[2].retry_reason)
    assert.is_true(atts[2].start - atts[1].finish >= 1000)
    assert.equal(1, atts[2].attempt)
  end)
end)

describe("cx task run-all and the store", function()
  it("writes statuses in batches, not once per task", function()
    local tasks = parallel_tasks(300)
    local repo = tr.repo(tasks)
    local r = ok_run(repo, { "task", "run-all", "--mode", "mixed", "--max-workers", "8", "--json" },
      { CX_MOCK_VIRTUAL_CLOCK = "1", CX_MOCK_LATENCY_MS = "10-30" })
    local doc = require("cx.json").decode(r.stdout)
    assert.equal(300, doc.summary.complete)
    assert.is_true(doc.store_writes >= 2 and doc.store_writes < 60, tostring(doc.store_writes))
  end)

  it("refuses a second run-all while one runs", function()
    local repo = tr.repo({ task("task_001") })
    local env = fake.env({ CX_PROVIDER_ADAPTER = false, HOME = repo, FAKE_CODEX_SCENARIO = "hang",
      FAKE_CODEX_PIDFILE = repo .. "/codex.pid", CX_NO_PROGRESS = "1", CX_TASK_ID = false })
    local p = bg.start({ "task", "run-all" }, { cwd = repo, env = env })
    assert.truthy(bg.wait_for(function() return bg.file_number(repo .. "/codex.pid") end))
    local r = tr.cx(repo, { "task", "run-all" })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find(
      "cx task run%-all: another run%-all is running in this repository %(pid %d+, run run%-"))
    p.signal("INT")
    assert.equal(130, p.wait().code)
    assert.equal("pending", tr.tasks(repo).task_001.status)
  end)
end)

describe("cx task run-all progress", function()
  it("draws done / running / failed / queued per backend on a terminal, and nothing in a pipe", function()
    local repo = tr.repo(parallel_tasks(3))
    local r = tr.cx(repo, { "task", "run-all", "--mode", "mixed", "--max-workers", "2" },
      { CX_NO_PROGRESS = false, CX_MOCK_LATENCY_MS = "200" })
    assert.equal(0, r.code)
    assert.falsy(r.stderr:find("cx: run-all", 1, true))
    tr.write_tasks(repo, parallel_tasks(3))
    local env = tr.env(repo, { CX_NO_PROGRESS = false, CX_MOCK_LATENCY_MS = "200" })
    -- script(1) gives cx a terminal
    local words = h.command_words({ "task", "run-all", "--mode", "mixed", "--max-workers", "2" }, { env = env })
    local tty = h.run({ "-qec", table.concat(words, " "), "/dev/null" }, { cwd = repo, bin = "/usr/bin/script" })
    assert.equal(0, tty.code, tty.stdout)
    assert.truthy(tty.stdout:find(
      "\r\27%[Kcx: run%-all 0/3 done %(0 failed%), 2 running, 1 queued | codex 2 run 1 queued"))
    assert.truthy(tty.stdout:find("\r\27%[Krun%-all summary:"))
  end)
end)

