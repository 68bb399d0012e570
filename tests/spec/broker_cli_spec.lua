-- `cx broker show|set|benchmark` end to end (reference scheduler.md §5.4, diagnostics.md §1.4,
-- §3.4 and the benchmark scenarios of §7): availability without a shell, the policy in state.json,
-- the broker-benchmark.v1 contract, its strict gate and severity alias, --log.
local h = require "helpers.cli"
local json = require "cx.json"
local contract = require "helpers.contract"
local benchmark = require "cx.tasks.benchmark"
local runlog_rows = require "helpers.runlog_rows"

local fixture = contract.load("broker_benchmark_json_contract.json")
local BIN = h.root .. "/tests/fixtures/bin"

local dirs = {}

local function repo(rows)
  local d = h.tmprepo()
  dirs[#dirs + 1] = d
  if rows then runlog_rows.write(d, rows) end
  return d
end

-- A bin directory with only `sh`-free fakes: PATH holds the fakes (or nothing) and no real CLI.
local function env(extra)
  local e = {
    PATH = "/nonexistent", CX_LLM_BACKEND = false, CX_MODEL = false, CX_OLLAMA_MODEL = false,
    CX_BROKER_POLICY = false, CX_PROVIDER_ADAPTER = false, CX_DISABLE_CODEX = false, CX_DISABLE_OLLAMA = false,
    CX_CODEX_BIN = false, CX_OLLAMA_BIN = false,
  }
  for k, v in pairs(extra or {}) do e[k] = v end
  return e
end

local function cx(dir, args, extra)
  local e = env(extra)
  e.HOME = dir
  return h.cx(args, { cwd = dir, env = e })
end

local function json_of(r)
  local doc, err = json.decode(r.stdout)
  assert(doc, "stdout is not JSON: " .. tostring(err) .. "\n" .. r.stdout .. r.stderr)
  return doc
end

-- The rows of the reference's test 19: codex 1000/3000 ms, ollama 2000 ms.
local ROWS = {
  { backend_used = "codex", duration_ms = 1000, effective_input_tokens = 100, output_tokens = 20 },
  { backend_used = "codex", duration_ms = 3000, effective_input_tokens = 300, output_tokens = 60 },
  { backend_selected = "ollama", backend_used = "codex", duration_ms = 2000, effective_input_tokens = 50,
    output_tokens = 10 },
}

teardown(function()
  for _, d in ipairs(dirs) do h.rm(d) end
end)

describe("cx broker show", function()
  it("prints the policy, backend, model and availability (text and JSON)", function()
    local d = repo()
    local r = cx(d, { "broker" })
    assert.equal(0, r.code)
    assert.equal(table.concat({ "== cx broker ==", "policy: balanced", "active_backend: codex",
      "active_model: <unset>", "availability.codex: no", "availability.ollama: no" }, "\n") .. "\n", r.stdout)
    r = cx(d, { "broker", "show", "--json" }, { CX_LLM_BACKEND = "ollama", CX_OLLAMA_MODEL = "llama3" })
    assert.equal(0, r.code)
    assert.same({ active_backend = "ollama", active_model = "llama3", broker_policy = "balanced",
      availability = { codex = false, ollama = false } }, json_of(r))
    assert.equal(json.null, json_of(cx(d, { "broker", "--json" })).active_model)
  end)

  it("finds the CLIs on PATH without a shell, and honours CX_DISABLE_*", function()
    local d = repo()
    local doc = json_of(cx(d, { "broker", "show", "--json" }, { PATH = BIN }))
    assert.same({ codex = true, ollama = true }, doc.availability)
    doc = json_of(cx(d, { "broker", "show", "--json" }, { PATH = BIN, CX_DISABLE_OLLAMA = "TRUE" }))
    assert.same({ codex = true, ollama = false }, doc.availability)
    doc = json_of(cx(d, { "broker", "show", "--json" }, { PATH = BIN, CX_DISABLE_CODEX = "1" }))
    assert.same({ codex = false, ollama = true }, doc.availability)
    doc = json_of(cx(d, { "broker", "show", "--json" }, { CX_CODEX_BIN = BIN .. "/codex" }))
    assert.same({ codex = true, ollama = false }, doc.availability)
  end)

  it("counts every backend available with an in-process adapter (mock, http)", function()
    local d = repo()
    for _, a in ipairs({ "mock", "http" }) do
      local doc = json_of(cx(d, { "broker", "show", "--json" }, { CX_PROVIDER_ADAPTER = a }))
      assert.same({ codex = true, ollama = true }, doc.availability)
    end
    local doc = json_of(cx(d, { "broker", "show", "--json" }, { CX_PROVIDER_ADAPTER = "mock", CX_DISABLE_CODEX = "1" }))
    assert.same({ codex = false, ollama = true }, doc.availability)
  end)

  it("rejects an unknown flag", function()
    local r = cx(repo(), { "broker", "show", "--jsn" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("cx broker show: unknown flag '--jsn'", 1, true), r.stderr)
  end)
end)

describe("cx broker set", function()
  it("stores quota_saver and show reads it back (cli edge case)", function()
    local d = repo()
    local r = cx(d, { "broker", "set", "--policy", " Quota_Saver " })
    assert.equal(0, r.code)
    assert.equal("broker_policy: quota_saver\n", r.stdout)
    assert.equal("quota_saver", json_of(cx(d, { "broker", "show", "--json" })).broker_policy)
    local st = json.decode(h.slurp(d .. "/.codex/state.json"))
    assert.equal("quota_saver", st.preferences.broker_policy)
    assert.equal(json.null, st.runtime.current_task_id) -- created from the default document
    -- the environment still wins
    local doc = json_of(cx(d, { "broker", "show", "--json" }, { CX_BROKER_POLICY = "quality" }))
    assert.equal("quality", doc.broker_policy)
  end)

  for _, case in ipairs({
    { {}, "missing --policy" },
    { { "--policy" }, "--policy requires a value" },
    { { "--policy", "fastest" }, "invalid policy 'fastest'" },
    { { "--mode", "x" }, "unknown flag '--mode'" },
  }) do
    it("fails with exit 2 on " .. case[2], function()
      local args = { "broker", "set" }
      for _, a in ipairs(case[1]) do args[#args + 1] = a end
      local r = cx(repo(), args)
      assert.equal(2, r.code)
      assert.equal("cx broker set: " .. case[2] .. "\nUsage: cx broker set --policy "
        .. "latency|quality|cost|balanced|quota_saver\n", r.stderr)
      assert.equal("", r.stdout)
    end)
  end
end)

describe("cx broker benchmark", function()
  it("reports per-backend averages and p95 (reference test 19)", function()
    local d = repo(ROWS)
    local r = cx(d, { "broker", "benchmark", "--json", "--window", "10" })
    assert.equal(0, r.code, r.stderr)
    local doc = json_of(r)
    assert.equal(10, doc.window)
    assert.equal(2, #doc.summary)
    assert.same({ backend = "codex", runs = 2, avg_duration_ms = 2000, p95_duration_ms = 1000,
      avg_effective_input_tokens = 200, avg_output_tokens = 40 }, doc.summary[1])
    assert.same({ backend = "ollama", runs = 1, avg_duration_ms = 2000, p95_duration_ms = 2000,
      avg_effective_input_tokens = 50, avg_output_tokens = 10 }, doc.summary[2])
    assert.equal(d .. "/.codex/cxlogs/runs.jsonl", doc.log_file)
  end)

  it("matches the broker-benchmark.v1 contract with the non-strict defaults (test 20)", function()
    local doc = json_of(cx(repo(ROWS), { "broker", "benchmark", "--json" }))
    assert.same({}, contract.check_broker_benchmark(doc, fixture))
    assert.is_false(doc.strict)
    assert.equal(1, doc.min_runs)
    assert.equal("critical", doc.severity)
    assert.same({}, doc.violations)
    assert.same({ warn = 0, critical = 0 }, doc.violation_counts)
    assert.equal(200, doc.window)
  end)

  it("fails the strict gate when a backend has no runs (test 21)", function()
    local d = repo({ ROWS[1] })
    local r = cx(d, { "broker", "benchmark", "--json", "--strict" })
    assert.equal(1, r.code)
    local doc = json_of(r)
    assert.same({}, contract.check_broker_benchmark(doc, fixture))
    assert.is_true(doc.strict)
    assert.equal(1, #doc.violations)
    assert.equal("ollama", doc.violations[1].backend)
    assert.equal("critical", doc.violations[1].severity)
    assert.equal("ollama: runs=0 below min_runs=1", doc.violations[1].message)
    -- text mode: nothing on stdout, the failure on stderr
    r = cx(d, { "broker", "benchmark", "--strict" })
    assert.equal(1, r.code)
    assert.equal("", r.stdout)
    assert.equal("cx broker benchmark: strict check failed (min_runs=1, severity=critical)\n"
      .. "  - [critical] ollama: runs=0 below min_runs=1\n", r.stderr)
  end)

  it("passes warn-only violations at the critical floor and fails them at warn (tests 22, 23)", function()
    local d = repo({ ROWS[1], ROWS[3] })
    local r = cx(d, { "broker", "benchmark", "--json", "--strict", "--min-runs", "2", "--severity", "critical" })
    assert.equal(0, r.code)
    local doc = json_of(r)
    -- the warnings are reported on a pass too (the reference emptied the list; docs/compat.md)
    assert.equal(2, #doc.violations)
    assert.same({ warn = 2, critical = 0 }, doc.violation_counts)
    r = cx(d, { "broker", "benchmark", "--json", "--strict", "--min-runs", "2", "--severity", "warn" })
    assert.equal(1, r.code)
    doc = json_of(r)
    assert.equal("warn", doc.severity)
    assert.same({ warn = 2, critical = 0 }, doc.violation_counts)
    r = cx(d, { "broker", "benchmark", "--strict", "--min-runs", "2" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("\nstrict: pass (min_runs=2, severity=critical)\n  - [warn] codex: runs=1 below "
      .. "min_runs=2\n", 1, true), r.stdout)
  end)

  it("accepts the warning alias on an empty log (test 24)", function()
    local r = cx(repo({}), { "broker", "benchmark", "--severity", "warning", "--json" })
    assert.equal(0, r.code, r.stderr)
    assert.equal("warn", json_of(r).severity)
  end)

  it("fails on a missing log, and reads --log PATH instead of the repository's log", function()
    local d = repo()
    local r = cx(d, { "broker", "benchmark" })
    assert.equal(1, r.code)
    assert.equal("cx broker benchmark: cannot open " .. d .. "/.codex/cxlogs/runs.jsonl: No such file or directory\n",
      r.stderr)
    local other = repo(ROWS)
    r = cx(d, { "broker", "benchmark", "--json", "--log", other .. "/.codex/cxlogs/runs.jsonl" })
    assert.equal(0, r.code, r.stderr)
    local doc = json_of(r)
    assert.equal(other .. "/.codex/cxlogs/runs.jsonl", doc.log_file)
    assert.equal(2, doc.summary[1].runs)
    -- an empty log under --strict fails, naming the file
    r = cx(repo({}), { "broker", "benchmark", "--strict" })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("no rows in .*runs%.jsonl"), r.stderr)
  end)

  it("prints the text report in the reference's layout", function()
    local d = repo(ROWS)
    local r = cx(d, { "broker", "benchmark", "--backend", "ollama", "--window", "5" })
    assert.equal(0, r.code)
    assert.equal(table.concat({ "== cx broker benchmark ==", "window: 5",
      "log_file: " .. d .. "/.codex/cxlogs/runs.jsonl",
      "", "backend: ollama", "  runs: 1", "  avg_duration_ms: 2000", "  p95_duration_ms: 2000",
      "  avg_effective_input_tokens: 50", "  avg_output_tokens: 10" }, "\n") .. "\n", r.stdout)
  end)

  it("keeps the order of --backend and drops repeats", function()
    local doc = json_of(cx(repo(ROWS), { "broker", "benchmark", "--json", "--backend", "ollama", "--backend", " CODEX ",
      "--backend", "ollama" }))
    assert.equal(2, #doc.summary)
    assert.equal("ollama", doc.summary[1].backend)
    assert.equal("codex", doc.summary[2].backend)
  end)

  local USAGE = "Usage: cx broker benchmark [--backend codex|ollama]... [--window N] [--json] [--strict] "
    .. "[--min-runs N] [--severity warn|warning|critical] [--log PATH]\n"
  for _, case in ipairs({
    { { "--backend" }, "--backend requires a value" },
    { { "--backend", "gpt" }, "invalid backend 'gpt'" },
    { { "--window" }, "--window requires a value" },
    { { "--window", "ten" }, "--window expects a positive integer, got 'ten'" },
    { { "--window", "0" }, "--window must be >= 1" },
    { { "--min-runs", "-1" }, "--min-runs expects a positive integer, got '-1'" },
    { { "--min-runs", "0" }, "--min-runs must be >= 1" },
    { { "--severity" }, "--severity requires a value" },
    { { "--severity", "high" }, "--severity expects warn|warning|critical, got 'high'" },
    { { "--log" }, "--log requires a value" },
    { { "--fast" }, "unknown flag '--fast'" },
  }) do
    it("fails with exit 2 on " .. case[2], function()
      local args = { "broker", "benchmark" }
      for _, a in ipairs(case[1]) do args[#args + 1] = a end
      local r = cx(repo(ROWS), args)
      assert.equal(2, r.code)
      assert.equal("cx broker benchmark: " .. case[2] .. "\n" .. USAGE, r.stderr)
    end)
  end

  it("skips rows that are not objects and falls back to backend_used when backend_selected is blank", function()
    local rows = { "5", "[]", "not json", { backend_selected = "  ", backend_used = "Ollama", duration_ms = 7 },
      { backend_used = "codex", duration_ms = -5, output_tokens = 1.5 } }
    local doc = json_of(cx(repo(rows), { "broker", "benchmark", "--json" }))
    assert.equal(1, doc.summary[2].runs)
    assert.equal(7, doc.summary[2].avg_duration_ms)
    assert.same({ backend = "codex", runs = 1, avg_duration_ms = 0, p95_duration_ms = 0,
      avg_effective_input_tokens = 0, avg_output_tokens = 0 }, doc.summary[1])
  end)
end)

describe("the benchmark statistics", function()
  it("take the p95 at floor((n-1)*95/100) and floor the means without overflow", function()
    local rows = {}
    for i = 1, 22 do rows[i] = { backend_used = "codex", duration_ms = i * 10 } end
    local s = benchmark.summarize(rows, { "codex" })[1]
    assert.equal(200, s.p95_duration_ms) -- index 19 of 0..21
    assert.equal(115, s.avg_duration_ms)
    local big = math.maxinteger - 1
    local function rows_of(...)
      local out = {}
      for i, v in ipairs({ ... }) do out[i] = { backend_used = "codex", duration_ms = v } end
      return out
    end
    s = benchmark.summarize(rows_of(big, big), { "codex" })[1]
    assert.equal(big, s.avg_duration_ms)
    s = benchmark.summarize(rows_of(3, 4), { "codex" })[1]
    assert.equal(3, s.avg_duration_ms)
    assert.equal(3, s.p95_duration_ms) -- n=2: the min, as in the reference
  end)
end)

describe("unknown broker subcommands", function()
  it("fail with exit 2, a suggestion and the usage line", function()
    local r = cx(repo(), { "broker", "bench" })
    assert.equal(2, r.code)
    assert.equal("cx broker: unknown subcommand 'bench'; did you mean 'benchmark'?\n"
      .. "Usage: cx broker <show|set|benchmark> ...\n", r.stderr)
  end)

  it("have --help", function()
    local r = cx(repo(), { "broker", "--help" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("Usage: cx broker", 1, true))
    assert.equal(r.stdout, cx(repo(), { "help", "broker" }).stdout)
    assert.equal(0, cx(repo(), { "broker", "benchmark", "--help" }).code)
  end)
end)
