-- docs/ci.md: the cx commands of its sample workflow, run as the runner runs them (a shell, cx on
-- the PATH) against fixture logs: a clean log passes every gate; logs with anomalies fail the gates
-- that judge them, with annotations; a missing log fails.
local h = require "helpers.cli"

-- The `cx ...` lines of the workflow's run: steps, in order.
local function workflow_commands()
  local doc = h.slurp(h.root .. "/docs/ci.md")
  local yaml = assert(doc:match("```yaml\n(.-)```"), "docs/ci.md has a yaml block")
  local out, block_indent = {}, nil
  for line in yaml:gmatch("([^\n]*)\n") do
    local indent = #line:match("^ *")
    local run = line:match("^%s*run:%s*(.*)$")
    if run then
      if run == "|" then block_indent = indent else out[#out + 1] = run end
    elseif block_indent and indent > block_indent and line:match("%S") then
      out[#out + 1] = line:gsub("^%s+", "")
    else
      block_indent = nil
    end
  end
  local cmds = {}
  for _, c in ipairs(out) do
    if c:match("^cx ") then cmds[#cmds + 1] = c end
  end
  return cmds
end

local function job(log_fixture)
  local dir = h.tmprepo()
  os.execute("mkdir -p " .. h.quote(dir .. "/logs") .. " " .. h.quote(dir .. "/.codex/policies/tests"))
  if log_fixture then
    os.execute("cp " .. h.quote(h.root .. "/policies/tests/" .. log_fixture) .. " " ..
      h.quote(dir .. "/logs/runs.jsonl"))
  end
  -- the repository's own policy and fixture, as `cx policy check` / `cx policy test` expect
  os.execute("cp " .. h.quote(h.root .. "/policies/examples/disable_rules/scheduler.lua") .. " " ..
    h.quote(dir .. "/.codex/policies/"))
  os.execute("cp " .. h.quote(h.root .. "/policies/examples/disable_rules/tests/one_worker.json") .. " " ..
    h.quote(dir .. "/.codex/policies/tests/"))
  return dir
end

local function run_step(dir, cmd)
  local bindir = (os.getenv("CX_TEST_BIN") or (h.root .. "/bin/cx")):match("^(.*)/[^/]*$")
  return h.run({ "-c", cmd }, { bin = "sh", cwd = dir, env = { PATH = bindir .. ":" .. os.getenv("PATH"),
    HOME = dir } })
end

describe("the sample workflow in docs/ci.md", function()
  local cmds = workflow_commands()

  it("has the gates", function()
    assert.same({ "cx policy check", "cx policy test",
      "cx scheduler --log logs/runs.jsonl --strict --severity critical --format github",
      "cx optimize 200 --log logs/runs.jsonl --actions --strict --format github",
      "cx diag --log logs/runs.jsonl --actions --format junit > cx-diag.xml" }, cmds)
  end)

  it("passes every step on a clean log", function()
    local dir = job("single_backend_session.jsonl")
    for _, cmd in ipairs(cmds) do
      local r = run_step(dir, cmd)
      assert.equal(0, r.code, cmd .. "\n" .. r.stdout .. r.stderr)
    end
    assert.matches('^<%?xml version="1%.0"', h.slurp(dir .. "/cx-diag.xml"))
    h.rm(dir)
  end)

  it("fails the scheduler gate on a retry storm, with annotations", function()
    local dir = job("retry_storm.jsonl")
    local r = run_step(dir, cmds[3])
    assert.equal(1, r.code)
    assert.matches("^::warning file=logs/runs%.jsonl,line=7,title=cx scheduler%%3A retry_recovery_low::", r.stdout)
    assert.matches("\n::error title=cx scheduler::gate failed: severity critical reaches the %-%-severity critical "
      .. "floor\n$", r.stdout)
    assert.equal(0, run_step(dir, cmds[5]).code)
    assert.matches('<failure type="warning"', h.slurp(dir .. "/cx-diag.xml"))
    h.rm(dir)
  end)

  it("fails the optimize gate on timeouts", function()
    local dir = job("timeouts.jsonl")
    local r = run_step(dir, cmds[4])
    assert.equal(1, r.code)
    assert.matches("::warning file=logs/runs%.jsonl,line=3,title=cx optimize%%3A timeout_frequency::", r.stdout)
    h.rm(dir)
  end)

  it("fails the gates when the log is missing", function()
    local dir = job(nil)
    for i = 3, 4 do
      local r = run_step(dir, cmds[i])
      assert.equal(1, r.code)
      assert.matches("::error title=cx %a+::no run log at .-logs/runs%.jsonl", r.stdout)
      assert.matches("no run log at .-logs/runs%.jsonl %(%-%-strict%)", r.stderr)
    end
    h.rm(dir)
  end)
end)
