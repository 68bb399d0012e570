local metrics = require "cx.diag.metrics"
local rules = require "cx.diag.rules"
local optimize = require "cx.diag.optimize"

local function rows_of(n, make)
  local rows = {}
  for i = 1, n do rows[i] = make(i) end
  return rows
end

local function reasons(rows)
  return rules.reasons(metrics.compute(rows))
end

describe("cx.diag.rules diag reasons", function()
  it("fires nothing on an empty window", function()
    assert.same({}, reasons({}))
    assert.equal("ok", rules.severity({}))
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

  it("flags narrow worker spread from 6 rows, zero workers included", function()
    assert.same({ "worker_spread_low" }, reasons(rows_of(6, function() return {} end)))
    assert.same({}, reasons(rows_of(5, function() return {} end)))
  end)

  it("flags low retry recovery from 3 rows after a retry", function()
    local r = reasons({
      { retry_attempt = 1, worker_id = "a" }, { retry_attempt = 2, timed_out = true, worker_id = "b" },
      { retry_attempt = 2, timed_out = true }, { retry_attempt = 2, timed_out = true }, { retry_attempt = 2 },
    })
    assert.same({ "retry_recovery_low" }, r)
  end)

  it("flags retry pressure at 30% of at least 10 rows, attempt 1 included", function()
    local r = reasons(rows_of(10, function(i)
      return { retry_attempt = i <= 3 and 1 or nil, worker_id = "w" .. (i % 2), backend_used = "b" .. (i % 2) }
    end))
    assert.same({ "retry_pressure_high" }, r)
  end)

  it("flags critical halts, and orders reasons as the reference", function()
    local rows = rows_of(6, function() return { queue_ms = 3000 } end)
    rows[7] = { tool = "cxtask_runall", run_all_scheduled = 3, run_all_complete = 1, run_all_failed = 1 }
    local r = reasons(rows)
    assert.same({ "queue_p95_high:3000", "worker_spread_low", "critical_halts_detected" }, r)
    assert.equal("critical", rules.severity(r))
    assert.equal("warning", rules.severity({ "critical_halts_detected" }))
  end)
end)

describe("cx.diag.rules strict gate", function()
  it("compares the highest severity with the floor", function()
    assert.is_false(rules.strict_fails("warning", "ok", {}))
    assert.is_true(rules.strict_fails("warning", "warning", nil))
    assert.is_false(rules.strict_fails("critical", "warning", nil))
    assert.is_true(rules.strict_fails("critical", "warning", { { severity = "critical" } }))
    assert.is_true(rules.strict_fails("critical", "critical", {}))
    assert.is_false(rules.strict_fails("warning", nil, {}))
    assert.is_true(rules.strict_fails("warning", nil, { { severity = "warning" } }))
    assert.is_false(rules.strict_fails("critical", nil, { { severity = "warning" } }))
  end)
end)

describe("cx.diag.rules optimize anomalies", function()
  local th = { max_ms = 12000, max_eff = 8000 }

  it("reports none for an empty window", function()
    assert.same({}, rules.anomalies(optimize.scoreboard({}, th), th))
  end)

  it("reports each anomaly in order", function()
    local rows = {
      { tool = "big", duration_ms = 7000, effective_input_tokens = 5000, input_tokens = 100, cached_input_tokens = 90,
        schema_enforced = true, schema_valid = false, clipped = true, timed_out = true, retry_attempt = 2,
        task_id = "t" },
      { tool = "big", duration_ms = 7000, effective_input_tokens = 5000, input_tokens = 100, cached_input_tokens = 10,
        clipped = true, retry_attempt = 1, task_id = "t", timed_out = true },
    }
    local sb = optimize.scoreboard(rows, th)
    assert.same({
      "High latency concentration: big avg_duration_ms=7000",
      "High token load concentration: big avg_effective_input_tokens=5000",
      "Cache hit degraded: first_half=90%, second_half=10%,",
      "Schema failure frequency elevated: 100%",
      "Budget clipping frequent: 100% of captured runs",
      "Timeout frequency elevated: 100% of runs",
      "Retry pressure elevated: 50% of runs are attempt>1",
      "Retry recovery weak: only 0% of timed-out tasks recover",
    }, rules.anomalies(sb, th))
  end)

  it("uses the thresholds given (CXALERT_MAX_MS / CXALERT_MAX_EFF_IN halves)", function()
    local sb = optimize.scoreboard({ { tool = "x", duration_ms = 600, effective_input_tokens = 401 } }, th)
    local low = { max_ms = 1000, max_eff = 800 }
    assert.same({ "High latency concentration: x avg_duration_ms=600",
      "High token load concentration: x avg_effective_input_tokens=401" }, rules.anomalies(sb, low))
    assert.same({}, rules.anomalies(sb, th))
  end)
end)
