-- `cx diag`, `cx scheduler`, `cx optimize` end to end: flags, exit codes, JSON contracts, text, and
-- the reference's test scenarios (diagnostics.md §7), over logs written into temporary repositories.
local h = require "helpers.cli"
local json = require "cx.json"
local contract = require "helpers.contract"

local fixtures = {
  diag = contract.load("diag_json_contract.json"),
  scheduler = contract.load("scheduler_json_contract.json"),
  optimize = contract.load("optimize_json_contract.json"),
  actions = contract.load("actions_json_contract.json"),
}

local repos = {}

-- A temporary repository whose run log holds rows (tables are encoded, strings written as is);
-- rows = nil leaves the log missing.
local function repo(rows)
  local dir = h.tmprepo()
  repos[#repos + 1] = dir
  if rows then
    os.execute("mkdir -p " .. h.quote(dir .. "/.codex/cxlogs"))
    local lines = {}
    for i, r in ipairs(rows) do lines[i] = type(r) == "string" and r or json.encode(r) end
    h.write(dir .. "/.codex/cxlogs/runs.jsonl", #lines > 0 and table.concat(lines, "\n") .. "\n" or "")
  end
  return dir
end

local function cx(dir, args)
  return h.cx(args, { cwd = dir, env = { HOME = dir, CX_LLM_BACKEND = "", CX_MODEL = "" } })
end

local function json_of(r)
  local doc, err = json.decode(r.stdout)
  assert(doc, "stdout is not JSON: " .. tostring(err) .. "\n" .. r.stdout .. r.stderr)
  return doc
end

local function rows_of(n, make)
  local rows = {}
  for i = 1, n do rows[i] = make(i) end
  return rows
end

local function has(list, value)
  for _, v in ipairs(list) do
    if v == value then return true end
  end
  return false
end

teardown(function()
  for _, d in ipairs(repos) do h.rm(d) end
end)

describe("the backlog's validation checklist", function()
  for _, case in ipairs({ { "an empty log", {} }, { "a missing log", nil } }) do
    it("passes on " .. case[1], function()
      local dir = repo(case[2])
      local d = cx(dir, { "diag", "--json", "--window", "50" })
      assert.equal(0, d.code, d.stderr)
      local doc = json_of(d)
      assert.same({}, contract.check_window_report(doc, fixtures.diag))
      assert.equal(50, doc.scheduler_window_requested)
      assert.equal("ok", doc.severity)
      assert.equal("<none>", doc.last_run_id)
      local s = cx(dir, { "scheduler", "--json", "--window", "50" })
      assert.equal(0, s.code, s.stderr)
      assert.same({}, contract.check_window_report(json_of(s), fixtures.scheduler))
      local o = cx(dir, { "optimize", "200", "--json" })
      assert.equal(0, o.code, o.stderr)
      local odoc = json_of(o)
      assert.same({}, contract.check_optimize(odoc, fixtures.optimize))
      assert.equal(200, odoc.window)
      assert.equal(0, odoc.runs)
    end)
  end

  it("prints diag and scheduler pretty, optimize compact, each ending in a newline", function()
    local dir = repo({})
    local d = cx(dir, { "diag", "--json" })
    assert.matches('^{\n  "active_model": "<unset>",\n', d.stdout)
    assert.matches('\n}\n$', d.stdout)
    assert.matches('"rows_after_retry_success_rate": 0%.0,', d.stdout)
    local o = cx(dir, { "optimize", "--json" })
    assert.matches('^{"anomalies":%[%],"contract_version":"optimize.v1",', o.stdout)
    assert.equal(1, select(2, o.stdout:gsub("\n", "")))
  end)

  it("carries the actions.v1 payload under --actions, even when empty", function()
    local dir = repo({})
    for _, args in ipairs({ { "diag", "--json", "--actions" }, { "scheduler", "--json", "--actions" },
      { "optimize", "--json", "--actions" } }) do
      local r = cx(dir, args)
      assert.equal(0, r.code, r.stderr)
      assert.same({}, contract.check_actions(json_of(r), fixtures.actions, false))
    end
  end)
end)

describe("outside a repository", function()
  it("falls back to $HOME/.codex", function()
    local cwd, home = h.tmpdir(), h.tmpdir()
    repos[#repos + 1] = cwd
    repos[#repos + 1] = home
    os.execute("mkdir -p " .. h.quote(home .. "/.codex/cxlogs"))
    h.write(home .. "/.codex/cxlogs/runs.jsonl", '{"queue_ms": 7}\n')
    local r = h.cx({ "scheduler", "--json" }, { cwd = cwd, env = { HOME = home } })
    assert.equal(0, r.code, r.stderr)
    local doc = json_of(r)
    assert.equal(home .. "/.codex/cxlogs/runs.jsonl", doc.log_file)
    assert.equal(7, doc.scheduler.queue_ms_avg)
  end)

  it("reports <unresolved> in diag/scheduler and fails optimize without HOME", function()
    local cwd = h.tmpdir()
    repos[#repos + 1] = cwd
    for _, name in ipairs({ "diag", "scheduler" }) do
      local r = h.cx({ name, "--json" }, { cwd = cwd, env = { HOME = false } })
      assert.equal(0, r.code, r.stderr)
      assert.equal("", r.stderr)
      local doc = json_of(r)
      assert.equal("<unresolved>", doc.log_file)
      assert.same({}, contract.check_window_report(doc, fixtures[name]))
      -- Changed with issue 8: --strict with no log to judge fails instead of passing silently.
      r = h.cx({ name, "--json", "--strict" }, { cwd = cwd, env = { HOME = false } })
      assert.equal(1, r.code)
      assert.equal("<unresolved>", json_of(r).log_file)
      assert.equal("cx " .. name .. ": no run log: no git repository and no HOME (use --log PATH) (--strict)\n",
        r.stderr)
    end
    local r = h.cx({ "optimize", "--json" }, { cwd = cwd, env = { HOME = false } })
    assert.equal(1, r.code)
    assert.equal("", r.stdout)
    assert.equal("cx optimize: unable to resolve log file\n", r.stderr)
  end)
end)

describe("cx diag / scheduler flags", function()
  local dir

  before_each(function()
    dir = repo(rows_of(3, function(i) return { queue_ms = i, worker_id = "w1" } end))
  end)

  it("let the last --window win and accept '+' and leading zeros", function()
    local doc = json_of(cx(dir, { "scheduler", "--json", "--window", "5", "--window", "1" }))
    assert.equal(1, doc.scheduler_window_requested)
    assert.equal(3, json_of(cx(dir, { "diag", "--json", "--window", "+3" })).scheduler.window_runs)
    assert.equal(7, json_of(cx(dir, { "diag", "--json", "--window", "007" })).scheduler_window_requested)
  end)

  it("accept warn as warning", function()
    assert.equal(0, cx(dir, { "scheduler", "--json", "--severity", "warn" }).code)
  end)

  for _, case in ipairs({
    { { "--window", "x" }, "'x'" },
    { { "--window", "0" }, "--window must be >= 1" },
    { { "--window", "-1" }, "-1" },
    { { "--window" }, "--window" },
    { { "--severity", "Critical" }, "'Critical'" },
    { { "--severity" }, "--severity" },
    { { "--frob" }, "'--frob'" },
    { { "extra" }, "'extra'" },
  }) do
    it("reject " .. table.concat(case[1], " ") .. " with exit 2 naming it", function()
      for _, name in ipairs({ "diag", "scheduler" }) do
        local args = { name }
        for _, a in ipairs(case[1]) do args[#args + 1] = a end
        local r = cx(dir, args)
        assert.equal(2, r.code)
        assert.equal("", r.stdout)
        local first = r.stderr:match("^[^\n]*")
        assert.matches("^cx " .. name .. ": ", first)
        assert.truthy(first:find(case[2], 1, true), first)
      end
    end)
  end
end)

describe("cx optimize flags", function()
  it("takes the last positional N and defaults to 200", function()
    local dir = repo({ { tool = "cxo", duration_ms = 10 } })
    assert.equal(7, json_of(cx(dir, { "optimize", "5", "7", "--json" })).window)
    assert.equal(200, json_of(cx(dir, { "optimize", "--json" })).window)
  end)

  for _, bad in ipairs({ { "0" }, { "abc" }, { "--window", "5" }, { "-5" }, { "--severity", "bad" } }) do
    it("rejects " .. table.concat(bad, " ") .. " with exit 2 naming it", function()
      local args = { "optimize" }
      for _, a in ipairs(bad) do args[#args + 1] = a end
      local r = cx(repo({}), args)
      assert.equal(2, r.code)
      assert.equal("", r.stdout)
      local first = r.stderr:match("^[^\n]*")
      assert.matches("^cx optimize: ", first)
      assert.truthy(first:find(bad[#bad] == "5" and bad[1] or bad[#bad], 1, true), first)
    end)
  end
end)

describe("reference scenarios", function()
  it("reports scheduler distributions in text (1)", function()
    local dir = repo({
      { queue_ms = 10, worker_id = "w1", backend_used = "codex" },
      { queue_ms = 20, worker_id = "w2", backend_used = "ollama" },
      { queue_ms = 30, worker_id = "w1", backend_used = "codex" },
    })
    local r = cx(dir, { "diag" })
    assert.equal(0, r.code, r.stderr)
    for _, line in ipairs({ "scheduler_window_runs: 3", "scheduler_queue_rows: 3", "scheduler_workers_seen: w1,w2",
      "scheduler_worker_distribution: w1=2,w2=1", "scheduler_backend_distribution: codex=2,ollama=1" }) do
      assert.truthy(r.stdout:find("\n" .. line .. "\n", 1, true), line)
    end
    for _, label in ipairs({ "^== cxdiag ==$", "^timestamp: ", "^version: ", "^log_file: ",
      "^retry_rows_with_metadata:",
      "^retry_attempt_histogram:", "^critical_summary_rows:", "^critical_errors_total:" }) do
      local found = false
      for line in r.stdout:gmatch("[^\n]+") do found = found or line:find(label) ~= nil end
      assert.is_true(found, label)
    end
  end)

  it("reports the scheduler object in diag JSON with the default window (2)", function()
    local dir = repo({ { queue_ms = 5, worker_id = "w1", backend_used = "codex", execution_id = "e-1" } })
    local doc = json_of(cx(dir, { "diag", "--json" }))
    assert.equal("codex", doc.backend)
    assert.equal(200, doc.scheduler_window_requested)
    assert.equal(1, doc.scheduler.queue_rows)
    assert.equal(1, doc.scheduler.worker_distribution.w1)
    assert.equal(1, doc.retry.window_runs)
    assert.equal(0, doc.critical.summary_rows)
    assert.equal("e-1", doc.last_run_id)
  end)

  it("scopes the blocks to the window (3)", function()
    local dir = repo(rows_of(3, function(i) return { queue_ms = i } end))
    local doc = json_of(cx(dir, { "diag", "--json", "--window", "1" }))
    assert.equal(1, doc.scheduler.window_runs)
    assert.equal(1, doc.scheduler.queue_rows)
    assert.equal(3, doc.scheduler.queue_ms_avg)
    assert.equal(1, doc.scheduler_window_requested)
  end)

  it("fails --strict on a halted run-all (4, 6)", function()
    local dir = repo({
      { tool = "cxtask_runall", run_all_scheduled = 3, run_all_complete = 1, run_all_failed = 1,
        run_all_critical_errors = 1, halt_on_critical = true },
      { tool = "cxo", duration_ms = 5 },
    })
    local r = cx(dir, { "diag", "--json", "--strict", "--window", "5" })
    assert.equal(1, r.code)
    local doc = json_of(r)
    assert.equal(1, doc.critical.summary_rows)
    assert.equal(1, doc.critical.halted_rows)
    assert.is_true(has(doc.severity_reasons, "critical_halts_detected"))
    r = cx(dir, { "scheduler", "--json", "--strict" })
    assert.equal(1, r.code)
    assert.is_true(has(json_of(r).severity_reasons, "critical_halts_detected"))
  end)

  it("fails scheduler --strict on a high queue p95 (5) and passes without --strict", function()
    local dir = repo(rows_of(4, function(i) return { queue_ms = 2500 + 10 * i, backend_used = "codex" } end))
    local r = cx(dir, { "scheduler", "--json", "--strict", "--window", "4" })
    assert.equal(1, r.code)
    local doc = json_of(r)
    assert.equal(4, doc.scheduler_window_requested)
    assert.equal("warning", doc.severity)
    assert.same({ "queue_p95_high:2540" }, doc.severity_reasons)
    assert.equal(0, cx(dir, { "scheduler", "--json", "--window", "4" }).code)
    assert.equal(0, cx(dir, { "scheduler", "--json", "--strict", "--severity", "critical", "--window", "4" }).code)
  end)

  it("fails diag --strict as critical on six slow single-backend rows (9)", function()
    local dir = repo(rows_of(6, function(i) return { queue_ms = 3000 + 10 * i, backend_used = "codex" } end))
    local r = cx(dir, { "diag", "--json", "--strict" })
    assert.equal(1, r.code)
    local doc = json_of(r)
    assert.equal("critical", doc.severity)
    assert.same({ "queue_p95_high:3060", "backend_skew_high", "worker_spread_low" }, doc.severity_reasons)
    local text = cx(dir, { "diag", "--strict" })
    assert.equal(1, text.code)
    assert.truthy(text.stdout:find("\nseverity_reasons: queue_p95_high:3060,backend_skew_high,worker_spread_low\n", 1,
      true))
  end)

  it("passes diag --strict on an ok window (10)", function()
    local r = cx(repo({ { queue_ms = 50 } }), { "diag", "--json", "--strict" })
    assert.equal(0, r.code)
    assert.equal("ok", json_of(r).severity)
  end)

  it("emits non-empty actions matching the contract (11, 12)", function()
    for _, name in ipairs({ "diag", "scheduler" }) do
      local dir = repo(rows_of(4, function(i) return { queue_ms = 2500 + i } end))
      local r = cx(dir, { name, "--json", "--actions", "--window", "4" })
      assert.equal(0, r.code)
      local doc = json_of(r)
      assert.same({}, contract.check_actions(doc, fixtures.actions, true))
      assert.equal("cx scheduler --json --window 4 --strict", doc.actions[1].command)
    end
  end)

  it("gates on action severity with --actions (critical floor)", function()
    local dir = repo({ { tool = "cxtask_runall", run_all_scheduled = 2, run_all_complete = 0, run_all_failed = 0 } })
    assert.equal(0, cx(dir, { "diag", "--json", "--strict", "--severity", "critical" }).code)
    assert.equal(1, cx(dir, { "diag", "--json", "--strict", "--severity", "critical", "--actions" }).code)
  end)

  it("fails --strict on retry degradation (13)", function()
    local rows = rows_of(4, function(i) return { retry_attempt = 2, timed_out = i > 1, task_id = "t" .. i } end)
    rows[5] = { retry_attempt = 1, task_id = "t9" }
    local r = cx(repo(rows), { "diag", "--json", "--strict", "--window", "5" })
    assert.equal(1, r.code)
    assert.is_true(has(json_of(r).severity_reasons, "retry_recovery_low"))
  end)

  it("runs the phase IV scheduler gate", function()
    local dir = repo({ { queue_ms = 3000 }, { queue_ms = 3200 }, { queue_ms = 3400 } })
    local r = cx(dir, { "diag", "--json", "--strict", "--window", "3" })
    assert.equal(1, r.code)
    local doc = json_of(r)
    assert.are_not.equal("ok", doc.severity)
    assert.equal(3, doc.scheduler.queue_rows)
    assert.equal(0, doc.retry.rows_with_retry_metadata)
    assert.equal(3, json_of(cx(dir, { "scheduler", "--json", "--window", "3" })).scheduler_window_requested)
  end)

  it("reports optimize retry health (14, 15)", function()
    local function row(d, t, a, to)
      return { tool = "cxo", capture_provider = "native", duration_ms = d, task_id = t, retry_attempt = a,
        timed_out = to }
    end
    local r = cx(repo({ row(1000, "task_001", 1, true), row(800, "task_001", 2, false), row(700, "task_002", 1, true),
      row(650, "task_002", 2, true) }), { "optimize", "10", "--json" })
    assert.equal(0, r.code, r.stderr)
    local doc = json_of(r)
    local rh = doc.scoreboard.retry_health
    assert.same({ 2, 1, 2, 1 }, { rh.rows_after_retry, rh.rows_after_retry_success, rh.tasks_with_timeout,
      rh.tasks_recovered })
    assert.same({ { 1, 2 }, { 2, 2 } }, rh.attempt_histogram)
    local low = false
    for _, rec in ipairs(doc.recommendations) do low = low or rec:find("Retry recovery is low", 1, true) ~= nil end
    assert.is_true(low)
    assert.same({}, contract.check_optimize(doc, fixtures.optimize))
  end)

  it("matches the optimize contract on one retried row (16)", function()
    local doc = json_of(cx(repo({ { tool = "cxo", retry_attempt = 2 } }), { "optimize", "10", "--json" }))
    assert.same({}, contract.check_optimize(doc, fixtures.optimize))
    assert.equal(1, doc.runs)
  end)

  it("emits optimize actions and gates on them deterministically (17, 18)", function()
    local r = cx(repo({ { tool = "cxo", duration_ms = 5000, schema_enforced = true, schema_valid = false },
      { tool = "cxo", duration_ms = 4000 } }), { "optimize", "--json", "--actions" })
    assert.equal(0, r.code)
    local doc = json_of(r)
    assert.same({}, contract.check_actions(doc, fixtures.actions, true))
    assert.same({ "latency_hotspot", "schema_failure_frequency" }, { doc.actions[1].id, doc.actions[2].id })
    local dir = repo({ { tool = "cxo", duration_ms = 5000 } })
    assert.equal(1, cx(dir, { "optimize", "--json", "--actions", "--strict", "--severity", "warning" }).code)
    assert.equal(0, cx(dir, { "optimize", "--json", "--actions", "--strict", "--severity", "critical" }).code)
    assert.equal(0, cx(dir, { "optimize", "--json", "--strict" }).code)
    local text = cx(dir, { "optimize", "--actions", "--strict" })
    assert.equal(1, text.code)
    assert.truthy(text.stdout:find("\nActions:\n- [warning] latency_hotspot: ", 1, true))
  end)
end)

describe("log tolerance", function()
  it("skips unparsable lines in diag and counts any JSON value", function()
    local dir = repo({ '{"queue_ms": 10}', "not json", "", "   ", "5", "[]", '{"queue_ms": 100.0}',
      '{"queue_ms": 20}' })
    local doc = json_of(cx(dir, { "scheduler", "--json" }))
    assert.equal(5, doc.scheduler.window_runs)
    assert.equal(2, doc.scheduler.queue_rows)
    assert.equal(15, doc.scheduler.queue_ms_avg)
  end)

  it("drops rows with mistyped fields in optimize, warns, and keeps the window full", function()
    local dir = repo({ { tool = "a", duration_ms = 10 }, { tool = "b", duration_ms = 20 },
      { tool = "c", duration_ms = "x", execution_id = "e-c" }, { tool = "d", duration_ms = 40 } })
    local r = cx(dir, { "optimize", "2", "--json" })
    assert.equal(0, r.code)
    local doc = json_of(r)
    assert.equal(2, doc.runs)
    assert.same({ "d", 40 }, doc.scoreboard.top_avg_duration_ms[1])
    assert.same({ "b", 20 }, doc.scoreboard.top_avg_duration_ms[2])
    assert.matches("^cx optimize: warning: skipped 1 rows? with mistyped fields", r.stderr)
    assert.matches('%(first: duration_ms = "x" in row e%-c%)', r.stderr) -- enough to find the row
  end)
end)

describe("rows written by cx itself", function()
  it("count in optimize and scheduler (every contract key, nulls included)", function()
    local runlog = require "cx.runlog"
    local dir = repo({})
    local log = dir .. "/.codex/cxlogs/runs.jsonl"
    for i = 1, 3 do
      assert(runlog.append(runlog.row("cxo", { duration_ms = 100 * i, queue_ms = 10 * i, retry_attempt = 1 }), log))
    end
    local doc = json_of(cx(dir, { "optimize", "--json" }))
    assert.equal(3, doc.runs)
    assert.same({ "cxo", 200 }, doc.scoreboard.top_avg_duration_ms[1])
    local s = json_of(cx(dir, { "scheduler", "--json" }))
    assert.equal(3, s.retry.rows_with_retry_metadata)
    assert.equal(20, s.scheduler.queue_ms_avg)
  end)
end)

describe("an unreadable log", function()
  it("gives diag/scheduler an empty window with a warning, and fails optimize", function()
    local dir = repo(nil)
    os.execute("mkdir -p " .. h.quote(dir .. "/.codex/cxlogs/runs.jsonl"))
    local r = cx(dir, { "scheduler", "--json" })
    assert.equal(0, r.code)
    assert.equal(0, json_of(r).scheduler.window_runs)
    assert.matches("^cx scheduler: .*runs%.jsonl", r.stderr)
    -- Changed with issue 8: under --strict an unreadable log is a failure.
    r = cx(dir, { "scheduler", "--json", "--strict" })
    assert.equal(1, r.code)
    assert.equal(0, json_of(r).scheduler.window_runs)
    assert.matches("\ncx scheduler: cannot read the run log .*runs%.jsonl.*%(%-%-strict%)\n$", r.stderr)
    local o = cx(dir, { "optimize", "--json" })
    assert.equal(1, o.code)
    assert.equal("", o.stdout)
    assert.matches("^cx optimize: .*runs%.jsonl", o.stderr)
  end)
end)
