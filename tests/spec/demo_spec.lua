-- make demo (tools/demo.sh): the story it tells and the report it ends with. The mock's latencies and
-- failures are drawn per task and call from a fixed seed, so every task's outcome is the same on
-- every run: 39 complete, the commitjson task quarantined; 4 timeouts and 2 rate limits recovered.
local browser = require "helpers.browser"
local h = require "helpers.cli"
local json = require "cx.json"
local rr = require "helpers.report_rows"


describe("make demo", function()
  local dir, r, log

  setup(function()
    dir = h.tmpdir()
    r = h.run({ h.root .. "/tools/demo.sh" }, { bin = "sh", env = { CX_DEMO_DIR = dir, CX_NO_PROGRESS = "1" } })
    log = dir .. "/repo/.codex/cxlogs/runs.jsonl"
  end)
  teardown(function() h.rm(dir) end)

  local function has(line)
    for l in r.stdout:gmatch("[^\n]+") do
      if l == line then return true end
    end
    return false
  end

  it("tells the run in five headed steps and ends with the report's path", function()
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    for _, step in ipairs({ "1/5  A scratch repository and a task graph",
      "2/5  Run the graph on the mock: 6 workers, codex at most 4 at once, ollama 1", "3/5  What failed, and why",
      "4/5  cx diag: findings, their evidence, and actions", "5/5  The HTML report" }) do
      assert.is_true(has(step), step)
    end
    assert.is_true(has("selected: 40"))
    assert.truthy(r.stdout:find("\nrun%-all summary: mode=mixed, complete=39, failed=1, blocked=0, "), r.stdout)
    assert.is_true(has("  (exit 1: a task failed)"))
    assert.truthy(r.stdout:find("\ntask_037 | doc | failed | - | commitjson\n", 1, true), r.stdout)
    assert.is_true(has("entries: 1"))
    assert.is_true(has("$ cx task show task_037 --text"))
    assert.truthy(r.stdout:find("\nlast_attempt: schema_invalid: ", 1, true), r.stdout)
    assert.is_true(has("next:"))
    assert.is_true(has("  cx task run task_037    (run it again)"))
    assert.is_true(has("severity: warning"))
    assert.truthy(r.stdout:find("- [warning] queue_p95_high: ", 1, true))
    local page = r.stdout:match("\ndemo: done%. Open the report: (%S+)\n$")
    assert.truthy(page, r.stdout)
    assert.truthy(page:find(dir .. "/repo/.codex/reports/report-run-", 1, true))
  end)

  it("ran every kind of attempt the story names, and recovered the transient ones", function()
    local classes, tasks = {}, {}
    for line in io.lines(log) do
      local row = json.decode(line)
      if row.tool ~= "cxtask_runall" then
        local c = row.failure_class
        if c ~= json.null and c ~= nil then classes[c] = (classes[c] or 0) + 1 end
        if row.task_id ~= json.null then tasks[row.task_id] = true end
      end
    end
    assert.are.same({ timeout = 4, rate_limited = 2, schema_invalid = 2 }, classes)
    local n = 0
    for _ in pairs(tasks) do n = n + 1 end
    assert.are.equal(40, n)
    local store = json.decode(h.slurp(dir .. "/repo/.codex/tasks.json"))
    local statuses = {}
    for _, t in ipairs(store) do statuses[t.status] = (statuses[t.status] or 0) + 1 end
    assert.are.same({ complete = 39, failed = 1 }, statuses)
  end)

  it("wrote a report with one bar per attempt that loads cleanly in a browser", function()
    local path = r.stdout:match("Open the report: (%S+)\n$")
    local page = h.slurp(path)
    local attempts = rr.attempts_in(log)
    assert.are.equal(attempts, rr.count(page, '<rect class="bar '))
    assert.truthy(page:find("queue_p95_high", 1, true))
    local chromium = browser.find()
    if not chromium then return pending("chromium is not installed (sh tools/deps.sh --browser)") end
    local loaded = browser.load(chromium, path)
    assert.are.same({}, loaded.console)
    assert.are.equal(attempts, rr.count(loaded.dom, '<rect class="bar '))
  end)
end)
