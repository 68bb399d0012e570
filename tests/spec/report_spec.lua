-- cx report: the model (cx.report.collect), the page (cx.report.html) and the command end to end.
-- The page in a real browser: report_browser_spec.lua.
local collect = require "cx.report.collect"
local html = require "cx.report.html"
local h = require "helpers.cli"
local lr = require "helpers.log_repo"
local rr = require "helpers.report_rows"


local function model(rows)
  local m = collect.new()
  for i, r in ipairs(rows) do collect.add(m, r, i) end
  return collect.finish(m)
end

local function sum_data_n(page, class)
  local total = 0
  for n in page:gmatch('<rect class="' .. class .. '[^"]*" data%-n="(%d+)"') do total = total + tonumber(n) end
  return total
end

describe("cx.report.collect", function()
  it("parses row timestamps to epoch ms", function()
    assert.are.equal(0, collect.epoch_ms("1970-01-01T00:00:00Z"))
    assert.are.equal(951782400000 + 3723000, collect.epoch_ms("2000-02-29T01:02:03Z"))
    assert.are.equal(1796000000250, collect.epoch_ms(os.date("!%Y-%m-%dT%H:%M:%S", 1796000000) .. ".25Z"))
    assert.is_nil(collect.epoch_ms("yesterday"))
    assert.is_nil(collect.epoch_ms(42))
  end)

  it("classifies each attempt's outcome and leaves the summary rows out", function()
    local rows = rr.run(6, 2, {
      failing = { [2] = "timeout", [4] = "rate_limited", [5] = "interrupted" },
      quarantined = { [6] = true },
      overrides = { [4] = { retry_attempt = 3, retry_max = 2 } }, -- its last attempt: failed
    })
    local m = model(rows)
    assert.are.equal(7, m.rows)
    assert.are.equal(6, m.attempts)
    assert.are.same({ "ok", "retried", "ok", "failed", "interrupted", "quarantined" }, m.outcome)
    assert.are.same({ ok = 2, retried = 1, failed = 1, quarantined = 1, interrupted = 1 }, m.totals)
    assert.are.equal(1, m.quarantined_count)
    collect.add(m, { tool = "cxrs_next", quarantine_id = "q_00006", schema_attempt = 2 }, 8) -- its schema retry
    assert.are.equal(1, m.quarantined_count)
    assert.are.equal("q_00006", m.quarantined[1].id)
    assert.are.same({ "interrupted", "rate_limited", "schema_invalid", "timeout" }, m.class_names)
    assert.are.equal(1, m.classes.rate_limited.codex)
  end)

  it("orders lanes naturally and keeps rows without a worker in their own lane", function()
    local rows = rr.run(12, 11)
    rows[#rows + 1] = { tool = "cxo", ts = "2026-12-02T12:00:00Z", duration_ms = 1500, llm_backend = "codex" }
    local m = model(rows)
    assert.are.same({ "w1", "w2", "w3", "w4", "w5", "w6", "w7", "w8", "w9", "w10", "w11", collect.NO_WORKER },
      m.lane_names)
    local last = m.attempts
    assert.are.equal(collect.epoch_ms("2026-12-02T12:00:00Z") - 1500, m.start[last])
  end)

  it("counts retried and recovered tasks", function()
    local rows = {
      { tool = "cxtask_run", task_id = "a", retry_attempt = 1, retry_max = 2, failure_class = "timeout",
        attempt_started_ms = 0, attempt_finished_ms = 10 },
      { tool = "cxtask_run", task_id = "a", retry_attempt = 2, retry_max = 2, attempt_started_ms = 300,
        attempt_finished_ms = 310 },
      { tool = "cxtask_run", task_id = "b", retry_attempt = 1, attempt_started_ms = 0, attempt_finished_ms = 5 },
    }
    local m = model(rows)
    assert.are.same({ tasks = 2, retried = 1, recovered = 1, retry_attempts = 1 }, m.retry)
    assert.are.same({ { task = "a", rows = { "timeout", "ok" }, last = "ok" } }, m.retried_tasks)
    local page = html.render(m, { severity = "ok", findings = {}, actions = {}, window = 3, rows = 3 },
      { log_file = "l", window = 3, generated = "g", version = "v" })
    assert.truthy(page:find("<tr><td><code>a</code></td><td>timeout → ok</td><td>ok</td></tr>", 1, true))
    assert.are.same({ 5, 10, 10 }, m.backends.unknown.durations)
  end)

  it("takes hostile values without failing: wrong types, huge and negative numbers", function()
    local m = model({
      { tool = {}, task_id = { 1 }, worker_id = 7, attempt_started_ms = -5, attempt_finished_ms = 1e308,
        duration_ms = "x", queue_ms = -1e308, retry_attempt = 2.5, failure_class = true },
      "a string row", 42, { ts = "not a time" },
    })
    assert.are.equal(4, m.rows)
    assert.are.equal(2, m.attempts)
    assert.are.same({ "7", collect.NO_WORKER }, m.lane_names)
    assert.is_string(html.render(m, { severity = "ok", findings = {}, actions = {}, window = 5, rows = 5 },
      { log_file = "x", window = 5, generated = "now", version = "t" }))
  end)
end)

describe("cx.report.html", function()
  it("escapes markup and quotes and replaces control characters", function()
    assert.are.equal("&lt;script&gt;&amp;&quot;&#39;\u{FFFD}x", html.esc("<script>&\"'\1x"))
  end)

  it("draws one bar per attempt, or density bins beyond the per-lane limit, and says so", function()
    local f = { severity = "ok", findings = {}, actions = {}, window = 1, rows = 1 }
    local meta = { log_file = "l", window = 1, generated = "g", version = "v" }
    local small = html.render(model(rr.run(30, 3)), f, meta)
    assert.are.equal(30, rr.count(small, '<rect class="bar '))
    assert.are.equal(0, rr.count(small, '<rect class="bin"'))
    local n = html.MAX_BARS_PER_LANE * 2 + 7
    local big = html.render(model(rr.run(n, 1)), f, meta)
    assert.are.equal(0, rr.count(big, '<rect class="bar '))
    assert.are.equal(n, sum_data_n(big, "bin"))
    assert.truthy(big:find("density bins", 1, true))
  end)
end)

describe("cx report", function()
  after_each(lr.cleanup)

  it("writes the page to .codex/reports/report-<run_id>.html and prints its path", function()
    local dir = lr.repo(rr.run(40, 4, { failing = { [3] = "timeout" }, quarantined = { [9] = true } }))
    local r = lr.cx(dir, { "report" })
    assert.are.equal(0, r.code, r.stderr)
    local path = dir .. "/.codex/reports/report-run-20261202T120000Z-abc123.html"
    assert.are.equal(path .. "\n", r.stdout)
    local page = h.slurp(path)
    assert.are.equal(40, rr.count(page, '<rect class="bar '))
    assert.truthy(page:find("q_00009", 1, true))
    assert.truthy(page:find("Content-Security-Policy", 1, true))
    assert.are.equal(0, rr.count(page:lower(), "<script"))
    assert.are.equal(0, rr.count(page, "https?://"))
  end)

  it("writes to stdout with --out - and describes the page with --json", function()
    local dir = lr.repo(rr.run(10, 2))
    local r = lr.cx(dir, { "report", "--out", "-" })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:match("^<!DOCTYPE html>"))
    assert.are.equal(10, rr.count(r.stdout, '<rect class="bar '))
    local out = dir .. "/sub/dir/r.html"
    local doc = lr.json(lr.cx(dir, { "report", "--json", "--out", out, "--window", "5" }))
    assert.are.equal("report.v1", doc.contract_version)
    assert.are.equal(out, doc.out)
    assert.are.equal(5, doc.rows) -- the last 5 rows: 4 attempts and the summary row
    assert.are.equal(4, doc.attempts)
    assert.are.same({ "w1", "w2" }, doc.lanes)
    assert.are.equal(4, rr.count(h.slurp(out), '<rect class="bar '))
  end)

  it("shows the findings and actions cx diag gives over the same rows", function()
    local slow = {} -- every task queued for 3 s: queue_p95_high fires
    for i = 1, 40 do slow[i] = { queue_ms = 3000 } end
    local dir = lr.repo(rr.run(40, 4, { overrides = slow }))
    local diag = lr.json(lr.cx(dir, { "diag", "--json", "--actions", "--window", "41" }))
    assert.is_true(#diag.findings > 0)
    local r = lr.cx(dir, { "report", "--window", "41", "--out", "-" })
    assert.are.equal(0, r.code, r.stderr)
    for _, f in ipairs(diag.findings) do
      assert.truthy(r.stdout:find("<code>" .. html.esc(f.id) .. "</code>", 1, true), f.id)
    end
    for _, a in ipairs(diag.actions) do
      assert.truthy(r.stdout:find(html.esc(a.command), 1, true), a.command)
    end
    assert.truthy(r.stdout:find('sev-' .. diag.severity, 1, true))
  end)

  it("escapes every string of a hostile log: no markup, no script, no attribute break-out", function()
    local evil = {
      '<script>alert(1)</script>', '"><img src=x onerror=alert(1)>', "</svg><iframe src=//evil>",
      "'><style>body{display:none}</style>", "<!--", "]]><![CDATA[",
    }
    local over = {}
    for i, s in ipairs(evil) do
      over[i] = { task_id = s, worker_id = s, backend_used = s, failure_class = s, run_id = s,
        quarantine_id = s, schema_name = s, schema_reason = s }
    end
    local dir = lr.repo(rr.run(#evil, 2, { overrides = over }))
    local r = lr.cx(dir, { "report", "--out", "-" })
    assert.are.equal(0, r.code, r.stderr)
    local page = r.stdout:lower()
    for _, tag in ipairs({ "<script", "<img", "<iframe", "<!--", "<![cdata[" }) do
      assert.are.equal(0, rr.count(page, (tag:gsub("%p", "%%%0"))), tag)
    end
    assert.are.equal(1, rr.count(page, "<style")) -- ours only
    assert.truthy(r.stdout:find("&lt;script&gt;alert(1)&lt;/script&gt;", 1, true))
    assert.are.equal(#evil, rr.count(r.stdout, '<rect class="bar '))
  end)

  it("redacts configured secrets, also where the log holds them inside markup-like text", function()
    local secret = "sk-live-<&>0123456789abcdef"
    local over = { [1] = { task_id = "leak " .. secret, schema_reason = "token=" .. secret },
      [2] = { worker_id = secret, quarantine_id = secret } }
    local dir = lr.repo(rr.run(3, 2, { overrides = over, quarantined = { [2] = true } }))
    local r = lr.cx(dir, { "report", "--out", "-" }, { OPENAI_API_KEY = secret })
    assert.are.equal(0, r.code, r.stderr)
    assert.is_nil(r.stdout:find("0123456789abcdef", 1, true))
    assert.truthy(r.stdout:find("[REDACTED:OPENAI_API_KEY]", 1, true))
  end)

  it("never writes through a symlinked .codex/reports", function()
    local dir = lr.repo(rr.run(2, 1))
    local elsewhere = h.tmpdir()
    assert(os.execute("ln -s " .. h.quote(elsewhere) .. " " .. h.quote(dir .. "/.codex/reports")))
    local r = lr.cx(dir, { "report" })
    assert.are.equal(1, r.code)
    assert.truthy(r.stderr:find("cx report: cannot write " .. dir .. "/.codex/reports/", 1, true), r.stderr)
    assert.truthy(r.stderr:find("symbolic link", 1, true), r.stderr)
    local p = io.popen("ls -A " .. h.quote(elsewhere))
    assert.are.equal("", p:read("a"))
    p:close()
    h.rm(elsewhere)
  end)

  it("fails with a message naming the log when there is nothing to report", function()
    local dir = lr.repo()
    local r = lr.cx(dir, { "report" })
    assert.are.equal(1, r.code)
    assert.truthy(r.stderr:find("no run log at " .. dir .. "/.codex/cxlogs/runs.jsonl", 1, true), r.stderr)
    lr.write_log(dir .. "/empty.jsonl", {})
    r = lr.cx(dir, { "report", "--log", dir .. "/empty.jsonl" })
    assert.are.equal(1, r.code)
    assert.truthy(r.stderr:find("has no rows to report on", 1, true), r.stderr)
  end)

  it("rejects bad arguments with exit 2 and a message naming them", function()
    local dir = lr.repo(rr.run(2, 1))
    local r = lr.cx(dir, { "report", "--window", "0" })
    assert.are.equal(2, r.code)
    assert.truthy(r.stderr:find("--window must be an integer >= 1, got '0'", 1, true), r.stderr)
    r = lr.cx(dir, { "report", "stray" })
    assert.are.equal(2, r.code)
    assert.truthy(r.stderr:find("unexpected argument 'stray'", 1, true), r.stderr)
    r = lr.cx(dir, { "report", "--json", "--out", "-" })
    assert.are.equal(2, r.code)
    assert.truthy(r.stderr:find("--json and --out - both write to stdout", 1, true), r.stderr)
    r = lr.cx(dir, { "report", "--help" })
    assert.are.equal(0, r.code)
    assert.truthy(r.stdout:find("Usage: cx report", 1, true))
  end)

  it("reports a window larger than the per-lane limit as density bins covering every attempt", function()
    local n = html.MAX_BARS_PER_LANE + 500
    local dir = lr.repo(rr.run(n, 1))
    local doc = lr.json(lr.cx(dir, { "report", "--json", "--window", tostring(n + 1) }))
    assert.are.equal(1, doc.binned_lanes)
    local page = h.slurp(doc.out)
    assert.are.equal(n, sum_data_n(page, "bin"))
    assert.truthy(page:find("density bins", 1, true))
  end)
end)

