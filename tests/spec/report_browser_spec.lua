-- cx report in a real browser (Debian's chromium, headless): the page loads with no console
-- message at all (no error, no CSP violation, no failed load) and its timeline holds one bar per
-- attempt of the log. Pending only when chromium is not installed; .ci/run installs it.
local browser = require "helpers.browser"
local lr = require "helpers.log_repo"
local rr = require "helpers.report_rows"

local chromium = browser.find()
if not chromium and os.getenv("CX_REQUIRE_BROWSER") == "1" then
  error("CX_REQUIRE_BROWSER=1 but chromium is not installed (sh tools/deps.sh --browser)")
end
local PENDING = "chromium is not installed: `sh tools/deps.sh --browser` (as root) installs it; "
  .. "CI (.ci/run) runs this test"


local function report(dir, window)
  local out = dir .. "/report.html"
  local r = lr.cx(dir, { "report", "--out", out, "--window", tostring(window or 1000) })
  assert.are.equal(0, r.code, r.stderr)
  return out
end

describe("cx report in headless chromium", function()
  after_each(lr.cleanup)

  it("loads with no console message and draws one bar per attempt of the log", function()
    if not chromium then return pending(PENDING) end
    local dir = lr.repo(rr.run(60, 6, { failing = { [3] = "timeout", [10] = "rate_limited", [20] = "server_error" },
      quarantined = { [33] = true } }))
    local page = browser.load(chromium, report(dir))
    assert.are.equal(0, page.code, page.stderr)
    assert.are.same({}, page.console)
    local want = rr.attempts_in(dir .. "/.codex/cxlogs/runs.jsonl")
    assert.are.equal(60, want)
    assert.are.equal(want, rr.count(page.dom, '<rect class="bar '))
    assert.truthy(page.dom:find('<svg id="timeline" data-attempts="' .. want .. '"', 1, true))
    -- every lane of the log is drawn
    for w = 1, 6 do assert.truthy(page.dom:find('data-lane="w' .. w .. '"', 1, true)) end
  end)

  it("builds no element from a hostile log's strings", function()
    if not chromium then return pending(PENDING) end
    local evil = { '<script>console.error("pwned")</script>', '"><img src=x onerror=console.error(1)>',
      "</svg><iframe src=\"http://127.0.0.1:9/\"></iframe>", "<style>*{display:none}</style>" }
    local over = {}
    for i, s in ipairs(evil) do
      over[i] = { task_id = s, worker_id = s, backend_used = s, failure_class = s, run_id = s, quarantine_id = s,
        schema_reason = s }
    end
    local dir = lr.repo(rr.run(#evil, 2, { overrides = over }))
    local page = browser.load(chromium, report(dir))
    assert.are.equal(0, page.code, page.stderr)
    assert.are.same({}, page.console)
    local dom = page.dom:lower()
    for _, tag in ipairs({ "<script", "<img", "<iframe" }) do assert.are.equal(0, rr.count(dom, tag), tag) end
    assert.are.equal(1, rr.count(dom, "<style"))
    assert.are.equal(#evil, rr.count(page.dom, '<rect class="bar '))
  end)

  it("turns a crowded log into density bins that still account for every attempt", function()
    if not chromium then return pending(PENDING) end
    local dir = lr.repo(rr.run(2600, 2))
    local page = browser.load(chromium, report(dir, 2601))
    assert.are.equal(0, page.code, page.stderr)
    assert.are.same({}, page.console)
    local total = 0
    for n in page.dom:gmatch('<rect class="bin" data%-n="(%d+)"') do total = total + tonumber(n) end
    assert.are.equal(2600, total)
  end)
end)

