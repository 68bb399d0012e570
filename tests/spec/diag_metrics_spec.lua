local json = require "cx.json"
local metrics = require "cx.diag.metrics"

describe("cx.diag.metrics", function()
  it("gives the empty shapes for no rows", function()
    local m = metrics.compute({})
    assert.same({
      window_runs = 0, queue_rows = 0, workers_seen = {}, worker_distribution = {}, backend_distribution = {},
    }, m.scheduler)
    assert.equal(0.0, m.retry.rows_after_retry_success_rate)
    assert.equal(0, m.critical.summary_rows)
  end)

  it("counts queue latency, workers and backends", function()
    local rows = {
      { queue_ms = 100, worker_id = "w2", backend_used = "codex" },
      { queue_ms = 301, worker_id = "w1", backend_selected = "ollama", backend_used = "codex" },
      { queue_ms = 200, worker_id = "w1", backend_used = "codex" },
      { queue_ms = 1.5, backend_selected = "" },
      { queue_ms = -3, worker_id = 7 },
      5,
      json.array({}),
    }
    local s = metrics.scheduler(rows)
    assert.equal(7, s.window_runs)
    assert.equal(3, s.queue_rows)
    assert.equal(200, s.queue_ms_avg)
    assert.equal(301, s.queue_ms_p95)
    assert.same({ "w1", "w2" }, s.workers_seen)
    assert.same({ w1 = 2, w2 = 1 }, s.worker_distribution)
    assert.same({ codex = 2, ollama = 1, [""] = 1 }, s.backend_distribution)
  end)

  it("tracks retries and task recovery like the reference", function()
    local rows = {
      { task_id = "t1", retry_attempt = 1, timed_out = true },
      { task_id = "t1", retry_attempt = 2, timed_out = false },
      { task_id = " t2 ", timed_out = true }, -- timeout without retry metadata still marks the task
      { task_id = "t2", retry_attempt = 2, timed_out = true },
      { task_id = "t3", retry_attempt = 2, schema_valid = false },
      { task_id = "t4", retry_attempt = 10, policy_blocked = false },
      { retry_attempt = 1.0 },
    }
    local r = metrics.retry(rows)
    assert.equal(5, r.rows_with_retry_metadata)
    assert.equal(4, r.rows_after_retry)
    assert.equal(2, r.rows_after_retry_success) -- t1 attempt 2 and t4
    assert.equal(0.5, r.rows_after_retry_success_rate)
    assert.equal(2, r.tasks_with_retry)
    assert.equal(1, r.tasks_retry_recovered)
    assert.equal(0.5, r.tasks_retry_recovery_rate)
    assert.same({ ["1"] = 1, ["2"] = 3, ["10"] = 1 }, r.attempt_histogram)
  end)

  it("counts run-all summaries, halts and critical errors", function()
    local rows = {
      { tool = "cxtask_runall", halt_on_critical = true, run_all_scheduled = 3, run_all_complete = 1,
        run_all_failed = 1, run_all_critical_errors = 1 },
      { tool = "cxtask_runall", run_all_scheduled = 2, run_all_complete = 2, run_all_failed = 0 },
      { tool = "cxtask_runall", run_all_scheduled = 5, run_all_complete = 1, run_all_critical_errors = 2 },
      { tool = "cxo", run_all_critical_errors = 9 },
    }
    assert.same({
      window_runs = 4, summary_rows = 3, halt_enabled_rows = 1, halted_rows = 1,
      critical_errors_total = 3, runs_with_critical_errors = 2,
    }, metrics.critical(rows))
  end)
end)

describe("cx.diag.fields.typed_ok", function()
  local fields = require "cx.diag.fields"

  it("accepts objects whose contract keys are absent, null or well typed", function()
    assert.is_true(fields.typed_ok({}))
    assert.is_true(fields.typed_ok({ duration_ms = json.null, tool = "x", retry_attempt = 4294967295, whatever = 1.5 }))
    assert.is_true(fields.typed_ok({ converge_votes = { any = "thing" } }))
  end)

  it("rejects non-objects and mistyped contract keys, naming the key", function()
    assert.is_false(fields.typed_ok(5))
    assert.is_false(fields.typed_ok(json.array({})))
    for key, value in pairs({ duration_ms = "x", input_tokens = -5, output_tokens = 1.5, retry_attempt = 4294967296,
      timed_out = 1, tool = 7 }) do
      local ok, bad = fields.typed_ok({ [key] = value })
      assert.is_false(ok, key)
      assert.equal(key, bad)
    end
  end)
end)
