-- `cx logs stats` / `cx telemetry` end to end, and cx.logs.stats over hand-built windows.
local h = require "helpers.cli"
local json = require "cx.json"
local stats = require "cx.logs.stats"

-- The reference's 2-row drift example: 9 strict keys in both rows, the second adds retry
-- metadata, a task id and timed_out.
local BASE = { execution_id = "e1", timestamp = "2026-03-05T14:15:02Z", command = "cxo", backend_used = "codex",
  capture_provider = "native", execution_mode = "lean", duration_ms = 10, schema_enforced = false,
  schema_valid = true }

local function with(t, extra)
  local r = {}
  for k, v in pairs(t) do r[k] = v end
  for k, v in pairs(extra or {}) do r[k] = v end
  return r
end

local function two_rows()
  return json.encode(BASE) .. "\n" ..
    json.encode(with(BASE, { execution_id = "e2", retry_attempt = 2, task_id = "t1", timed_out = false })) .. "\n"
end

describe("cx logs stats", function()
  local repo, log
  before_each(function()
    repo = h.tmprepo()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/cxlogs"))
    log = repo .. "/.codex/cxlogs/runs.jsonl"
  end)
  after_each(function() h.rm(repo) end)

  local function cx(args) return h.cx(args, { cwd = repo, env = { HOME = repo } }) end

  it("reports population drift over 2 rows (text)", function()
    h.write(log, two_rows())
    local r = cx({ "logs", "stats", "2" })
    assert.equal(0, r.code, r.stderr)
    local want_head = "== cx logs stats ==\nlog_file: " .. log .. "\nwindow_runs: 2\nrequired_fields: 33\n" ..
      "severity: critical\nstrict_violations: 24\nretry_telemetry:\n- rows_with_retry_metadata: 1\n" ..
      "- rows_after_retry: 1\n- rows_after_retry_success: 1\n- rows_after_retry_success_rate: 1.00\n" ..
      "- tasks_with_retry: 0\n- tasks_retry_recovered: 0\n- tasks_retry_recovery_rate: 0.00\n" ..
      "- retry_attempt_histogram: 2:1\ncritical_telemetry:\n- summary_rows: 0\n- halt_enabled_rows: 0\n" ..
      "- halted_rows: 0\n- critical_errors_total: 0\n- runs_with_critical_errors: 0\nhttp_mode_stats:\n- <none>\n" ..
      "field_population:\n- execution_id present=2/2 (100%) non_null=2/2 (100%)\n"
    assert.equal(want_head, r.stdout:sub(1, #want_head))
    assert.truthy(r.stdout:find("\n- retry_attempt present=1/2 (50%) non_null=1/2 (50%)\n", 1, true))
    assert.truthy(r.stdout:find("\n- adapter_type present=0/2 (0%) non_null=0/2 (0%)\n", 1, true))
    -- the reference's report ends with the key drift; the telemetry quality sections follow it
    local drift = "\ncontract_drift:\n- new_keys_second_half: retry_attempt,task_id,timed_out\n" ..
      "- missing_keys_second_half: <none>\nrow_kinds:\n"
    assert.truthy(r.stdout:find(drift, 1, true), r.stdout)
    assert.truthy(r.stdout:find("\nquality_severity: critical\n", 1, true))
  end)

  it("telemetry --json: the telemetry.v1 document", function()
    h.write(log, two_rows())
    local r = cx({ "telemetry", "2", "--json" })
    assert.equal(0, r.code, r.stderr)
    local d = json.decode(r.stdout)
    local top = {}
    for k in pairs(d) do top[#top + 1] = k end
    table.sort(top)
    -- every telemetry.v1 key, then the telemetry quality keys (additive)
    assert.same({ "completeness", "contract_drift", "contract_version", "critical_telemetry", "drift", "fields",
      "findings", "http_mode_stats", "log_file", "nullability", "policy", "quality_contract_version",
      "quality_rollups", "quality_severity", "required_fields", "retry_telemetry", "row_kinds", "severity",
      "strict_violations", "window_runs" }, top)
    assert.equal("telemetry.v1", d.contract_version)
    assert.equal(2, d.window_runs)
    assert.equal(33, d.required_fields)
    assert.equal(24, d.strict_violations)
    assert.equal("critical", d.severity)
    assert.equal(33, #d.fields)
    assert.same({ field = "execution_id", non_null = 2, present = 2, total = 2 }, d.fields[1])
    assert.same({ field = "adapter_type", non_null = 0, present = 0, total = 2 }, d.fields[5])
    assert.same({ "retry_attempt", "task_id", "timed_out" }, d.contract_drift.new_keys_second_half)
    assert.same({}, d.contract_drift.missing_keys_second_half)
    assert.same({ ["2"] = 1 }, d.retry_telemetry.attempt_histogram)
    assert.equal(1.0, d.retry_telemetry.rows_after_retry_success_rate)
    assert.same({ critical_errors_total = 0, halt_enabled_rows = 0, halted_rows = 0, runs_with_critical_errors = 0,
      summary_rows = 0 }, d.critical_telemetry)
    assert.same({}, d.http_mode_stats)
    -- floats keep their point, empty arrays stay arrays, keys come sorted
    assert.truthy(r.stdout:find('"rows_after_retry_success_rate": 1.0,', 1, true))
    assert.truthy(r.stdout:find('"tasks_retry_recovery_rate": 0.0', 1, true))
    assert.truthy(r.stdout:find('"http_mode_stats": [],', 1, true))
    assert.truthy(r.stdout:find('"missing_keys_second_half": [],', 1, true))
    -- deterministic
    assert.equal(r.stdout, cx({ "telemetry", "2", "--json" }).stdout)
    assert.equal(r.stdout, cx({ "logs", "stats", "--json", "2" }).stdout)
  end)

  it("--strict fails on strict violations; --severity stops after the severity block", function()
    h.write(log, json.encode(BASE) .. "\n")
    local r = cx({ "logs", "stats", "1", "--strict" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find("severity: critical\nstrict_violations: 24\n", 1, true))
    r = cx({ "telemetry", "1", "--severity" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("severity:", 1, true))
    assert.falsy(r.stdout:find("field_population", 1, true))
    -- the reference's severity block, then the telemetry policy's severity and findings
    assert.truthy(r.stdout:find("\nstrict_violations: 24\nquality_severity: critical\nfindings:\n", 1, true))
    assert.falsy(r.stdout:find("row_kinds", 1, true))
    -- --severity with --json prints the whole document
    assert.equal(33, #json.decode(cx({ "telemetry", "1", "--severity", "--json" }).stdout).fields)
    -- strict_violations of one row equals validate --strict's issue_count
    local v = json.decode(cx({ "logs", "validate", "--strict", "--json" }).stdout)
    assert.equal(24, v.issue_count)
  end)

  it("uses the last N rows (last N wins), default 200, skipping bad lines", function()
    local lines = {}
    for i = 1, 250 do lines[#lines + 1] = json.encode(with(BASE, { execution_id = "e" .. i })) end
    lines[#lines + 1] = "garbage"
    h.write(log, table.concat(lines, "\n") .. "\n")
    assert.equal(200, json.decode(cx({ "logs", "stats", "--json" }).stdout).window_runs)
    assert.equal(5, json.decode(cx({ "logs", "stats", "9", "5", "--json" }).stdout).window_runs)
    assert.equal(250, json.decode(cx({ "logs", "stats", "1000", "--json" }).stdout).window_runs)
  end)

  it("usage errors exit 2; a missing log is a message and exit 0", function()
    for _, bad in ipairs({ "0", "-3", "--bogus", "ten" }) do
      local r = cx({ "logs", "stats", bad })
      assert.equal(2, r.code, bad)
      assert.truthy(r.stderr:find("'" .. bad .. "'", 1, true))
      assert.truthy(r.stderr:find("Usage: cx logs stats [N] [--json] [--strict] [--severity]", 1, true))
    end
    local r = cx({ "telemetry", "--json" })
    assert.equal(0, r.code)
    assert.equal("cx logs stats: no log file at " .. log .. "\n", r.stdout)
    r = cx({ "logs", "stats", "--log" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("--log needs a PATH", 1, true))
  end)

  it("--strict fails on a missing or empty log, naming it", function()
    local r = cx({ "logs", "stats", "--strict" })
    assert.equal(1, r.code)
    assert.equal("cx logs stats: no log file at " .. log .. "\n", r.stderr)
    h.write(log, "\ngarbage\n")
    r = cx({ "telemetry", "--strict", "--json" })
    assert.equal(1, r.code)
    assert.equal(0, json.decode(r.stdout).window_runs)
    assert.equal("cx logs stats: " .. log .. " holds no rows\n", r.stderr)
    assert.equal(0, cx({ "telemetry", "--json" }).code)
  end)

  it("text output carries no control byte from the data", function()
    h.write(log, two_rows() .. json.encode(with(BASE, { ["k\27[31m"] = 1, provider_transport = "http",
      http_provider_format = "t\27]0;x\7", http_parser_mode = "\0" })) .. "\n")
    local r = cx({ "logs", "stats" })
    assert.equal(0, r.code, r.stderr)
    assert.falsy(r.stdout:find("[%z\1-\9\11-\31\127]"), "a control byte reached the terminal")
    assert.truthy(r.stdout:find("format=t\\x1b]0;x\\x07 parser_mode=\\x00 ", 1, true), r.stdout)
    assert.truthy(r.stdout:find("k\\x1b[31m", 1, true))
  end)

  it("--log PATH reads another file", function()
    local other = repo .. "/other.jsonl"
    h.write(other, two_rows())
    local d = json.decode(cx({ "logs", "stats", "--json", "--log", other }).stdout)
    assert.equal(2, d.window_runs)
    assert.equal(other, d.log_file)
  end)
end)

describe("cx.logs.stats.file (streamed)", function()
  local window = require "cx.logs.window"
  local runlog = require "cx.runlog"
  local dir, path
  before_each(function()
    dir = h.tmpdir()
    path = dir .. "/runs.jsonl"
  end)
  after_each(function()
    window.BATCH = 512
    stats.SHAPES_MAX = 4096
    h.rm(dir)
  end)

  -- Rows of contract keys only come with their shape and are tallied by it (two thirds here, of
  -- a few shapes); the rest are walked key by key; so are all rows past SHAPES_MAX shapes.
  it("gives the report of the rows the tail reader returns, for any window and batch size", function()
    math.randomseed(3)
    local lines = {}
    for i = 1, 300 do
      local r = math.random(1, 12)
      if r == 1 then
        lines[#lines + 1] = "garbage " .. i
      elseif r == 2 then
        lines[#lines + 1] = ""
      elseif r == 3 then
        lines[#lines + 1] = "[" .. i .. "]"
      elseif r == 4 then
        lines[#lines + 1] = "\255 bad utf-8"
      else
        lines[#lines + 1] = json.encode(with(BASE, { execution_id = "e" .. i, retry_attempt = r,
          task_id = "t" .. (i % 7), timed_out = r == 5, tool = r == 6 and "cxtask_runall" or "cxo",
          provider_transport = r == 7 and "http" or "process", ["k" .. (i % 40)] = i % 3 == 0 and i or nil,
          queue_ms = r == 8 and json.null or i, http_status = i > 150 and r or nil,
          adapter_type = r == 9 and json.null or (r ~= 10 and "mock" or nil) }))
      end
    end
    h.write(path, table.concat(lines, "\n") .. '\n{"cut":')
    for _, shapes in ipairs({ 4096, 3, 0 }) do
      stats.SHAPES_MAX = shapes
      for _, batch in ipairs({ 1, 3, 512 }) do
        window.BATCH = batch
        for _, n in ipairs({ 1, 2, 7, 100, 250, 299, 1000 }) do
          local rows = assert(runlog.read_window(n, path))
          local want = json.encode(stats.compute(rows, path))
          local got = assert(stats.file(path, n))
          assert.equal(want, json.encode(got), "shapes " .. shapes .. " batch " .. batch .. " window " .. n)
        end
      end
    end
  end)

  it("a missing file, an empty one, one of blank lines", function()
    local report, info = stats.file(path, 10)
    assert.is_false(info.exists)
    assert.equal(0, report.window_runs)
    h.write(path, "")
    report, info = stats.file(path, 10)
    assert.is_true(info.exists)
    assert.equal(0, report.window_runs)
    h.write(path, "\n\n  \n")
    assert.equal(0, (stats.file(path, 10)).window_runs)
  end)
end)

describe("cx.logs.stats.compute", function()
  it("groups http runs by format and parser mode", function()
    local rows = {
      { provider_transport = "http", http_provider_format = "text", http_parser_mode = "envelope",
        schema_valid = false },
      { provider_transport = "http", http_provider_format = "text", http_parser_mode = "envelope",
        schema_valid = true },
      { provider_transport = "http", http_provider_format = "json", http_parser_mode = "json_payload", timed_out = true,
        policy_blocked = true },
      { provider_transport = "http" },
      { provider_transport = "process", http_provider_format = "text" },
    }
    local s = stats.compute(rows, "/x")
    assert.equal(3, #s.http_mode_stats)
    assert.same({ format = "json", parser_mode = "json_payload", runs = 1, healthy_runs = 0, schema_invalid = 0,
      timed_out = 1, policy_blocked = 1, success_rate = 0.0 }, s.http_mode_stats[1])
    assert.same({ format = "text", parser_mode = "envelope", runs = 2, healthy_runs = 1, schema_invalid = 1,
      timed_out = 0, policy_blocked = 0, success_rate = 0.5 }, s.http_mode_stats[2])
    assert.equal("unknown", s.http_mode_stats[3].format)
    assert.equal("unknown", s.http_mode_stats[3].parser_mode)
  end)

  it("computes retry recovery per task and the run-all block", function()
    local rows = {
      { task_id = "a", retry_attempt = 1, timed_out = true },
      { task_id = "a ", retry_attempt = 2, timed_out = false },
      { task_id = "b", timed_out = true },
      { task_id = "c", retry_attempt = 3, schema_valid = false },
      { retry_attempt = 10 },
      { tool = "cxtask_runall", halt_on_critical = true, run_all_critical_errors = 2, run_all_scheduled = 5,
        run_all_complete = 2, run_all_failed = 1 },
      { tool = "cxtask_runall", run_all_scheduled = 3, run_all_complete = 3, run_all_failed = 0 },
      "a string row", json.array({ 1 }),
    }
    local s = stats.compute(rows, "/x")
    local rt = s.retry_telemetry
    assert.equal(4, rt.rows_with_retry_metadata)
    assert.equal(3, rt.rows_after_retry)
    assert.equal(2, rt.rows_after_retry_success)
    assert.equal(2 / 3, rt.rows_after_retry_success_rate)
    assert.equal(2, rt.tasks_with_retry)
    assert.equal(1, rt.tasks_retry_recovered)
    assert.equal(0.5, rt.tasks_retry_recovery_rate)
    assert.same({ ["1"] = 1, ["2"] = 1, ["3"] = 1, ["10"] = 1 }, rt.attempt_histogram)
    assert.same({ summary_rows = 2, halt_enabled_rows = 1, halted_rows = 1, critical_errors_total = 2,
      runs_with_critical_errors = 1 }, s.critical_telemetry)
    assert.equal(9, s.window_runs)
    -- non-object rows count as missing every strict key
    assert.equal(33, s.strict_violations)
  end)

  it("severity: warning for new keys only, ok when stable, 0 violations for an empty window", function()
    local full = {}
    for _, k in ipairs(require("cx.log_contract").STRICT_KEYS) do full[k] = json.null end
    local second = with(full, { extra = 1 })
    assert.equal("warning", stats.compute({ full, second }, "/x").severity)
    assert.equal("ok", stats.compute({ full, full }, "/x").severity)
    assert.equal("critical", stats.compute({ second, full }, "/x").severity)
    local empty = stats.compute({}, "/x")
    assert.equal(0, empty.strict_violations)
    assert.equal("ok", empty.severity)
    assert.equal(0, empty.fields[1].total)
  end)
end)

describe("compat aliases", function()
  it("cxlogs is logs, cxtelemetry is logs stats", function()
    local repo = h.tmprepo()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/cxlogs"))
    h.write(repo .. "/.codex/cxlogs/runs.jsonl", two_rows())
    local r = h.cx({ "cxtelemetry", "2", "--json" }, { cwd = repo })
    assert.equal(0, r.code, r.stderr)
    assert.equal(24, json.decode(r.stdout).strict_violations)
    r = h.cx({ "cxlogs", "validate" }, { cwd = repo })
    assert.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("== cx logs validate ==", 1, true))
    h.rm(repo)
  end)
end)
