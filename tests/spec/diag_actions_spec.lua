-- The actions.v1 items the shipped policies attach to their findings (diagnostics.md §4): the
-- reference's ids, severities, rationales and commands, with the changes docs/compat.md lists
-- (retry_recovery_low's command is runnable; latency_hotspot needs a real hotspot).
local rules = require "helpers.rules"

local function rows_of(n, make)
  local rows = {}
  for i = 1, n do rows[i] = make(i) end
  return rows
end

describe("scheduler policy actions", function()
  it("gives one action per reason, without the value suffix, filling the window", function()
    local rows = rows_of(10, function(i)
      return { queue_ms = 3000 + i, backend_used = "codex", worker_id = "w1", retry_attempt = 2, timed_out = true,
        task_id = "t" .. i }
    end)
    rows[11] = { tool = "cxtask_runall", run_all_scheduled = 3, run_all_complete = 1, run_all_failed = 1 }
    local list = rules.scheduler(rows, 4).actions
    local ids, sev = {}, {}
    for i, a in ipairs(list) do
      ids[i] = a.id
      sev[i] = a.severity
    end
    assert.same({ "queue_p95_high", "backend_skew_high", "worker_spread_low", "retry_recovery_low",
      "retry_pressure_high", "critical_halts_detected" }, ids)
    assert.same({ "warning", "warning", "warning", "critical", "warning", "critical" }, sev)
    assert.equal("cx scheduler --json --window 4 --strict", list[1].command)
    assert.equal("Scheduler queue p95 latency is elevated.", list[1].rationale)
    assert.equal("cx broker benchmark --window 4 --json", list[2].command)
    assert.equal("cx task run-plan --status pending --json", list[3].command)
    -- The reference's command, runnable now that logs stats takes a --severity floor.
    assert.equal("cx logs stats 200 --json --strict --severity critical", list[4].command)
    assert.equal("cx optimize 200 --json --actions", list[5].command)
    assert.equal("cx task run-all --status pending", list[6].command)
  end)
end)

describe("optimize policy actions", function()
  local function actions(rows)
    return rules.optimize(rows).actions
  end

  it("gives the latency and schema actions (reference test 17)", function()
    assert.same({
      { id = "latency_hotspot", severity = "warning", command = "cx optimize 200 --json --actions",
        rationale = "Highest average duration is concentrated on cxo (4500ms)." },
      { id = "schema_failure_frequency", severity = "critical", command = "cx diag --json --strict --actions",
        rationale = "Schema failure rate detected at 100%." },
    }, actions({
      { tool = "cxo", duration_ms = 5000, schema_enforced = true, schema_valid = false },
      { tool = "cxo", duration_ms = 4000 },
    }))
  end)

  it("has a real latency threshold: short runs are no hotspot (changed)", function()
    assert.same({}, actions({ { tool = "cxo", duration_ms = 1200 }, { tool = "cxo", duration_ms = 3900 } }))
    assert.equal("latency_hotspot", actions({ { tool = "cxo", duration_ms = 4001 } })[1].id)
  end)

  it("rates a schema failure rate up to 5% as a warning", function()
    local rows = {}
    for i = 1, 20 do rows[i] = { schema_enforced = true, schema_valid = i ~= 1 } end
    local list = actions(rows)
    assert.equal(1, #list)
    assert.same({ "schema_failure_frequency", "warning", "Schema failure rate detected at 5%." },
      { list[1].id, list[1].severity, list[1].rationale })
  end)

  it("gives timeout, clipping and cache actions, and none for an empty window", function()
    assert.same({}, actions({}))
    local list = actions({
      { input_tokens = 100, cached_input_tokens = 50, clipped = true, timed_out = true },
      { input_tokens = 100, cached_input_tokens = 10, clipped = false },
    })
    assert.same({ "timeout_frequency", "budget_clipping_frequency", "cache_hit_degradation" },
      { list[1].id, list[2].id, list[3].id })
    assert.equal("Cache hit trend regressed by -40 percentage points.", list[3].rationale)
    assert.equal("Budget clipping occurs in 50% of captured runs.", list[2].rationale)
    assert.equal("cx promptlint 200", list[3].command)
  end)

  it("does not count interrupted structured runs as schema failures", function()
    assert.same({}, actions({ { tool = "next", schema_enforced = true, schema_valid = false,
      failure_class = "interrupted" } }))
  end)
end)
