-- Logs with known anomalies (policies/tests/*.jsonl) through cx diag, cx scheduler and cx optimize
-- with --log, as a CI job runs them: the findings, severities, evidence and exit codes expected, and
-- ordinary single-backend use raising no scheduler finding (issue 8 acceptance).
local h = require "helpers.cli"
local json = require "cx.json"

local LOGS = h.root .. "/policies/tests/"

local dir

setup(function() dir = h.tmprepo() end)
teardown(function() h.rm(dir) end)

local function cx(args)
  return h.cx(args, { cwd = dir, env = { HOME = dir } })
end

local function run(args)
  local r = cx(args)
  local doc = json.decode(r.stdout)
  return r.code, doc, r
end

local function ids(list)
  local out = {}
  for i, x in ipairs(list or {}) do out[i] = x.id end
  return out
end

describe("a single-backend interactive session (seven cx cxo runs on codex)", function()
  local log = LOGS .. "single_backend_session.jsonl"

  it("raises no scheduler finding: diag --strict passes at any floor", function()
    for _, name in ipairs({ "diag", "scheduler" }) do
      local code, doc, r = run({ name, "--json", "--actions", "--strict", "--log", log })
      assert.equal(0, code, r.stderr)
      assert.equal("ok", doc.severity)
      assert.same({}, doc.severity_reasons)
      assert.same({}, doc.actions)
      -- the report itself still counts the rows as the reference does
      assert.same({ codex = 7 }, doc.scheduler.backend_distribution)
      assert.equal(0, run({ name, "--json", "--strict", "--severity", "critical", "--log", log }))
    end
  end)

  it("is no latency hotspot for optimize --strict --actions", function()
    local code, doc = run({ "optimize", "--json", "--actions", "--strict", "--log", log })
    assert.equal(0, code)
    assert.same({}, doc.actions)
  end)
end)

describe("a slow queue", function()
  it("is a warning that names the slow rows; --strict fails at warning, passes at critical", function()
    local log = LOGS .. "slow_queue.jsonl"
    local code, doc = run({ "scheduler", "--json", "--actions", "--strict", "--log", log })
    assert.equal(1, code)
    assert.equal("warning", doc.severity)
    assert.same({ "queue_p95_high:3000" }, doc.severity_reasons)
    local f = doc.findings[1]
    assert.equal(5, f.evidence_count)
    assert.same({ execution_id = "20260301T100001Z_cxo_100_00000001", line = 1, offset = 0 }, f.evidence[1])
    assert.equal("cx scheduler --json --window 200 --strict", doc.actions[1].command)
    assert.equal(0, run({ "scheduler", "--json", "--strict", "--severity", "critical", "--log", log }))
  end)
end)

describe("a retry storm", function()
  it("is critical (two reasons), with a critical action", function()
    local code, doc = run({ "diag", "--json", "--actions", "--strict", "--severity", "critical", "--log",
      LOGS .. "retry_storm.jsonl" })
    assert.equal(1, code)
    assert.equal("critical", doc.severity)
    assert.same({ "retry_recovery_low", "retry_pressure_high" }, doc.severity_reasons)
    assert.same({ "critical", "warning" }, { doc.actions[1].severity, doc.actions[2].severity })
  end)
end)

describe("a halted run-all", function()
  it("is a warning, but its critical action fails a critical floor only with --actions", function()
    local log = LOGS .. "run_all_halt.jsonl"
    assert.equal(0, run({ "diag", "--json", "--strict", "--severity", "critical", "--log", log }))
    local code, doc = run({ "diag", "--json", "--strict", "--severity", "critical", "--actions", "--log", log })
    assert.equal(1, code)
    assert.equal("warning", doc.severity)
    assert.same({ 3 }, { doc.findings[1].evidence[1].line })
  end)
end)

describe("timeouts", function()
  it("give the anomaly, the advice and a warning action that --strict --actions fails on", function()
    local log = LOGS .. "timeouts.jsonl"
    local code, doc = run({ "optimize", "--json", "--actions", "--strict", "--log", log })
    assert.equal(1, code)
    assert.same({ "Timeout frequency elevated: 30% of runs" }, doc.anomalies)
    assert.same({ "timeout_frequency" }, ids(doc.actions))
    assert.equal(0, run({ "optimize", "--json", "--actions", "--strict", "--severity", "critical", "--log", log }))
    -- without --actions optimize's gate has nothing to fail on, as in the reference
    assert.equal(0, run({ "optimize", "--json", "--strict", "--log", log }))
  end)
end)

describe("schema failures", function()
  it("are critical above 5%, and an interrupted run is not one of them", function()
    local code, doc = run({ "optimize", "--json", "--actions", "--strict", "--severity", "critical", "--log",
      LOGS .. "schema_failures.jsonl" })
    assert.equal(1, code)
    assert.equal(10, doc.scoreboard.schema_failure_frequency.schema_runs)
    assert.equal(2, doc.scoreboard.schema_failure_frequency.schema_failures)
    assert.same({ "critical" }, { doc.actions[1].severity })
    assert.equal("Schema failure rate detected at 20%.", doc.actions[1].rationale)
  end)
end)

describe("CI formats", function()
  it("print GitHub annotations for the findings and a failing gate's missing log", function()
    local r = cx({ "scheduler", "--format", "github", "--strict", "--log", LOGS .. "retry_storm.jsonl" })
    assert.equal(1, r.code)
    local lines = {}
    for l in r.stdout:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal(3, #lines)
    assert.matches("^::warning file=.-retry_storm%.jsonl,line=7,title=cx scheduler%%3A retry_recovery_low::Only 2 of "
      .. "6 retried runs succeeded%. %(log lines 7, 8, 9, 10; execution ids ", lines[1])
    assert.matches("^::warning file=.-,line=7,title=cx scheduler%%3A retry_pressure_high::", lines[2])
    assert.equal("::error title=cx scheduler::gate failed: severity critical reaches the --severity warning floor",
      lines[3])
    r = cx({ "diag", "--format", "github", "--strict", "--log", dir .. "/missing.jsonl" })
    assert.equal(1, r.code)
    assert.matches("::error title=cx diag::no run log at .-/missing%.jsonl\n$", r.stdout)
  end)

  it("print JUnit XML with one testcase per rule", function()
    local r = cx({ "optimize", "--format", "junit", "--actions", "--log", LOGS .. "schema_failures.jsonl" })
    assert.equal(0, r.code)
    assert.matches('^<%?xml version="1%.0" encoding="UTF%-8"%?>\n<testsuites name="cx" tests="19" failures="2" ',
      r.stdout)
    assert.matches('<testcase classname="cx optimize%.optimize" name="schema_failure_frequency">\n%s*<failure '
      .. 'type="critical" message="Schema failure rate detected at 20%%%. %(log line 4%)">', r.stdout)
    assert.matches('<testcase classname="cx optimize%.optimize" name="latency_hotspot"></testcase>', r.stdout)
    local _, n = r.stdout:gsub("<testcase ", "")
    assert.equal(19, n)
  end)

  it("refuse --json with another --format as a usage error", function()
    local r = cx({ "diag", "--json", "--format", "junit" })
    assert.equal(2, r.code)
    assert.matches("^cx diag: %-%-json and %-%-format junit disagree", r.stderr)
    assert.equal(2, cx({ "optimize", "--format", "xml" }).code)
  end)
end)
