-- The shipped diagnostics rules (policies/scheduler.lua, policies/optimize.lua) evaluated by the rule
-- engine: the reference's reasons, thresholds and order (diagnostics.md §3.2, §3.5), and the rules we
-- changed (docs/compat.md): scheduler rules judge scheduled rows only, retry pressure counts retries.
local rules = require "helpers.rules"
local policy_rules = require "cx.policy_rules"

local function rows_of(n, make)
  local rows = {}
  for i = 1, n do rows[i] = make(i) end
  return rows
end

local reasons = rules.reasons

describe("policies/scheduler.lua reasons", function()
  it("fires nothing on an empty window", function()
    local r = rules.scheduler({})
    assert.same({}, r.findings)
    assert.equal("ok", r.severity)
  end)

  it("flags a high queue p95 with its value, from 3 queue rows and 2000 ms", function()
    local r = reasons(rows_of(4, function(i)
      return { queue_ms = 2500 + 10 * i, backend_used = "codex", worker_id = "w1" }
    end))
    assert.same({ "queue_p95_high:2540" }, r)
    assert.same({}, reasons(rows_of(2, function() return { queue_ms = 5000 } end)))
    assert.same({}, reasons(rows_of(3, function() return { queue_ms = 1999 } end)))
  end)

  it("flags backend skew at 90% of at least 6 backend rows", function()
    local r = reasons(rows_of(10, function(i)
      return { backend_used = i == 1 and "ollama" or "codex", worker_id = "w" .. (i % 2) }
    end))
    assert.same({ "backend_skew_high" }, r)
    r = reasons(rows_of(9, function(i)
      return { backend_used = i <= 2 and "ollama" or "codex", worker_id = "w" .. (i % 2) }
    end))
    assert.same({}, r)
  end)

  it("flags narrow worker spread from 6 scheduled rows, zero workers included", function()
    assert.same({ "worker_spread_low" }, reasons(rows_of(6, function() return { queue_ms = 1 } end)))
    assert.same({}, reasons(rows_of(5, function() return { queue_ms = 1 } end)))
  end)

  it("flags low retry recovery from 3 rows after a retry", function()
    local r = reasons({
      { retry_attempt = 1, worker_id = "a" }, { retry_attempt = 2, timed_out = true, worker_id = "b" },
      { retry_attempt = 2, timed_out = true }, { retry_attempt = 2, timed_out = true }, { retry_attempt = 2 },
    })
    assert.same({ "retry_recovery_low" }, r)
  end)

  it("flags retry pressure when 30% of at least 10 scheduled rows are retries (changed: attempt > 1 only)", function()
    local function window(retries)
      return rows_of(10, function(i)
        return { retry_attempt = i <= retries and 2 or 1, worker_id = "w" .. (i % 2), backend_used = "b" .. (i % 2) }
      end)
    end
    assert.same({ "retry_pressure_high" }, reasons(window(3)))
    assert.same({}, reasons(window(2)))
    -- The reference counted attempt-1 rows too: every run-all of ten tasks raised it.
    assert.same({}, reasons(window(0)))
  end)

  it("flags critical halts, and orders reasons as the reference", function()
    local rows = rows_of(6, function() return { queue_ms = 3000 } end)
    rows[7] = { tool = "cxtask_runall", run_all_scheduled = 3, run_all_complete = 1, run_all_failed = 1 }
    local r = rules.scheduler(rows)
    local got = {}
    for i, f in ipairs(r.findings) do got[i] = f.reason end
    assert.same({ "queue_p95_high:3000", "worker_spread_low", "critical_halts_detected" }, got)
    assert.equal("critical", r.severity)
    local halt = rules.scheduler({ rows[7] })
    assert.equal("warning", halt.severity) -- one reason: warning, though its action is critical
    assert.equal("critical", halt.actions[1].severity)
  end)

  it("judges only scheduled rows: plain single-backend use raises nothing (changed)", function()
    local plain = rows_of(12, function(i)
      return { tool = "cxo", backend_used = "codex", duration_ms = 900 + i, execution_id = "e" .. i }
    end)
    local r = rules.scheduler(plain)
    assert.same({}, r.findings)
    assert.equal("ok", r.severity)
    -- The same rows from the scheduler (a worker, a queue wait) are judged as the reference does.
    for _, row in ipairs(plain) do row.queue_ms, row.worker_id = 10, "w1" end
    assert.same({ "backend_skew_high", "worker_spread_low" }, reasons(plain))
  end)

  it("does not count rows interrupted by the user", function()
    local rows = rows_of(4, function() return { queue_ms = 3000, failure_class = "interrupted" } end)
    assert.same({}, reasons(rows))
  end)

  it("names the rows that fired a rule as evidence, with their line numbers and execution ids", function()
    local rows = rows_of(4, function(i) return { queue_ms = 1000 * i, execution_id = "e" .. i } end)
    local input = require("cx.diag.input").scheduler(rows, { offsets = { 0, 10, 20, 30 } }, 4,
      require("cx.diag.metrics").compute(rows))
    input.rows[3].line, input.rows[4].line = 3, 4
    local r = assert(policy_rules.evaluate("scheduler", input, rules.NO_REPO))
    local f = r.findings[1]
    assert.equal("queue_p95_high", f.id)
    assert.same({ { execution_id = "e2", offset = 10 }, { execution_id = "e3", line = 3, offset = 20 },
      { execution_id = "e4", line = 4, offset = 30 } }, f.evidence)
    assert.equal(3, f.evidence_count)
  end)
end)

