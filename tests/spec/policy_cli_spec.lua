-- `cx policy list | show | check | test | run` end to end, the working examples under
-- policies/examples/ (each installed into a scratch repository and exercised), and the issue's
-- acceptance: a rule added in .codex/policies/ yields a new finding and action with no change to cx,
-- a threshold override changes a severity.
local h = require "helpers.cli"
local json = require "cx.json"

local EXAMPLES = h.root .. "/policies/examples"
local TESTS = h.root .. "/policies/tests"

local repos = {}

local function repo()
  local d = h.tmprepo()
  repos[#repos + 1] = d
  os.execute("mkdir -p " .. h.quote(d .. "/.codex/policies/tests") .. " " .. h.quote(d .. "/.codex/cxlogs"))
  return d
end

local function cx(dir, args, env)
  local e = { HOME = dir }
  for k, v in pairs(env or {}) do e[k] = v end
  return h.cx(args, { cwd = dir, env = e })
end

local function install(dir, example, name)
  os.execute("cp " .. h.quote(EXAMPLES .. "/" .. example .. "/" .. name .. ".lua") .. " " ..
    h.quote(dir .. "/.codex/policies/" .. name .. ".lua"))
end

local function json_of(r)
  return assert(json.decode(r.stdout), "stdout is not JSON: " .. r.stdout .. r.stderr)
end

local function ids(list)
  local out = {}
  for i, x in ipairs(list) do out[i] = x.id end
  return out
end

teardown(function()
  for _, d in ipairs(repos) do h.rm(d) end
end)

describe("cx policy list and show", function()
  it("lists the shipped policies and marks a repository override", function()
    local dir = repo()
    local r = cx(dir, { "policy", "list", "--json" })
    assert.equal(0, r.code, r.stderr)
    local names = {}
    for _, p in ipairs(json_of(r).policies) do names[p.name] = p.origin end
    assert.same({ alert = "shipped", command_safety = "shipped", optimize = "shipped", promptlint = "shipped",
      scheduler = "shipped", telemetry = "shipped" }, names)
    install(dir, "disable_rules", "scheduler")
    r = cx(dir, { "policy", "list" })
    assert.matches("%- scheduler %(.-/%.codex/policies/scheduler%.lua%) %[repo, overrides shipped%]", r.stdout)
  end)

  it("writes an override with --out, atomically, and will not overwrite it without --force", function()
    local dir = repo()
    local out = dir .. "/.codex/policies/command_safety.lua"
    local r = cx(dir, { "policy", "show", "command_safety", "--out", out })
    assert.equal(0, r.code, r.stderr)
    assert.equal("", r.stdout)
    local text = h.slurp(out)
    assert.matches("^%-%- policy: command_safety\n%-%- source: .-/policies/command_safety%.lua %(shipped%)\n", text)
    assert.truthy(text:find("rule(\"rm_rf\"", 1, true))
    r = cx(dir, { "policy", "show", "command_safety", "--out", out })
    assert.equal(1, r.code)
    assert.equal("cx policy show: refusing to overwrite " .. out .. " (use --force)\n", r.stderr)
    h.write(out, "-- an old override\n")
    assert.equal(0, cx(dir, { "policy", "show", "command_safety", "--shipped", "--out", out, "--force" }).code)
    assert.matches("^%-%- policy: command_safety", h.slurp(out))
    -- the written override is itself a valid policy
    assert.equal(0, cx(dir, { "policy", "check", "command_safety" }).code)
  end)

  it("shows the shipped policy when the override is empty (the shell redirection trap)", function()
    local dir = repo()
    h.write(dir .. "/.codex/policies/command_safety.lua", "")
    local r = cx(dir, { "policy", "show", "command_safety" })
    assert.equal(0, r.code)
    assert.matches("is empty; showing the shipped policy", r.stderr)
    assert.matches("%(shipped%)\n", r.stdout)
  end)
end)

describe("cx policy check", function()
  it("validates every policy, shipped ones included", function()
    local dir = repo()
    local r = cx(dir, { "policy", "check" })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("ok .-/policies/scheduler%.lua %(shipped; 6 rule%(s%), 6 active%)", r.stdout)
    assert.matches("\n6 policies, 0 invalid\n$", r.stdout)
  end)

  it("names the file and line of what is wrong, and exits 1", function()
    local dir = repo()
    h.write(dir .. "/.codex/policies/scheduler.lua",
      "return {\n  extends = true,\n  thresholds = {\n    queue_p95_ms = 'slow',\n  },\n}\n")
    h.write(dir .. "/.codex/policies/optimize.lua",
      "return {\n  extends = true,\n  rules = {\n    { id = 'x' },\n  },\n")
    local r = cx(dir, { "policy", "check", "--json" })
    assert.equal(1, r.code)
    local doc = json_of(r)
    assert.equal(2, doc.invalid)
    local details = {}
    for _, p in ipairs(doc.policies) do
      if not p.ok then details[#details + 1] = p.detail end
    end
    table.sort(details)
    assert.equal(dir .. "/.codex/policies/optimize.lua:6: unexpected symbol near <eof>", details[1])
    assert.equal(dir .. "/.codex/policies/scheduler.lua:4: threshold 'queue_p95_ms' must be a number like the "
      .. "shipped one (got string)", details[2])
    r = cx(dir, { "policy", "check", "scheduler" })
    assert.equal(1, r.code)
    assert.matches("^invalid .-scheduler%.lua:4: threshold", r.stdout)
  end)

  it("still classifies a command with a policy's check(cmd)", function()
    local dir = repo()
    local r = cx(dir, { "policy", "check", "command_safety", "rm", "-rf", "build" })
    assert.equal(1, r.code)
    assert.equal("blocked: rm -rf: recursive forced removal\n", r.stdout)
    assert.equal(0, cx(dir, { "policy", "check", "command_safety", "ls", "-la" }).code)
  end)

  it("reports a check(cmd) that returns nothing as invalid, naming the line, without a traceback", function()
    local dir = repo()
    h.write(dir .. "/.codex/policies/command_safety.lua", "return {\n  check = function(cmd)\n  end,\n}\n")
    local r = cx(dir, { "policy", "check", "command_safety", "ls" })
    assert.equal(1, r.code)
    assert.equal("cx policy check: " .. dir .. "/.codex/policies/command_safety.lua:2: check() returned nothing\n",
      r.stderr)
  end)
end)

describe("cx policy test", function()
  it("runs the shipped fixtures", function()
    local dir = repo()
    local r = cx(dir, { "policy", "test", TESTS })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("\n10 tests, 0 failed\n$", r.stdout)
  end)

  it("runs a repository's own fixtures and fails on a wrong expectation", function()
    local dir = repo()
    h.write(dir .. "/.codex/policies/tests/queue.json", json.encode({
      policy = "scheduler",
      rows = { { queue_ms = 2500, worker_id = "w" }, { queue_ms = 2600, worker_id = "w" },
        { queue_ms = 2700, worker_id = "w" } },
      expect = { findings = { "backend_skew_high" }, severity = "critical" },
    }))
    local r = cx(dir, { "policy", "test" })
    assert.equal(1, r.code)
    assert.matches("FAIL .-queue%.json: findings %[queue_p95_high%], expected %[backend_skew_high%]; "
      .. "severity warning, expected critical\n", r.stdout)
    assert.matches("1 tests, 1 failed\n$", r.stdout)
  end)

  it("fails when there is nothing to test", function()
    local dir = repo()
    local r = cx(dir, { "policy", "test" })
    assert.equal(1, r.code)
    assert.matches("^cx policy test: no policy tests %(%*%.json%) in .-/%.codex/policies/tests\n$", r.stderr)
  end)
end)

describe("cx policy run", function()
  local function log_of(dir, rows)
    local lines = {}
    for i, row in ipairs(rows) do lines[i] = json.encode(row) end
    local path = dir .. "/downloaded.jsonl"
    h.write(path, table.concat(lines, "\n") .. "\n")
    return path
  end

  it("evaluates a policy file over --log and gates with --strict/--severity", function()
    local dir = repo()
    local log = log_of(dir, { { queue_ms = 2500, worker_id = "w", execution_id = "a" },
      { queue_ms = 2600, worker_id = "w", execution_id = "b" },
      { queue_ms = 2700, worker_id = "w", execution_id = "c" } })
    local r = cx(dir, { "policy", "run", "scheduler", "--log", log, "--json" })
    assert.equal(0, r.code, r.stderr)
    local doc = json_of(r)
    assert.equal("policy-run.v1", doc.contract_version)
    assert.equal("warning", doc.severity)
    assert.same({ "queue_p95_high" }, ids(doc.findings))
    assert.same({ { execution_id = "a", line = 1, offset = 0 } }, { doc.findings[1].evidence[1] })
    assert.equal(1, cx(dir, { "policy", "run", "scheduler", "--log", log, "--strict" }).code)
    assert.equal(0, cx(dir, { "policy", "run", "scheduler", "--log", log, "--strict", "--severity", "critical" }).code)
    -- a candidate file, composed with the shipped policy of its name
    install(dir, "tune_thresholds", "scheduler")
    r = cx(dir, { "policy", "run", dir .. "/.codex/policies/scheduler.lua", "--log", log, "--strict" })
    assert.equal(0, r.code, r.stdout)
    assert.matches("\nseverity: ok\n", r.stdout)
  end)

  it("fails --strict on a missing or empty log, naming it", function()
    local dir = repo()
    local r = cx(dir, { "policy", "run", "scheduler", "--log", dir .. "/nope.jsonl", "--strict" })
    assert.equal(1, r.code)
    assert.matches("cx policy run: no run log at " .. dir:gsub("%p", "%%%0") .. "/nope%.jsonl %(%-%-strict%)\n$",
      r.stderr)
    h.write(dir .. "/empty.jsonl", "")
    r = cx(dir, { "policy", "run", "scheduler", "--log", dir .. "/empty.jsonl", "--strict" })
    assert.equal(1, r.code)
    assert.matches("has no rows to judge", r.stderr)
    assert.equal(0, cx(dir, { "policy", "run", "scheduler", "--log", dir .. "/nope.jsonl" }).code)
  end)

  it("reports a broken policy as <file>:<line>: <message> with exit 1", function()
    local dir = repo()
    h.write(dir .. "/cand.lua", "return {\n  rules = {\n    { id = 'x', check = function(input)\n"
      .. "      return input.rows.nothing.here\n    end },\n  },\n}\n")
    local log = log_of(dir, { { tool = "cxo" } })
    local r = cx(dir, { "policy", "run", dir .. "/cand.lua", "--log", log })
    assert.equal(1, r.code)
    assert.equal("cx policy run: " .. dir .. "/cand.lua:4: attempt to index a nil value (field 'nothing')\n", r.stderr)
    r = cx(dir, { "policy", "run", "not a name" })
    assert.equal(2, r.code)
  end)
end)

describe("the examples under policies/examples/", function()
  local function example_dir(name)
    local dir = repo()
    os.execute("cp " .. h.quote(EXAMPLES .. "/" .. name) .. "/*.lua " .. h.quote(dir .. "/.codex/policies/"))
    os.execute("cp " .. h.quote(EXAMPLES .. "/" .. name) .. "/tests/*.json "
      .. h.quote(dir .. "/.codex/policies/tests/") .. " 2>/dev/null")
    return dir
  end

  for _, name in ipairs({ "add_rule", "tune_thresholds", "disable_rules", "replace_rule", "optimize_gate",
    "token_budget", "telemetry_expectations" }) do
    it(name .. " checks clean and passes its fixtures once installed", function()
      local dir = example_dir(name)
      local r = cx(dir, { "policy", "check" })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      r = cx(dir, { "policy", "test" })
      assert.equal(0, r.code, r.stdout .. r.stderr)
      assert.matches("1 tests, 0 failed\n$", r.stdout)
    end)
  end

  it("command_safety blocks what it lists and allows the rest", function()
    local dir = example_dir("command_safety")
    local r = cx(dir, { "policy", "check", "command_safety", "terraform", "destroy", "-auto-approve" })
    assert.equal(1, r.code)
    assert.equal("blocked: terraform destroy tears down infrastructure\n", r.stdout)
    assert.equal(0, cx(dir, { "policy", "check", "command_safety", "terraform", "plan" }).code)
  end)

  it("a rule added in .codex/policies produces a new finding and action in cx diag, with no change to cx", function()
    local dir = example_dir("add_rule")
    h.write(dir .. "/.codex/cxlogs/runs.jsonl", json.encode({ tool = "cxo", worker_id = "w1", queue_ms = 5,
      duration_ms = 70000, execution_id = "slow-1" }) .. "\n")
    local r = cx(dir, { "diag", "--json", "--actions" })
    assert.equal(0, r.code, r.stderr)
    local doc = json_of(r)
    assert.same({ "slow_tasks:1" }, doc.severity_reasons)
    assert.equal("warning", doc.severity)
    assert.same({ "slow_tasks" }, ids(doc.actions))
    assert.same({ execution_id = "slow-1", line = 1, offset = 0 }, doc.findings[1].evidence[1])
    assert.equal(1, cx(dir, { "diag", "--strict" }).code)
  end)

  it("a threshold override changes a severity", function()
    local dir = repo()
    local lines = {}
    for i = 1, 4 do lines[i] = json.encode({ queue_ms = 2500, worker_id = "w" .. i }) end
    h.write(dir .. "/.codex/cxlogs/runs.jsonl", table.concat(lines, "\n") .. "\n")
    assert.equal("warning", json_of(cx(dir, { "scheduler", "--json" })).severity)
    install(dir, "tune_thresholds", "scheduler") -- queue_p95_ms = 10000
    assert.equal("ok", json_of(cx(dir, { "scheduler", "--json" })).severity)
    h.write(dir .. "/.codex/policies/scheduler.lua", "return { extends = true, rules = {\n"
      .. "  { id = 'queue_p95_high', severity = 'critical' } },\n"
      .. "  severity = function(findings) return #findings > 0 and findings[1].severity or 'ok' end }\n")
    local r = cx(dir, { "scheduler", "--json", "--strict", "--severity", "critical" })
    assert.equal("critical", json_of(r).severity)
    assert.equal(1, r.code)
  end)
end)
