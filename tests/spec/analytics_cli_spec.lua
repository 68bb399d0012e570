-- The run-log analytics commands end to end: metrics, profile, alert, trace, worklog, promptlint,
-- prompt-stats and budget — outputs, JSON contracts, exit codes, --log, the typed/tolerant readers,
-- and the alert/promptlint rule policies (thresholds, repository overrides, broken policies).
local lr = require "helpers.log_repo"
local contract = require "helpers.contract"

local fixtures = {
  metrics = contract.load("metrics_json_contract.json"),
  prompt_stats = contract.load("prompt_stats_json_contract.json"),
}

local has_line = lr.has_line

local function run(tool, dur, eff, extra)
  local row = { tool = tool, duration_ms = dur, effective_input_tokens = eff, ts = "2026-03-05T14:15:0" .. (dur % 10)
    .. "Z" }
  for k, v in pairs(extra or {}) do row[k] = v end
  return row
end

teardown(lr.cleanup)

describe("cx metrics", function()
  it("prints the zero report on a missing or empty log (contract)", function()
    for _, rows in ipairs({ {}, false }) do
      local dir = lr.repo(rows or nil)
      local r = lr.cx(dir, { "metrics" })
      assert.equal(0, r.code, r.stderr)
      local doc = lr.json(r)
      assert.same({}, contract.check_shape(doc, fixtures.metrics))
      assert.equal(0, doc.runs)
      assert.equal(0.0, doc.avg_duration_ms)
      assert.equal("float", math.type(doc.avg_duration_ms))
      assert.matches('"by_tool": %[%]', r.stdout)
      assert.equal(dir .. "/.codex/cxlogs/runs.jsonl", doc.log_file)
    end
  end)

  it("averages over the window, per tool sorted by runs then name (contract)", function()
    local dir = lr.repo({ run("cxo", 100, 10, { output_tokens = 4 }), run("b", 300, 30), run("a", 200, 20),
      run("cxo", 300, 30, { input_tokens = 40, cached_input_tokens = 10 }) })
    local r = lr.cx(dir, { "metrics", "3", "--json" })
    assert.equal(0, r.code, r.stderr)
    local doc = lr.json(r)
    assert.same({}, contract.check_shape(doc, fixtures.metrics))
    assert.equal(3, doc.runs)
    assert.equal(800 / 3, doc.avg_duration_ms)
    assert.equal(40 / 3, doc.avg_input_tokens)
    assert.same({ "a", "b", "cxo" }, { doc.by_tool[1].tool, doc.by_tool[2].tool, doc.by_tool[3].tool })
    assert.equal(1, doc.by_tool[3].runs)
    assert.equal(300.0, doc.by_tool[3].avg_duration_ms)
    local all = lr.json(lr.cx(dir, { "metrics" }))
    assert.equal(4, all.runs)
    assert.same({ "cxo", 2, 200.0 }, { all.by_tool[1].tool, all.by_tool[1].runs, all.by_tool[1].avg_duration_ms })
  end)

  it("skips rows with mistyped fields with one warning and keeps the window full", function()
    local dir = lr.repo({ run("a", 10, 1), run("b", 20, 2), { tool = "c", duration_ms = "x" }, "not json",
      run("d", 40, 4) })
    local r = lr.cx(dir, { "metrics", "2" })
    assert.equal(0, r.code)
    local doc = lr.json(r)
    assert.equal(2, doc.runs)
    assert.same({ "b", "d" }, { doc.by_tool[1].tool, doc.by_tool[2].tool })
    assert.matches("cx metrics: warning: skipped 1 rows with mistyped fields in .-runs%.jsonl %(first: duration_ms%)",
      r.stderr)
  end)

  it("reads --log PATH instead of the repository's log", function()
    local dir = lr.repo({ run("here", 1, 1) })
    lr.write_log(dir .. "/other.jsonl", { run("there", 5, 5), run("there", 7, 7) })
    local doc = lr.json(lr.cx(dir, { "metrics", "--log", dir .. "/other.jsonl" }))
    assert.equal(2, doc.runs)
    assert.equal("there", doc.by_tool[1].tool)
    assert.equal(dir .. "/other.jsonl", doc.log_file)
  end)

  for _, bad in ipairs({ "0", "abc", "-3" }) do
    it("rejects N=" .. bad .. " with exit 2 naming it", function()
      local r = lr.cx(lr.repo({}), { "metrics", bad })
      assert.equal(2, r.code)
      assert.equal("", r.stdout)
      assert.truthy(r.stderr:match("^cx metrics: [^\n]*" .. bad:gsub("%-", "%%-")), r.stderr)
    end)
  end

  it("fails with exit 1 when no log can be resolved", function()
    local cwd = require("helpers.cli").tmpdir()
    lr.dirs[#lr.dirs + 1] = cwd
    local r = require("helpers.cli").cx({ "metrics" }, { cwd = cwd, env = { HOME = false } })
    assert.equal(1, r.code)
    assert.equal("cx metrics: unable to resolve log file\n", r.stderr)
  end)
end)

describe("cx profile", function()
  it("summarises the window (ties of the slowest go to the last row)", function()
    local dir = lr.repo({ run("a", 100, 1000, { input_tokens = 1000, cached_input_tokens = 250, output_tokens = 125 }),
      run("b", 300, 500, { input_tokens = 1000, cached_input_tokens = 0, output_tokens = 0 }),
      run("c", 300, 0) })
    local r = lr.cx(dir, { "profile" })
    assert.equal(0, r.code, r.stderr)
    local want = { "== cx profile (last 50 runs) ==", "Runs: 3", "Avg duration: 233ms", "Avg effective tokens: 500",
      "Cache hit rate: 13%", "Output/input ratio: 0.08", "Slowest run: 300ms (c)",
      "Heaviest context: 1000 effective tokens (a)", "log_file: " .. dir .. "/.codex/cxlogs/runs.jsonl" }
    assert.same(want, lr.lines(r))
  end)

  it("prints zeros and n/a on an empty log", function()
    local r = lr.cx(lr.repo({}), { "profile", "7" })
    assert.same({ "== cx profile (last 7 runs) ==", "Runs: 0", "Avg duration: 0ms", "Avg effective tokens: 0",
      "Cache hit rate: n/a", "Output/input ratio: n/a", "Slowest run: n/a", "Heaviest context: n/a" },
      { table.unpack(lr.lines(r), 1, 8) })
  end)
end)

describe("cx alert", function()
  local rows = { run("a", 13000, 100, { execution_id = "e1" }), run("b", 50, 9000, { execution_id = "e2" }),
    run("c", 12000, 8000, { execution_id = "e3" }), { tool = "d" } }

  it("counts violations with the policy's thresholds and lists the top runs", function()
    local dir = lr.repo(rows)
    local r = lr.cx(dir, { "alert" })
    assert.equal(0, r.code, r.stderr)
    local l = lr.lines(r)
    assert.same({ "== cx alert (last 50 runs) ==", "Runs: 4", "Thresholds: max_ms=12000, max_eff_in=8000",
      "Slow threshold violations: 1", "Token threshold violations: 1", "Avg cache hit rate: n/a", "Top 5 slowest:",
      "- 13000ms | a | 2026-03-05T14:15:00Z", "- 12000ms | c | 2026-03-05T14:15:00Z",
      "- 50ms | b | 2026-03-05T14:15:00Z", "Top 5 heaviest:", "- 9000 effective tokens | b | 2026-03-05T14:15:00Z",
      "- 8000 effective tokens | c | 2026-03-05T14:15:00Z", "- 100 effective tokens | a | 2026-03-05T14:15:00Z" },
      { table.unpack(l, 1, 14) })
  end)

  it("takes CXALERT_MAX_MS / CXALERT_MAX_EFF_IN over the policy (non-integers ignored)", function()
    local dir = lr.repo(rows)
    local r = lr.cx(dir, { "alert" }, { CXALERT_MAX_MS = "40", CXALERT_MAX_EFF_IN = "x" })
    assert.is_true(has_line(r, "Thresholds: max_ms=40, max_eff_in=8000"))
    assert.is_true(has_line(r, "Slow threshold violations: 3"))
  end)

  it("prints no Thresholds line and n/a lists with no runs", function()
    local r = lr.cx(lr.repo(nil), { "alert" })
    assert.equal(0, r.code)
    assert.is_false(r.stdout:find("Thresholds", 1, true) ~= nil)
    assert.is_true(has_line(r, "Top 5 slowest: n/a"))
    assert.is_true(has_line(r, "Top 5 heaviest: n/a"))
  end)

  it("follows a repository override that changes a threshold and adds a rule", function()
    local dir = lr.repo(rows)
    os.execute("mkdir -p " .. dir .. "/.codex/policies")
    require("helpers.cli").write(dir .. "/.codex/policies/alert.lua", [[
return {
  extends = true,
  thresholds = { max_ms = 100 },
  rules = {
    { id = "unknown_tool", severity = "critical", check = function(input)
        for _, r in ipairs(input.runs) do
          if r.tool == "d" then return { reason = "a run has tool d" } end
        end
      end },
  },
}
]])
    local r = lr.cx(dir, { "alert" })
    assert.equal(0, r.code, r.stderr)
    assert.is_true(has_line(r, "Thresholds: max_ms=100, max_eff_in=8000"))
    assert.is_true(has_line(r, "Slow threshold violations: 2"))
    assert.is_true(has_line(r, "Alert [critical] unknown_tool: a run has tool d"))
    -- alert-show reports the same thresholds
    local s = lr.cx(dir, { "alert-show" })
    assert.same({ "cx alerts:", "enabled=1", "max_ms=100", "max_eff_in=8000", "max_out=500" }, lr.lines(s))
  end)

  it("disables a rule by id", function()
    local dir = lr.repo(rows)
    os.execute("mkdir -p " .. dir .. "/.codex/policies")
    require("helpers.cli").write(dir .. "/.codex/policies/alert.lua",
      'return { extends = true, rules = { { id = "slow_runs", disabled = true } } }\n')
    local r = lr.cx(dir, { "alert" })
    assert.is_true(has_line(r, "Slow threshold violations: 0"))
    assert.is_true(has_line(r, "Token threshold violations: 1"))
  end)

  it("reports a broken or runaway policy as file:line and exits 1", function()
    local dir = lr.repo(rows)
    os.execute("mkdir -p " .. dir .. "/.codex/policies")
    local file = dir .. "/.codex/policies/alert.lua"
    require("helpers.cli").write(file, "return { extends = true, rules = { { id = 'x', check = function()\n"
      .. "  return nil + 1 end } } }\n")
    local r = lr.cx(dir, { "alert" })
    assert.equal(1, r.code)
    assert.matches("^cx alert: " .. file:gsub("%p", "%%%0") .. ":2:", r.stderr)
    require("helpers.cli").write(file, "return { extends = true, rules = { { id = 'x', check = function()\n"
      .. "  while true do end end } } }\n")
    r = lr.cx(dir, { "alert" })
    assert.equal(1, r.code)
    assert.matches("budget", r.stderr)
    require("helpers.cli").write(file,
      "return { rules = { { id = 'x', check = function() os.execute('true') end } } }\n")
    r = lr.cx(dir, { "alert" })
    assert.equal(1, r.code)
    assert.matches("os", r.stderr)
  end)
end)

describe("cx trace", function()
  it("prints the Nth most recent run", function()
    local dir = lr.repo({ run("a", 1, 1, { llm_backend = "codex" }), run("b", 2, 2, { prompt_preview = "hi" }) })
    local r = lr.cx(dir, { "trace" })
    assert.equal(0, r.code, r.stderr)
    local l = lr.lines(r)
    assert.equal("== cx trace (run #1 most recent) ==", l[1])
    assert.equal("ts: 2026-03-05T14:15:02Z", l[2])
    assert.equal("tool: b", l[3])
    assert.equal("cwd: n/a", l[4])
    assert.equal("duration_ms: 2", l[5])
    assert.is_true(has_line(r, "prompt_preview: hi"))
    assert.equal(16, #l)
    assert.is_true(has_line(lr.cx(dir, { "trace", "2" }), "llm_backend: codex"))
  end)

  it("exits 1 without a log or runs, 2 beyond the runs", function()
    local missing = lr.cx(lr.repo(nil), { "trace" })
    assert.equal(1, missing.code)
    assert.matches("^cx trace: no log file at .*runs%.jsonl\n$", missing.stderr)
    local empty = lr.cx(lr.repo({}), { "trace" })
    assert.equal(1, empty.code)
    assert.matches("^cx trace: no runs in ", empty.stderr)
    local far = lr.cx(lr.repo({ run("a", 1, 1) }), { "trace", "3" })
    assert.equal(2, far.code)
    assert.equal("cx trace: run index out of range (requested 3, available 1)\n", far.stderr)
  end)
end)

describe("cx worklog", function()
  it("prints Markdown by tool and in log order", function()
    local dir = lr.repo({ run("b", 10, 5), run("a", 30, 7), run("b", 20, 5), run("c", 30, 1) })
    local r = lr.cx(dir, { "worklog", "10" })
    assert.equal(0, r.code, r.stderr)
    assert.same({ "# cx Worklog", "", "Window: last 10 runs", "", "## By Tool", "",
      "| Tool | Runs | Avg Duration (ms) | Avg Effective Tokens |", "|---|---:|---:|---:|", "| b | 2 | 15 | 5 |",
      "| a | 1 | 30 | 7 |", "| c | 1 | 30 | 1 |", "", "## Chronological Runs", "",
      "- 2026-03-05T14:15:00Z | b | 10ms | 5 effective tokens",
      "- 2026-03-05T14:15:00Z | a | 30ms | 7 effective tokens",
      "- 2026-03-05T14:15:00Z | b | 20ms | 5 effective tokens",
      "- 2026-03-05T14:15:00Z | c | 30ms | 1 effective tokens",
      "", "_log_file: " .. dir .. "/.codex/cxlogs/runs.jsonl_" }, lr.lines(r))
  end)

  it("says No runs found. without a log", function()
    local dir = lr.repo(nil)
    assert.same({ "# cx Worklog", "", "Window: last 50 runs", "", "No runs found.", "",
      "_log_file: " .. dir .. "/.codex/cxlogs/runs.jsonl_" }, lr.lines(lr.cx(dir, { "worklog" })))
  end)
end)

describe("cx promptlint", function()
  local function rows()
    local out = { run("drift", 10, 100), run("drift", 10, 100) }
    for _ = 1, 4 do out[#out + 1] = run("heavy", 10, 3500, { input_tokens = 4000, cached_input_tokens = 400 }) end
    out[#out + 1] = run("drift", 10, 900)
    out[#out + 1] = run("ok", 10, 10, { input_tokens = 100, cached_input_tokens = 90 })
    return out
  end

  it("lists heavy tools, drift, poor cache hits and the policy's recommendations", function()
    local dir = lr.repo(rows())
    local r = lr.cx(dir, { "promptlint" })
    assert.equal(0, r.code, r.stderr)
    assert.same({ "== cx promptlint (last 200 runs) ==", "Top token-heavy tools (avg effective_input_tokens):",
      "- heavy: 3500", "- drift: 366", "- ok: 10",
      "Prompt drift (same tool, avg eff tokens second-half minus first-half):",
      "- drift: delta=800, first=100, second=900",
      "- heavy: delta=0, first=3500, second=3500",
      "Poor cache-hit tools:", "- heavy: 10%", "Recommendations:",
      "- heavy prompts are heavy (3500); reduce embedded context and enforce schema-only outputs.",
      "- drift shows token drift (+800); stabilize prompt templates and prompt_preview content.",
      "- heavy cache hit is low (10%); reduce prompt variability and reuse stable instruction blocks.",
      "log_file: " .. dir .. "/.codex/cxlogs/runs.jsonl" }, lr.lines(r))
  end)

  it("follows a threshold override and reports a quiet window", function()
    local dir = lr.repo(rows())
    os.execute("mkdir -p " .. dir .. "/.codex/policies")
    require("helpers.cli").write(dir .. "/.codex/policies/promptlint.lua", "return { extends = true, thresholds = "
      .. "{ heavy_avg_tokens = 5000, drift_delta_tokens = 1000, low_cache_hit_pct = 5 } }\n")
    local r = lr.cx(dir, { "promptlint" })
    assert.is_true(has_line(r, "- No major prompt issues detected in this window."))
    assert.is_false(has_line(r, "- heavy: 10%"))
  end)

  it("says No runs found. on an empty log", function()
    local dir = lr.repo({})
    assert.same({ "== cx promptlint (last 5 runs) ==", "No runs found.",
      "log_file: " .. dir .. "/.codex/cxlogs/runs.jsonl" },
      lr.lines(lr.cx(dir, { "promptlint", "5" })))
  end)
end)

describe("cx prompt-stats", function()
  it("reports filter savings (reference prompt_stats_json_reports_filter_savings)", function()
    local dir = lr.repo({
      { tool = "cxo", prompt_len_raw = 120, prompt_len_filtered = 90, prompt_filter_applied = true },
      { tool = "cxo", prompt_len_raw = 80, prompt_len_filtered = 80, prompt_filter_applied = false } })
    local r = lr.cx(dir, { "prompt-stats", "50", "--json" })
    assert.equal(0, r.code, r.stderr)
    local doc = lr.json(r)
    assert.same({}, contract.check_shape(doc, fixtures.prompt_stats))
    assert.equal(50, doc.window)
    assert.equal(2, doc.rows_with_prompt_lengths)
    assert.equal(1, doc.prompt_filter_applied_runs)
    assert.equal(30, doc.saved_chars_total)
    assert.equal(0.15, doc.saved_pct)
    local t = lr.cx(dir, { "prompt-stats" })
    assert.is_true(has_line(t, "saved_pct: 15%"))
    assert.is_true(has_line(t, "- cxo: saved_chars=30 saved_pct=15% runs=2"))
  end)

  it("counts any JSON row in the window, measures rows with lengths, tool falls back to command", function()
    local dir = lr.repo({ "5", "[]", { command = "cmd", prompt_len_raw = 10, prompt_len_filtered = 4 }, { x = 1 },
      "garbage" })
    local doc = lr.json(lr.cx(dir, { "prompt-stats", "--json" }))
    assert.equal(4, doc.runs)
    assert.equal(1, doc.rows_with_prompt_lengths)
    assert.equal("cmd", doc.by_tool[1].tool)
  end)

  it("prints pretty JSON with a missing log", function()
    local r = lr.cx(lr.repo(nil), { "prompt-stats", "--json" })
    assert.equal(0, r.code)
    assert.matches('^{\n  "by_tool": %[%],\n', r.stdout)
    assert.same({}, contract.check_shape(lr.json(r), fixtures.prompt_stats))
  end)

  it("rejects N=0 and junk with exit 2", function()
    for _, bad in ipairs({ "0", "x" }) do
      local r = lr.cx(lr.repo({}), { "prompt-stats", bad })
      assert.equal(2, r.code)
      assert.matches("^cx prompt%-stats: ", r.stderr)
    end
  end)
end)

describe("cx budget", function()
  it("prints the budget and the last run's clip fields", function()
    local dir = lr.repo({ { tool = "cxo", system_output_len_raw = 500, clipped = true, clip_mode = "head" } })
    local r = lr.cx(dir, { "budget" }, { CX_CONTEXT_BUDGET_CHARS = "900" })
    assert.equal(0, r.code, r.stderr)
    local l = lr.lines(r)
    assert.same({ "== cxbudget ==", "CX_CONTEXT_BUDGET_CHARS=900", "CX_CONTEXT_BUDGET_LINES=300",
      "CX_CONTEXT_CLIP_MODE=smart", "CX_CONTEXT_CLIP_FOOTER=1", "log_file: " .. dir .. "/.codex/cxlogs/runs.jsonl", "",
      "Last run clip fields:", "system_output_len_raw: 500" }, { table.unpack(l, 1, 9) })
    assert.is_true(has_line(r, "clipped: true"))
    assert.is_true(has_line(r, "rtk_used: n/a"))
    assert.equal(21, #l)
  end)

  it("stops after log_file without a log", function()
    local r = lr.cx(lr.repo(nil), { "budget" })
    assert.equal(0, r.code)
    assert.equal(6, #lr.lines(r))
  end)
end)
