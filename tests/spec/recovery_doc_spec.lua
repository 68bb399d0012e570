-- docs/recovery.md works as written: for each of its sections (marked `<!-- recovery-spec: NAME -->`)
-- this spec sets the situation up in a scratch repository — a run-all killed with SIGKILL, a backend
-- that is down, strict caps, a quarantined answer, failed tasks with held-back dependents — then runs
-- every ```sh block of the section, in order, with `cx` on PATH; each block must succeed, and the
-- section must end with its tasks complete.
local bg = require "helpers.background"
local h = require "helpers.cli"
local tr = require "helpers.tasks_repo"

local task = tr.task

teardown(tr.cleanup)

-- {name = {blocks...}} in page order, and the names in order.
local function sections(text)
  local out, order, current = {}, {}, nil
  local in_block, lines = false, nil
  for line in (text .. "\n"):gmatch("(.-)\n") do
    local name = line:match("^<!%-%- recovery%-spec: ([%w%-]+) %-%->$")
    if name then
      current = name
      out[name] = {}
      order[#order + 1] = name
    elseif line == "```sh" then
      in_block, lines = true, {}
    elseif line == "```" and in_block then
      in_block = false
      assert(current, "a command block before any recovery-spec marker")
      table.insert(out[current], table.concat(lines, "\n"))
    elseif in_block then
      lines[#lines + 1] = line
    end
  end
  return out, order
end

-- A directory holding `cx` (the binary under test), for PATH.
local bin_dir = h.tmpdir()
os.execute("ln -s " .. h.quote(h.bin) .. " " .. h.quote(bin_dir .. "/cx"))
teardown(function() h.rm(bin_dir) end)

local function run_block(repo, block, env)
  local e = tr.env(repo, env)
  e.PATH = bin_dir .. ":" .. (os.getenv("PATH") or "/usr/bin:/bin")
  return h.run({ "-e", "-c", block }, { cwd = repo, env = e, bin = "/bin/sh" })
end

local function parallel(n, first)
  local out = {}
  for i = 1, n do
    out[i] = task(string.format("task_%03d", (first or 0) + i), { run_mode = "parallel",
      resource_keys = { "repo:read" } })
  end
  return out
end

-- name -> function() returning the repository in that situation, and the env its blocks run with
local SETUP = {
  crash = function()
    local repo = tr.repo(parallel(30))
    local p = bg.start({ "task", "run-all", "--mode", "mixed", "--max-workers", "4" },
      { cwd = repo, env = tr.env(repo, { CX_MOCK_LATENCY_MS = "300" }) })
    assert.truthy(bg.wait_for(function() return h.slurp(repo .. "/.codex/cxlogs/runs.jsonl") ~= "" end))
    p.signal("KILL")
    assert.equal(137, p.wait().code)
    assert.truthy(h.slurp(repo .. "/.codex/tasks.json"):find('"in_progress"', 1, true))
    return repo, {}
  end,
  ["backend-down"] = function()
    local repo = tr.repo({ task("task_001"), task("task_002", { backend = "codex" }),
      task("task_003", { backend = "codex" }) })
    local env = { CX_MOCK_FAIL = "unreachable", CX_MOCK_FAIL_BACKEND = "codex" }
    local r = tr.cx(repo, { "task", "run-all", "--backend-pool", "codex,ollama" }, env)
    assert.equal(1, r.code)
    assert.equal("transport_unreachable", tr.tasks(repo).task_002.last_attempt.class)
    return repo, env -- codex stays down while the page's commands run
  end,
  caps = function()
    local repo = tr.repo(parallel(4))
    local r = tr.cx(repo, { "task", "run-all", "--mode", "mixed", "--max-workers", "4", "--backend-cap", "codex=1" },
      { CX_MOCK_LATENCY_MS = "100" })
    assert.equal(0, r.code)
    local tasks = select(2, tr.tasks(repo))
    for _, t in ipairs(parallel(4, 4)) do tasks[#tasks + 1] = t end
    tr.write_tasks(repo, tasks)
    return repo, {}
  end,
  quarantine = function()
    local repo = tr.repo({ task("task_001", { objective = "next echo hi" }) })
    local r = tr.cx(repo, { "task", "run-all" }, { CX_MOCK_PLAIN_RESPONSE = "not json" })
    assert.equal(1, r.code)
    assert.equal("schema_invalid", tr.tasks(repo).task_001.last_attempt.class)
    return repo, {}
  end,
  rerun = function()
    local repo = tr.repo({ task("task_001"), task("task_002", { depends_on = { "task_001" } }), task("task_003") })
    local r = tr.cx(repo, { "task", "run-all" }, { CX_MOCK_FAIL = "server_error", CX_MOCK_FAIL_TASKS = "task_001" })
    assert.equal(1, r.code)
    local by = tr.tasks(repo)
    assert.equal("failed", by.task_001.status)
    assert.equal("pending", by.task_002.status)
    return repo, {}
  end,
}

describe("docs/recovery.md", function()
  local page = h.slurp(h.root .. "/docs/recovery.md")
  local blocks, order = sections(page)

  it("has the five workflows, each with commands", function()
    assert.same({ "crash", "backend-down", "caps", "quarantine", "rerun" }, order)
    for _, name in ipairs(order) do assert.is_true(#blocks[name] > 0, name) end
  end)

  for _, name in ipairs(order) do
    it("works as written: " .. name, function()
      local repo, env = SETUP[name]()
      for i, block in ipairs(blocks[name]) do
        local r = run_block(repo, block, env)
        assert(r.code == 0, string.format("%s block %d failed (%d):\n%s\n--- stdout\n%s--- stderr\n%s", name, i, r.code,
          block, r.stdout, r.stderr))
      end
      for id, t in pairs(tr.tasks(repo)) do assert.equal("complete", t.status, name .. ": " .. id) end
      tr.assert_log_valid(repo)
    end)
  end
end)
