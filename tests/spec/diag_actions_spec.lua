local actions = require "cx.diag.actions"
local optimize = require "cx.diag.optimize"

describe("cx.diag.actions", function()
  it("maps each diag reason to its action, dropping the value suffix and filling the window", function()
    local list = actions.for_reasons({ "queue_p95_high:2540", "backend_skew_high", "worker_spread_low",
      "retry_recovery_low", "retry_pressure_high", "critical_halts_detected", "mystery" }, 4)
    local ids, sev = {}, {}
    for i, a in ipairs(list) do
      ids[i] = a.id
      sev[i] = a.severity
    end
    assert.same({ "queue_p95_high", "backend_skew_high", "worker_spread_low", "retry_recovery_low",
      "retry_pressure_high", "critical_halts_detected", "mystery" }, ids)
    assert.same({ "warning", "warning", "warning", "critical", "warning", "critical", "warning" }, sev)
    assert.equal("cx scheduler --json --window 4 --strict", list[1].command)
    assert.equal("cx broker benchmark --window 4 --json", list[2].command)
    assert.equal("cx logs stats 200 --json --strict --severity critical", list[4].command)
    assert.equal("Scheduler diagnostic anomaly detected.", list[7].rationale)
    assert.equal("critical", actions.highest(list))
    assert.is_nil(actions.highest({}))
  end)

  it("gives optimize's latency and schema actions (reference test 17)", function()
    local sb = optimize.scoreboard({
      { tool = "cxo", duration_ms = 5000, schema_enforced = true, schema_valid = false },
      { tool = "cxo", duration_ms = 4000 },
    })
    assert.same({
      { id = "latency_hotspot", severity = "warning", command = "cx optimize 200 --json --actions",
        rationale = "Highest average duration is concentrated on cxo (4500ms)." },
      { id = "schema_failure_frequency", severity = "critical", command = "cx diag --json --strict --actions",
        rationale = "Schema failure rate detected at 100%." },
    }, actions.for_scoreboard(sb))
  end)

  it("rates a schema failure rate up to 5% as a warning", function()
    local rows = {}
    for i = 1, 20 do rows[i] = { schema_enforced = true, schema_valid = i ~= 1 } end
    local list = actions.for_scoreboard(optimize.scoreboard(rows))
    assert.equal(1, #list)
    assert.same({ "schema_failure_frequency", "warning", "Schema failure rate detected at 5%." },
      { list[1].id, list[1].severity, list[1].rationale })
  end)

  it("gives timeout, clipping and cache actions, and none for an empty window", function()
    assert.same({}, actions.for_scoreboard(optimize.scoreboard({})))
    local sb = optimize.scoreboard({
      { input_tokens = 100, cached_input_tokens = 50, clipped = true, timed_out = true },
      { input_tokens = 100, cached_input_tokens = 10, clipped = false },
    })
    local list = actions.for_scoreboard(sb)
    assert.same({ "timeout_frequency", "budget_clipping_frequency", "cache_hit_degradation" },
      { list[1].id, list[2].id, list[3].id })
    assert.equal("Cache hit trend regressed by -40 percentage points.", list[3].rationale)
    assert.equal("Budget clipping occurs in 50% of captured runs.", list[2].rationale)
    assert.equal("cx promptlint 200", list[3].command)
  end)
end)
