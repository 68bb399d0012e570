-- The JSON reports, shaped for the contract: round-trip each through the encoder and check it
-- against the fixtures in tests/fixtures/contracts (every key present, with its type).
local json = require "cx.json"
local report = require "cx.diag.report"
local context = require "cx.diag.context"
local render = require "cx.diag.render"
local contract = require "helpers.contract"

local function roundtrip(doc, pretty)
  return assert(json.decode(pretty and json.pretty(doc) or json.encode(doc)))
end

local function header()
  return context.collect({ getenv = function() return nil end, head = function() return nil end })
end

local function rows_of(n, make)
  local rows = {}
  for i = 1, n do rows[i] = make(i) end
  return rows
end

-- One window that fires every diag reason: p95 high, one backend, one worker, low recovery,
-- retry pressure and a halted run-all.
local function all_reasons_rows()
  local rows = rows_of(10, function(i)
    return { queue_ms = 3000 + i, backend_used = "codex", worker_id = "w1", retry_attempt = 2, timed_out = true,
      task_id = "t" .. i }
  end)
  rows[11] = { tool = "cxtask_runall", run_all_scheduled = 3, run_all_complete = 1, run_all_failed = 1 }
  return rows
end

describe("diag and scheduler reports", function()
  local diag_fixture = contract.load("diag_json_contract.json")
  local sched_fixture = contract.load("scheduler_json_contract.json")
  local actions_fixture = contract.load("actions_json_contract.json")

  it("carry every contract key for an empty window", function()
    local opts = { window = 50, log_file = "<unresolved>" }
    assert.same({}, contract.check_window_report(roundtrip(report.diag({}, opts, header()), true), diag_fixture))
    local doc = roundtrip(report.scheduler({}, opts), true)
    assert.same({}, contract.check_window_report(doc, sched_fixture))
    assert.equal("ok", doc.severity)
    assert.same({}, doc.severity_reasons)
    assert.equal(json.null, doc.scheduler.queue_ms_avg)
    assert.equal("float", math.type(doc.retry.tasks_retry_recovery_rate))
  end)

  it("carry every key and the actions payload when every reason fires", function()
    local opts = { window = 11, log_file = "/r/runs.jsonl", actions = true }
    local doc = roundtrip(report.diag(all_reasons_rows(), opts, header()), true)
    assert.same({}, contract.check_window_report(doc, diag_fixture))
    assert.same({}, contract.check_actions(doc, actions_fixture, true))
    assert.same({ "queue_p95_high:3010", "backend_skew_high", "worker_spread_low", "retry_recovery_low",
      "retry_pressure_high", "critical_halts_detected" }, doc.severity_reasons)
    assert.equal("critical", doc.severity)
    assert.equal(6, #doc.actions)
    assert.equal("cx scheduler --json --window 11 --strict", doc.actions[1].command)
    local sdoc = roundtrip(report.scheduler(all_reasons_rows(), opts), true)
    assert.same({}, contract.check_window_report(sdoc, sched_fixture))
    assert.same(doc.actions, sdoc.actions)
  end)

  it("give warning for one reason", function()
    local rows = rows_of(4, function(i) return { queue_ms = 2500 + 10 * i } end)
    local doc = report.scheduler(rows, { window = 4, log_file = "x" })
    assert.equal("warning", doc.severity)
  end)

  it("omit the actions keys without --actions", function()
    local doc = roundtrip(report.scheduler({}, { window = 1, log_file = "x" }))
    assert.is_nil(doc.actions)
    assert.is_nil(doc.actions_contract_version)
  end)

  it("render the reference's text lines", function()
    local rows = {
      { queue_ms = 10, worker_id = "w1", backend_used = "codex", retry_attempt = 1 },
      { queue_ms = 20, worker_id = "w2", backend_used = "ollama", retry_attempt = 10 },
      { queue_ms = 30, worker_id = "w1", backend_selected = "codex", retry_attempt = 2 },
    }
    local text = render.scheduler(report.scheduler(rows, { window = 200, log_file = "/r/l", actions = true }))
    assert.matches("^== cxscheduler ==\nlog_file: /r/l\nscheduler_window_runs: 3\n", text)
    for _, line in ipairs({ "scheduler_workers_seen: w1,w2", "scheduler_worker_distribution: w1=2,w2=1",
      "scheduler_backend_distribution: codex=2,ollama=1", "scheduler_queue_ms_p95: 30",
      "retry_attempt_histogram: 1=1,10=1,2=1", "retry_rows_after_retry_success_rate: 1.00",
      "severity: ok", "actions:\n- none" }) do
      assert.truthy(text:find("\n" .. line .. "\n", 1, true), line)
    end
    assert.is_nil(text:find("severity_reasons", 1, true))
    local dtext = render.diag(report.diag(rows, { window = 200, log_file = "/r/l" }, header()))
    assert.matches("^== cxdiag ==\ntimestamp: %d+%-%d+%-%d+T%d+:%d+:%d+Z\nversion: ", dtext)
    assert.matches("\nrouting_trace: sample='cxo git status' route=rust reason=rust support found %(cxo%)\n$", dtext)
  end)
end)

describe("optimize report", function()
  local fixture = contract.load("optimize_json_contract.json")
  local actions_fixture = contract.load("actions_json_contract.json")

  it("carries every contract key for an empty window", function()
    local doc = roundtrip(report.optimize({}, { window = 200, log_file = "x", actions = true }))
    assert.same({}, contract.check_optimize(doc, fixture))
    assert.same({}, contract.check_actions(doc, actions_fixture, false))
    assert.same({ "No runs available in log window." }, doc.recommendations)
    assert.same({}, doc.actions)
  end)

  it("carries every key and non-empty actions on a busy window", function()
    local rows = {
      { tool = "cxo", duration_ms = 5000, schema_enforced = true, schema_valid = false, clipped = true,
        capture_provider = "native", system_output_len_raw = 10, system_output_len_processed = 5, input_tokens = 9,
        cached_input_tokens = 9, timed_out = true, retry_attempt = 1, task_id = "t" },
      { tool = "cxo", duration_ms = 4000, retry_attempt = 2, task_id = "t", input_tokens = 9, cached_input_tokens = 0 },
    }
    local doc = roundtrip(report.optimize(rows, { window = 10, log_file = "x", actions = true }))
    assert.same({}, contract.check_optimize(doc, fixture))
    assert.same({}, contract.check_actions(doc, actions_fixture, true))
    local ids = {}
    for i, a in ipairs(doc.actions) do ids[i] = a.id end
    assert.same({ "latency_hotspot", "schema_failure_frequency", "timeout_frequency", "budget_clipping_frequency",
      "cache_hit_degradation" }, ids)
  end)

  it("renders the reference's text", function()
    local rows = {}
    for i, d in ipairs({ 1000, 800, 700, 650 }) do
      rows[i] = { tool = "cxo", capture_provider = "native", duration_ms = d, task_id = "task_00" .. ((i + 1) // 2),
        retry_attempt = 2 - i % 2, timed_out = (i ~= 2) }
    end
    local text = render.optimize(report.optimize(rows, { window = 10, log_file = "/r/l", actions = true }))
    for _, line in ipairs({ "== cx optimize (last 10 runs) ==", "top_by_avg_duration_ms:\n- cxo: 787ms",
      "timeout_frequency: 75% (3 runs)", "timeout_top_labels:\n- unknown: 3",
      "retry_health: rows_after_retry=2 (50%), success=1 (50%), tasks_recovered=1/2 (50%)",
      "retry_attempt_histogram: 1:2,2:2", "- native: processed/raw=n/a", "cache_trend: n/a",
      -- latency_hotspot no longer fires on 787 ms (docs/compat.md); the timeout action does.
      "\nActions:\n- [warning] timeout_frequency: Timeout frequency is elevated at 75% of runs. -> " ..
      "cx logs stats 200 --json --strict" }) do
      assert.truthy(text:find(line, 1, true), line)
    end
  end)
end)

describe("report policies", function()
  local h = require "helpers.cli"

  it("take the repository's rule policy: a replacement changes reasons, severity and actions", function()
    local dir = h.tmpdir()
    h.write(dir .. "/scheduler.lua", [[
return {
  rules = {
    { id = "rows", check = function(input)
        return { reason = "rows:" .. input.metrics.scheduler.window_runs }
      end,
      action = { severity = "critical", rationale = "r", command = "cx diag --json" } },
  },
}
]])
    h.write(dir .. "/optimize.lua", "return { extends = true, rules = {\n" ..
      "  { id = 'lean_mode', disabled = true } } }\n")
    local opts = { window = 2, log_file = "x", actions = true, rules = { policies_dir = dir } }
    local doc = assert(report.scheduler({ {}, {} }, opts))
    assert.same({ "rows:2" }, doc.severity_reasons)
    assert.equal("warning", doc.severity) -- no severity() of its own: the highest finding's
    assert.equal("critical", doc.actions[1].severity)
    local o = assert(report.optimize({ { tool = "cxo" } },
      { window = 1, log_file = "x", rules = { policies_dir = dir } }))
    assert.same({ "No significant anomalies in this window." }, o.recommendations)
    h.rm(dir)
  end)
end)
