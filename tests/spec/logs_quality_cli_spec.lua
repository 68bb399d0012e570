-- `cx logs stats` / `cx telemetry` with the telemetry policy end to end: text and --json, the
-- --strict / --severity gate and its exit codes, --format github|junit (also for `logs validate`),
-- a repository override. That the logs cx writes raise no telemetry finding is in
-- logs_written_spec.lua.
local h = require "helpers.cli"
local json = require "cx.json"
local tl = require "helpers.telemetry_log"

-- Each test runs cx in a fresh scratch repository whose run log is `log`.
local repo, log

local function scratch_repo()
  before_each(function()
    repo = h.tmprepo()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/cxlogs") .. " " .. h.quote(repo .. "/.codex/policies"))
    log = repo .. "/.codex/cxlogs/runs.jsonl"
  end)
  after_each(function() h.rm(repo) end)
end

local function cx(args) return h.cx(args, { cwd = repo, env = { HOME = repo } }) end

describe("cx logs stats: the telemetry gate", function()
  scratch_repo()

  it("warnings: text names each finding and its lines; --strict fails, --severity critical passes", function()
    h.write(log, tl.text(tl.runall_defects()))
    local r = cx({ "logs", "stats" })
    assert.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("\n- queue_ms: partial 15/16 (94%) [runall_attempt]\n", 1, true), r.stdout)
    assert.truthy(r.stdout:find("\n- runall_attempt.queue_ms (expected): 1 of 16 rows lack it (null 1, absent 0): "
      .. "line 3\n", 1, true))
    assert.truthy(r.stdout:find("\n- runs: seen=4 with_summary=2 without_summary=1 open=1\n  - no summary: run-r2 "
      .. "(3 rows) (line 12)\n", 1, true))
    assert.truthy(r.stdout:find("\nquality_severity: warning\nfindings:\n- [warning] expected_field_incomplete: ", 1,
      true))
    assert.truthy(r.stdout:find("\n- [warning] retry_reason_missing: 1 of 1 retries (retry_attempt > 1) have no "
      .. "retry_reason. (log lines 5; execution ids ", 1, true))
    r = cx({ "telemetry", "--strict" })
    assert.equal(1, r.code)
    assert.equal("cx logs stats: gate failed: telemetry severity warning reaches the --severity warning floor\n",
      r.stderr)
    assert.equal(0, cx({ "telemetry", "--strict", "--severity", "critical" }).code)
    assert.equal(0, cx({ "telemetry", "--strict", "--severity=critical", "--json" }).code)
    assert.equal(1, cx({ "telemetry", "--strict", "--severity", "warn" }).code)
    -- --json: the same verdict, with every finding
    local d = json.decode(cx({ "logs", "stats", "--json" }).stdout)
    assert.equal("warning", d.quality_severity)
    assert.same({ "expected_field_incomplete", "queue_ms_missing", "retry_reason_missing", "attempt_unfinished",
      "run_summary_missing" }, tl.ids(d.findings))
    assert.equal(3, d.findings[2].evidence[1].line)
  end)

  it("critical findings fail --severity critical; a bare --severity prints the severity view", function()
    h.write(log, tl.text({ tl.capture(), tl.capture({ cwd = json.null }) }))
    local r = cx({ "telemetry", "--strict", "--severity", "critical" })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("telemetry severity critical reaches the --severity critical floor", 1, true))
    r = cx({ "telemetry", "--severity" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("\nstrict_violations: 0\nquality_severity: critical\nfindings:\n"
      .. "- [critical] never_null_broken: Fields every row must carry are null or absent: modern.cwd missing in 1 of "
      .. "2 rows. (log lines 2; execution ids ", 1, true), r.stdout)
    assert.falsy(r.stdout:find("completeness", 1, true))
    -- `--severity 5`: 5 is the window, the view is the severity one
    r = cx({ "telemetry", "--severity", "1", "--json" })
    assert.equal(1, json.decode(r.stdout).window_runs)
    -- bad values are usage errors naming them
    r = cx({ "telemetry", "--severity=high" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("--severity must be warn|warning|critical, got 'high'", 1, true))
    r = cx({ "telemetry", "--format", "xml" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("--format must be text|json|github|junit, got 'xml'", 1, true))
    r = cx({ "telemetry", "--json", "--format", "junit" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("--json and --format junit disagree", 1, true))
  end)

  it("strict key violations still fail --strict whatever the floor (the reference's gate)", function()
    local rows = { tl.capture(), tl.capture() }
    rows[1].task_id = nil -- a key the newer half has and the older lacks: appeared, not vanished
    h.write(log, tl.text(rows))
    local r = cx({ "telemetry", "--strict", "--severity", "critical", "--json" })
    assert.equal(1, r.code)
    local d = json.decode(r.stdout)
    assert.equal(1, d.strict_violations)
    assert.equal("ok", d.quality_severity)
    assert.equal("cx logs stats: gate failed: 1 strict key(s) missing from some rows\n", r.stderr)
  end)

  it("--format github annotates each finding at its line; junit has a testcase per rule", function()
    h.write(log, tl.text(tl.runall_defects()))
    local r = cx({ "logs", "stats", "--format", "github", "--strict" })
    assert.equal(1, r.code)
    local lines = {}
    for l in r.stdout:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal(6, #lines, r.stdout)
    assert.truthy(lines[1]:find("^::warning file=%.codex/cxlogs/runs%.jsonl,line=3,title=cx logs stats%%3A "
      .. "expected_field_incomplete::Rows lack fields their kind should carry: "), lines[1])
    assert.truthy(lines[4]:find("^::warning file=%.codex/cxlogs/runs%.jsonl,line=7,title=cx logs stats%%3A "
      .. "attempt_unfinished::"), lines[4])
    assert.equal("::error title=cx logs stats::gate failed: telemetry severity warning reaches the --severity "
      .. "warning floor", lines[6])
    -- an override disables a rule: a skipped testcase
    h.write(repo .. "/.codex/policies/telemetry.lua",
      "return { extends = true, rules = { { id = 'retry_reason_missing', disabled = true } } }\n")
    r = cx({ "telemetry", "--format=junit" })
    assert.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find('<testsuite name="cx logs stats" tests="13" failures="4" errors="0" skipped="1">', 1,
      true), r.stdout)
    assert.truthy(r.stdout:find('<testcase classname="cx logs stats.telemetry" name="retry_reason_missing">'
      .. '<skipped message="disabled"/></testcase>', 1, true))
    assert.truthy(r.stdout:find('<testcase classname="cx logs stats.telemetry" name="strict_contract"></testcase>', 1,
      true))
    assert.truthy(r.stdout:find('<failure type="warning" message="1 of 16 rows a scheduler placed on a worker have no '
      .. 'queue_ms. (log line 3)">', 1, true))
  end)

  it("a repository override tunes a threshold and disables a rule (the gate follows)", function()
    h.write(log, tl.text(tl.runall_defects()))
    h.write(repo .. "/.codex/policies/telemetry.lua", [[
return {
  extends = true,
  thresholds = { complete_min_pct = 90, queue_missing_max = 1, unfinished_attempts_max = 1,
    runs_without_summary_max = 1 },
  rules = { { id = "retry_reason_missing", disabled = true } },
}
]])
    local r = cx({ "telemetry", "--strict", "--json" })
    assert.equal(0, r.code, r.stderr)
    local d = json.decode(r.stdout)
    assert.same({}, d.findings)
    assert.equal("ok", d.quality_severity)
    assert.equal(90, d.completeness.complete_min_pct)
    -- the numbers are the same; only the verdict moved
    assert.equal(1, d.quality_rollups.queue.without_queue_ms)
    assert.equal(2, #d.policy.files)
    assert.equal("repo", d.policy.files[2].origin)
    -- a broken override: exit 1, the file and line on stderr
    h.write(repo .. "/.codex/policies/telemetry.lua", "return {\n  extends = true,\n  rules = { { id = 'x' } },\n}\n")
    r = cx({ "telemetry" })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("^cx logs stats: .-/%.codex/policies/telemetry%.lua:3: rule 'x': check is missing"),
      r.stderr)
  end)

  it("no log: github and junit say so; --strict fails", function()
    local r = cx({ "telemetry", "--format", "github", "--strict" })
    assert.equal(1, r.code)
    assert.equal("::error title=cx logs stats::no log file at " .. log .. "\n", r.stdout)
    r = cx({ "telemetry", "--format", "junit" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find('<testsuite name="cx logs stats" tests="0" failures="0"', 1, true), r.stdout)
    r = cx({ "telemetry", "--format", "github" })
    assert.equal(0, r.code)
    assert.equal("::notice title=cx logs stats::no log file at " .. log .. "\n", r.stdout)
  end)
end)

describe("cx logs validate --format github|junit", function()
  scratch_repo()

  local function broken()
    local a, b = tl.capture({ execution_id = "same" }), tl.capture({ execution_id = "same" })
    h.write(log, json.encode(a) .. "\nnot json\n" .. json.encode(b) .. "\n" ..
      json.encode(tl.capture({ duration_ms = "12" })) .. "\n")
  end

  it("github: one annotation per finding at its line; errors only when the status fails", function()
    broken()
    local r = cx({ "logs", "validate", "--format", "github" })
    assert.equal(1, r.code)
    local lines = {}
    for l in r.stdout:gmatch("[^\n]+") do lines[#lines + 1] = l end
    assert.equal(4, #lines, r.stdout)
    assert.truthy(lines[1]:find("^::error file=%.codex/cxlogs/runs%.jsonl,line=2,title=cx logs validate%%3A "
      .. "invalid_json::expected ident at line 1 column 2"), lines[1])
    assert.truthy(lines[2]:find("^::warning file=%.codex/cxlogs/runs%.jsonl,line=3,title=cx logs validate%%3A "
      .. "duplicate_execution_id::execution_id: execution_id 'same' already used on line 1$"), lines[2])
    assert.truthy(lines[3]:find("^::error file=.-,line=4,title=cx logs validate%%3A wrong_type::duration_ms: "),
      lines[3])
    assert.truthy(lines[4]:find("^::error title=cx logs validate::logs validate: 2 error%(s%), 1 warning%(s%): "
      .. "status fail$"), lines[4])
    -- without the bad line the status is ok_with_warnings (legacy mode): the wrong type is a warning, exit 0
    h.write(log, json.encode(tl.capture({ duration_ms = "12" })) .. "\n")
    r = cx({ "logs", "validate", "--format=github" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("^::warning file=.-,line=1,title=cx logs validate%%3A wrong_type::"), r.stdout)
    r = cx({ "logs", "validate", "--strict", "--format=github" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find("^::error file=.-,line=1,title=cx logs validate%%3A wrong_type::"), r.stdout)
  end)

  it("junit: a testcase per class, failures for the classes with errors", function()
    broken()
    local r = cx({ "logs", "validate", "--format", "junit" })
    assert.equal(1, r.code)
    local classes = #require("cx.logs.validate").CLASSES
    assert.truthy(r.stdout:find(string.format('<testsuite name="cx logs validate" tests="%d" failures="3"',
      classes + 1), 1, true), r.stdout)
    assert.truthy(r.stdout:find('<testcase classname="cx logs validate.logs" name="invalid_json">\n'
      .. '      <failure type="critical" message="1 finding of class invalid_json (log line 2)">line 2: expected ident',
      1, true), r.stdout)
    assert.truthy(r.stdout:find('<testcase classname="cx logs validate.logs" name="duplicate_execution_id">'
      .. '<system-out>1 finding of class duplicate_execution_id</system-out></testcase>', 1, true))
    assert.truthy(r.stdout:find('<testcase classname="cx logs validate.logs" name="not_object"></testcase>', 1, true))
    -- a clean log: every testcase passes
    h.write(log, tl.text({ tl.capture() }))
    r = cx({ "logs", "validate", "--strict", "--format", "junit" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find('failures="0"', 1, true))
    -- --json and --format disagree
    assert.equal(2, cx({ "logs", "validate", "--json", "--format", "github" }).code)
  end)

  it("no log: a notice, or under --strict an error and exit 1", function()
    local r = cx({ "logs", "validate", "--format", "github" })
    assert.equal(0, r.code)
    assert.equal("::notice title=cx logs validate::no log file at " .. log .. "\n", r.stdout)
    r = cx({ "logs", "validate", "--strict", "--format", "github" })
    assert.equal(1, r.code)
    assert.equal("::error title=cx logs validate::no log file at " .. log .. "\n", r.stdout)
  end)
end)
