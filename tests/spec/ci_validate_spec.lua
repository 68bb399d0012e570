-- `cx ci validate`: schemas, policy overrides, the run-log contract, budgets, --strict, --json
-- (contract), exit codes; no network.
local h = require "helpers.cli"
local lr = require "helpers.log_repo"
local contract = require "helpers.contract"
local runlog = require "cx.runlog"

local fixture = contract.load("ci_validate_json_contract.json")

teardown(lr.cleanup)

local function good_log(dir)
  os.execute("mkdir -p " .. dir .. "/.codex/cxlogs")
  assert(runlog.append(runlog.row("cxo", { duration_ms = 1 }), dir .. "/.codex/cxlogs/runs.jsonl"))
end

describe("cx ci validate", function()
  it("passes a repository with a clean log and builtin schemas", function()
    local dir = lr.repo(nil)
    good_log(dir)
    local r = lr.cx(dir, { "ci", "validate" })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.same({ "== cx ci validate ==", "repo_root: " .. dir, "schema_dir: " .. dir .. "/.codex/schemas",
      "log_file: " .. dir .. "/.codex/cxlogs/runs.jsonl", "budget: chars=12000 lines=300 mode=smart", "warnings: 0",
      "status: ok" }, lr.lines(r))
    assert.equal(0, lr.cx(dir, { "ci", "--strict" }).code)
  end)

  it("warns about a missing log, and fails --strict on it (PLAN §9)", function()
    local dir = lr.repo(nil)
    local r = lr.cx(dir, { "ci", "validate" })
    assert.equal(0, r.code)
    assert.is_true(r.stdout:find("\n- no log file at " .. dir .. "/.codex/cxlogs/runs.jsonl\n", 1, true) ~= nil)
    local s = lr.cx(dir, { "ci", "validate", "--strict", "--json" })
    assert.equal(1, s.code)
    local doc = lr.json(s)
    assert.same({}, contract.check_shape(doc, fixture))
    assert.same({ "no log file at " .. dir .. "/.codex/cxlogs/runs.jsonl" }, doc.errors)
    assert.is_false(doc.ok)
    assert.is_true(doc.strict)
    assert.is_false(doc.legacy_ok)
    local empty = lr.repo({})
    assert.equal(1, lr.cx(empty, { "ci", "validate", "--strict" }).code)
  end)

  it("treats contract issues as warnings in legacy mode and errors under --strict", function()
    local dir = lr.repo({ { ts = "2026-01-01T00:00:00Z", tool = "cxo", repo_root = "/r" }, { execution_id = "e" } })
    local r = lr.cx(dir, { "ci", "validate", "--json" })
    assert.equal(0, r.code)
    local doc = lr.json(r)
    assert.is_true(#doc.warnings > 0)
    assert.same({}, doc.errors)
    local s = lr.cx(dir, { "ci", "validate", "--strict" })
    assert.equal(1, s.code)
    assert.is_true(s.stdout:find("\nstatus: fail\n", 1, true) ~= nil)
    assert.matches("\nerrors: %d+\n", s.stdout)
    assert.matches("\n%- %.%.%. and %d+ more\n", s.stdout)
    -- invalid JSON is an error even in legacy mode
    local bad = lr.repo({ "{not json" })
    assert.equal(1, lr.cx(bad, { "ci", "validate" }).code)
    assert.equal(0, lr.cx(dir, { "ci", "validate", "--strict", "--legacy-ok" }).code)
  end)

  it("checks repository schemas and policy overrides", function()
    local dir = lr.repo(nil)
    good_log(dir)
    os.execute("mkdir -p " .. dir .. "/.codex/schemas " .. dir .. "/.codex/policies")
    h.write(dir .. "/.codex/schemas/next.schema.json", "{not json")
    h.write(dir .. "/.codex/schemas/diffsum.schema.json", '{"type":"object","format":"x"}')
    h.write(dir .. "/.codex/policies/alert.lua", "return {")
    local doc = lr.json(lr.cx(dir, { "ci", "validate", "--json" }))
    assert.is_false(doc.ok)
    local text = table.concat(doc.errors, "\n")
    assert.truthy(text:find("schema unreadable/invalid json: " .. dir .. "/.codex/schemas/next.schema.json", 1, true))
    assert.truthy(text:find("schema failed to compile (" .. dir .. "/.codex/schemas/diffsum.schema.json): ", 1, true))
    assert.truthy(text:find("policy failed to load: " .. dir .. "/.codex/policies/alert.lua:", 1, true))
    -- a rule policy that loads but has the wrong shape is caught too, naming the file and line
    h.write(dir .. "/.codex/policies/alert.lua", "return {\n  extends = true,\n  thresholds = { max_ms = 'x' },\n}\n")
    doc = lr.json(lr.cx(dir, { "ci", "validate", "--json" }))
    text = table.concat(doc.errors, "\n")
    assert.truthy(text:find("policy invalid: " .. dir .. "/.codex/policies/alert.lua:3: threshold 'max_ms' must be "
      .. "a number like the shipped one (got string)", 1, true), text)
  end)

  it("checks the budget and, with --strict, the quarantine path", function()
    local dir = lr.repo(nil)
    good_log(dir)
    local doc = lr.json(lr.cx(dir, { "ci", "validate", "--json" },
      { CX_CONTEXT_BUDGET_CHARS = "0", CX_CONTEXT_CLIP_MODE = "middle" }))
    assert.same({ "budget_chars must be > 0" }, doc.errors)
    assert.same({ "clip_mode 'middle' not recognized; expected smart|head|tail" }, doc.warnings)
    h.write(dir .. "/.codex/quarantine", "a file")
    assert.equal(0, lr.cx(dir, { "ci", "validate" }).code)
    local s = lr.json(lr.cx(dir, { "ci", "validate", "--strict", "--json" }))
    assert.same({ "quarantine path exists but is not a dir: " .. dir .. "/.codex/quarantine" }, s.errors)
  end)

  it("validates another log with --log", function()
    local dir = lr.repo(nil)
    lr.write_log(dir .. "/elsewhere.jsonl", { "{broken" })
    local doc = lr.json(lr.cx(dir, { "ci", "validate", "--json", "--log", dir .. "/elsewhere.jsonl" }))
    assert.equal(dir .. "/elsewhere.jsonl", doc.log_file)
    assert.is_false(doc.ok)
  end)

  it("exits 2 outside a repository and on usage errors", function()
    local cwd = h.tmpdir()
    lr.dirs[#lr.dirs + 1] = cwd
    local r = h.cx({ "ci", "validate" }, { cwd = cwd, env = { HOME = cwd } })
    assert.equal(2, r.code)
    assert.equal("cx ci validate: not inside a git repository\n", r.stderr)
    local dir = lr.repo(nil)
    local u = lr.cx(dir, { "ci", "valdate" })
    assert.equal(2, u.code)
    assert.matches("^cx ci: unknown subcommand 'valdate' %(did you mean 'validate'%?%)", u.stderr)
    assert.matches("^cx ci: unknown argument '%-%-stirct'", lr.cx(dir, { "ci", "validate", "--stirct" }).stderr)
  end)
end)