describe("policies/optimize.lua anomalies", function()
  local th = { max_ms = 12000, max_eff = 8000 }

  it("reports none for an empty window", function()
    assert.same({}, rules.of_kind(rules.optimize({}, th), "anomaly"))
  end)

  it("reports each anomaly in order", function()
    local rows = {
      { tool = "big", duration_ms = 7000, effective_input_tokens = 5000, input_tokens = 100, cached_input_tokens = 90,
        schema_enforced = true, schema_valid = false, clipped = true, timed_out = true, retry_attempt = 2,
        task_id = "t" },
      { tool = "big", duration_ms = 7000, effective_input_tokens = 5000, input_tokens = 100, cached_input_tokens = 10,
        clipped = true, retry_attempt = 1, task_id = "t", timed_out = true },
    }
    assert.same({
      "High latency concentration: big avg_duration_ms=7000",
      "High token load concentration: big avg_effective_input_tokens=5000",
      "Cache hit degraded: first_half=90%, second_half=10%,",
      "Schema failure frequency elevated: 100%",
      "Budget clipping frequent: 100% of captured runs",
      "Timeout frequency elevated: 100% of runs",
      "Retry pressure elevated: 50% of runs are attempt>1",
      "Retry recovery weak: only 0% of timed-out tasks recover",
    }, rules.of_kind(rules.optimize(rows, th), "anomaly"))
  end)

  it("uses the thresholds given (CXALERT_MAX_MS / CXALERT_MAX_EFF_IN halves)", function()
    local rows = { { tool = "x", duration_ms = 600, effective_input_tokens = 401 } }
    assert.same({ "High latency concentration: x avg_duration_ms=600",
      "High token load concentration: x avg_effective_input_tokens=401" },
      rules.of_kind(rules.optimize(rows, { max_ms = 1000, max_eff = 800 }), "anomaly"))
    assert.same({}, rules.of_kind(rules.optimize(rows, th), "anomaly"))
  end)
end)

describe("the gate", function()
  it("compares the highest severity with the floor", function()
    assert.is_false(policy_rules.fails("ok", "warning"))
    assert.is_true(policy_rules.fails("warning", "warning"))
    assert.is_false(policy_rules.fails("warning", "critical"))
    assert.is_true(policy_rules.fails("critical", "critical"))
    assert.is_true(policy_rules.fails("critical", nil))
    assert.equal("critical", policy_rules.highest({ { severity = "warning" }, { severity = "critical" } }))
    assert.equal("ok", policy_rules.highest({}))
    assert.equal("warning", policy_rules.max("ok", "warning"))
    assert.equal(0, policy_rules.rank("bogus"))
  end)
end)
