-- `cx task ...` end to end (reference scheduler.md §2, §6, §7): every subcommand's output,
-- messages and exit codes, the lifecycle and task_graph.sh flows, the cli edge cases, state.json's
-- runtime pointer, recovery, and concurrent adds from many processes.
local h = require "helpers.cli"
local json = require "cx.json"

local dirs = {}

local function repo(tasks)
  local d = h.tmprepo()
  dirs[#dirs + 1] = d
  if tasks then
    os.execute("mkdir -p " .. h.quote(d .. "/.codex"))
    h.write(d .. "/.codex/tasks.json", type(tasks) == "string" and tasks or json.encode(json.array(tasks)))
  end
  return d
end

local function cx(dir, args, extra)
  local env = { HOME = dir, CX_TASK_ID = false, CX_NO_CACHE = false }
  for k, v in pairs(extra or {}) do env[k] = v end
  return h.cx(args, { cwd = dir, env = env })
end

local function ok(dir, args, extra)
  local r = cx(dir, args, extra)
  assert(r.code == 0, table.concat(args, " ") .. " -> " .. r.code .. "\n" .. r.stdout .. r.stderr)
  return r
end

local function tasks_of(dir)
  return assert(json.decode(h.slurp(dir .. "/.codex/tasks.json")))
end

local function state_of(dir)
  return assert(json.decode(h.slurp(dir .. "/.codex/state.json")))
end

local function rec(id, fields)
  local r = { id = id, role = "implementer", objective = "do " .. id, context_ref = "", status = "pending",
    created_at = "2025-01-01T00:00:00Z", updated_at = "2025-01-01T00:00:00Z" }
  for k, v in pairs(fields or {}) do r[k] = v end
  return r
end

teardown(function()
  for _, d in ipairs(dirs) do h.rm(d) end
end)

describe("cx task outside a git repository", function()
  it("fails with the reference's message for every subcommand that reads the store", function()
    local d = h.tmpdir()
    dirs[#dirs + 1] = d
    for _, args in ipairs({ { "task" }, { "task", "add", "x" }, { "task", "show", "task_001" },
      { "task", "claim", "task_001" }, { "task", "run-plan" }, { "task", "fanout", "x" }, { "task", "recover" } }) do
      local r = cx(d, args)
      assert.equal(1, r.code, table.concat(args, " "))
      assert.equal("cx task: not inside a git repository\n", r.stderr)
    end
  end)
end)

describe("the task lifecycle (task_lifecycle_tests)", function()
  it("adds, claims and completes, keeping state.json's current task in step", function()
    local d = repo()
    local id = ok(d, { "task", "add", "Implement", "parser" }).stdout
    assert.equal("task_001\n", id)
    ok(d, { "task", "add", "Review", "--parent", "task_001" })
    local r = ok(d, { "task", "claim", "task_002" })
    assert.equal("task_002: in_progress\n", r.stdout)
    local st = state_of(d)
    assert.equal("task_002", st.runtime.current_task_id)
    assert.equal("task_001", st.runtime.current_task_parent_id)
    -- fail of another task leaves the pointer alone
    assert.equal("task_001: failed\n", ok(d, { "task", "fail", "task_001" }).stdout)
    assert.equal("task_002", state_of(d).runtime.current_task_id)
    r = ok(d, { "task", "complete", "task_002" })
    assert.equal("task_002: complete\n", r.stdout)
    assert.equal(json.null, state_of(d).runtime.current_task_id)
    assert.equal(json.null, state_of(d).runtime.current_task_parent_id)
    local t = tasks_of(d)
    assert.equal("failed", t[1].status)
    assert.equal("complete", t[2].status)
  end)

  it("clears the pointer when CX_TASK_ID names the finished task", function()
    local d = repo({ rec("task_001"), rec("task_002") })
    ok(d, { "task", "claim", "task_001" })
    ok(d, { "task", "complete", "task_002" }, { CX_TASK_ID = "task_002" })
    assert.equal(json.null, state_of(d).runtime.current_task_id)
  end)

  it("allows any transition and says task not found once", function()
    local d = repo({ rec("task_001", { status = "complete" }) })
    assert.equal("task_001: in_progress\n", ok(d, { "task", "claim", "task_001" }).stdout)
    local r = cx(d, { "task", "complete", "task_404" })
    assert.equal(1, r.code)
    assert.equal("cx task: task not found: task_404\n", r.stderr)
    for _, sub in ipairs({ "claim", "complete", "fail" }) do
      r = cx(d, { "task", sub })
      assert.equal(2, r.code)
      assert.equal("Usage: cx task " .. sub .. " <id>\n", r.stderr)
    end
  end)
end)

describe("cx task add", function()
  it("stores every flag", function()
    local d = repo()
    ok(d, { "task", "add", "  Ship", "it  ", "--role", "REVIEWER", "--parent", "task_009", "--context", "ctx",
      "--backend", " Ollama ", "--model", " llama3 ", "--profile", "Quality", "--converge", "judge",
      "--replicas", "3", "--max-concurrency", "2", "--mode", "parallel", "--depends-on", "task_003, task_001,,task_003",
      "--resource", " db ", "--resource-keys", "repo:read,db", "--max-retries", "0", "--timeout-secs", "90" })
    local t = tasks_of(d)[1]
    assert.same({
      id = "task_001", objective = "Ship it", role = "reviewer", parent_id = "task_009", context_ref = "ctx",
      backend = "ollama", model = "llama3", profile = "quality", converge = "judge", replicas = 3,
      max_concurrency = 2, run_mode = "parallel", depends_on = { "task_001", "task_003" },
      resource_keys = { "db", "repo:read" }, max_retries = 0, timeout_secs = 90, status = "pending",
      created_at = t.created_at, updated_at = t.created_at,
    }, t)
    assert.truthy(t.created_at:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"))
  end)

  it("writes the reference's defaults, nulls included", function()
    local d = repo()
    ok(d, { "task", "add", "x", "--model", "  ", "--role", "doc", "--role", "tester" })
    local t = tasks_of(d)[1]
    assert.equal("tester", t.role) -- the last one wins
    assert.equal(json.null, t.model)
    assert.equal(json.null, t.parent_id)
    assert.equal(json.null, t.max_retries)
    assert.equal("auto", t.backend)
    assert.equal("", t.context_ref)
    assert.equal("sequential", t.run_mode)
    assert.equal(1, t.replicas)
  end)

  local USAGE = "Usage: cx task add <objective> [--role <role>] [--parent <id>] [--context <ref>] "
    .. "[--backend <auto|codex|ollama>] [--model <name>] [--profile <fast|balanced|quality|schema_strict>] "
    .. "[--converge <none|first_valid|majority|judge|score>] [--replicas <n>] [--max-concurrency <n>] "
    .. "[--mode <sequential|parallel>] [--depends-on <id1,id2>] [--resource <key>] [--resource-keys <k1,k2>] "
    .. "[--max-retries <n>] [--timeout-secs <n>]\n"

  it("prints the usage line without arguments", function()
    local r = cx(repo(), { "task", "add" })
    assert.equal(2, r.code)
    assert.equal(USAGE, r.stderr)
  end)

  for _, case in ipairs({
    { { "  " }, "objective cannot be empty" },
    { { "--role", "doc" }, "objective cannot be empty" },
    { { "x", "--role" }, "--role requires a value" },
    { { "x", "--role", "boss" }, "invalid role 'boss'" },
    { { "x", "--backend", "gpt" }, "invalid --backend 'gpt'" },
    { { "x", "--profile", "slow" }, "invalid --profile 'slow'" },
    { { "x", "--converge", "vote" }, "invalid --converge 'vote'" },
    { { "x", "--mode", "Parallel" }, "invalid --mode 'Parallel'" },
    { { "x", "--replicas", "x" }, "--replicas must be an integer" },
    { { "x", "--replicas", "0" }, "--replicas must be >= 1" },
    { { "x", "--replicas", "4294967296" }, "--replicas must be an integer" },
    { { "x", "--max-concurrency", "0" }, "--max-concurrency must be >= 1" },
    { { "x", "--max-retries", "-1" }, "--max-retries must be an integer" },
    { { "x", "--timeout-secs", "1.5" }, "--timeout-secs must be an integer" },
    { { "x", "--what", "y" }, "unknown flag '--what'" },
    { { "x", "--role", "doc", "stray" }, "unknown flag 'stray'" },
  }) do
    it("fails with exit 2 on " .. case[2] .. " and writes nothing", function()
      local d = repo()
      local args = { "task", "add" }
      for _, a in ipairs(case[1]) do args[#args + 1] = a end
      local r = cx(d, args)
      assert.equal(2, r.code)
      assert.equal("cx task add: " .. case[2] .. "\n", r.stderr)
      assert.is_nil(io.open(d .. "/.codex/tasks.json"))
    end)
  end

  it("numbers after the largest id, past task_999", function()
    local d = repo({ rec("task_999"), rec("custom") })
    assert.equal("task_1000\n", ok(d, { "task", "add", "x" }).stdout)
  end)

  it("never loses an add from 4 concurrent processes x 10", function()
    local d = repo()
    local env = "HOME=" .. h.quote(d)
    local script = { "cd " .. h.quote(d) }
    for w = 1, 4 do
      script[#script + 1] = "(for i in 1 2 3 4 5 6 7 8 9 10; do env " .. env .. " " .. h.quote(h.bin)
        .. " task add w" .. w .. "-$i >/dev/null || exit 1; done) &"
    end
    script[#script + 1] = "wait"
    assert(os.execute(table.concat(script, "\n")))
    local t = tasks_of(d)
    assert.equal(40, #t)
    local ids, objectives = {}, {}
    for _, r in ipairs(t) do
      assert.is_nil(ids[r.id], r.id)
      ids[r.id] = true
      objectives[r.objective] = true
    end
    for w = 1, 4 do
      for i = 1, 10 do assert.truthy(objectives["w" .. w .. "-" .. i]) end
    end
  end)
end)

describe("cx task list", function()
  it("prints the table in file order, filters by status, and is the default subcommand", function()
    local d = repo()
    assert.equal("No tasks.\n", ok(d, { "task" }).stdout)
    ok(d, { "task", "add", "Implement", "parser" })
    ok(d, { "task", "add", "Review\nit", "--role", "reviewer", "--parent", "task_001" })
    ok(d, { "task", "claim", "task_002" })
    local want = "id | role | status | parent_id | objective\n---|---|---|---|---\n"
      .. "task_001 | implementer | pending | - | Implement parser\n"
      .. "task_002 | reviewer | in_progress | task_001 | Review it\n"
    assert.equal(want, ok(d, { "task", "list" }).stdout)
    assert.equal(want, ok(d, { "task" }).stdout)
    assert.truthy(ok(d, { "task", "list", "--status", "in_progress" }).stdout:find("task_002", 1, true))
    assert.is_nil(ok(d, { "task", "list", "--status", "in_progress" }).stdout:find("\ntask_001 |", 1, true))
    assert.equal("No tasks.\n", ok(d, { "task", "list", "--status", "failed" }).stdout)
  end)

  it("prints the records with --json", function()
    local d = repo()
    ok(d, { "task", "add", "a" })
    ok(d, { "task", "add", "b" })
    local doc = json.decode(ok(d, { "task", "list", "--json", "--status", "pending" }).stdout)
    assert.equal(2, #doc)
    assert.equal("b", doc[2].objective)
    assert.equal(json.null, doc[1].parent_id)
    assert.equal("[]\n", ok(d, { "task", "--json", "--status", "failed" }).stdout)
  end)

  it("rejects a bad status, a missing value and unknown flags (cli edge cases)", function()
    local d = repo()
    local r = cx(d, { "task", "list", "--status", "bogus" })
    assert.equal(2, r.code)
    assert.equal("cx task list: invalid status 'bogus'\n", r.stderr)
    r = cx(d, { "task", "list", "--status" })
    assert.equal(2, r.code)
    assert.equal("Usage: cx task list [--status pending|in_progress|complete|failed] [--json]\n", r.stderr)
    r = cx(d, { "task", "list", "--all" })
    assert.equal(2, r.code)
    assert.equal("cx task list: unknown flag '--all'\n", r.stderr)
  end)

  it("reports a corrupt tasks.json (exit 1) and no command overwrites it", function()
    local corrupt = "[{\"id\": \"task_001\", oops"
    local d = repo(corrupt)
    local r = cx(d, { "task", "list" })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("^cx task list: invalid JSON in " .. d:gsub("%p", "%%%0") .. "/%.codex/tasks%.json: "),
      r.stderr)
    for _, args in ipairs({ { "task", "add", "x" }, { "task", "claim", "task_001" }, { "task", "fanout", "x" },
      { "task", "recover", "--all" }, { "task", "run-plan" }, { "task", "show", "task_001" } }) do
      r = cx(d, args)
      assert.equal(1, r.code, table.concat(args, " "))
      assert.truthy(r.stderr:find("invalid JSON", 1, true), r.stderr)
    end
    assert.equal(corrupt, h.slurp(d .. "/.codex/tasks.json"))
  end)
end)

describe("cx task show", function()
  local function with_attempts()
    return repo({
      rec("task_001", { status = "failed", last_attempt = { class = "timeout", reason = "LLM call timed out after 120s",
        execution_id = "20250101T000000Z_cxo_42_abcd", quarantine_id = "q_1", attempt = 2, max_attempts = 2,
        backend = "codex", run_id = "run-7" } }),
      rec("task_002", { depends_on = { "task_001" }, blocked_by = { id = "task_001", status = "failed",
        run_id = "run-7" }, notes = { { time = "2025-01-02T00:00:00Z", text = "skipped: task_001 failed" } } }),
      rec("task_003", { status = "in_progress", claim = { run_id = "run-8", pid = 99, started_at = "t" } }),
    })
  end

  it("prints the reference's JSON record in field order with --json and in a pipe", function()
    local d = repo()
    ok(d, { "task", "add", "Implement" })
    ok(d, { "task", "add", "Review", "--role", "reviewer", "--parent", "task_001" })
    local text = ok(d, { "task", "show", "task_002", "--json" }).stdout
    assert.equal(text, ok(d, { "task", "show", "task_002" }).stdout) -- stdout is a file here, not a terminal
    local doc = json.decode(text)
    assert.equal("reviewer", doc.role) -- test/task_graph.sh: `task show id2 | jq .role`
    local last = 0
    for _, k in ipairs({ "id", "parent_id", "role", "objective", "context_ref", "backend", "model", "profile",
      "converge", "replicas", "max_concurrency", "run_mode", "depends_on", "resource_keys", "max_retries",
      "timeout_secs", "status", "created_at", "updated_at" }) do
      local at = text:find('"' .. k .. '":', 1, true)
      assert.truthy(at and at > last, k)
      last = at
    end
  end)

  it("says why a task failed and what to run next (P5-06)", function()
    local d = with_attempts()
    local out = ok(d, { "task", "show", "task_001", "--text" }).stdout
    assert.truthy(out:find("== cx task task_001 ==\nstatus: failed\n", 1, true), out)
    assert.truthy(out:find("\nlast_attempt: timeout: LLM call timed out after 120s\n  attempt: 2 of 2\n"
      .. "  backend: codex\n  execution_id: 20250101T000000Z_cxo_42_abcd\n  quarantine_id: q_1\n", 1, true), out)
    assert.truthy(out:find("next:\n  cx quarantine show q_1", 1, true), out)
    assert.truthy(out:find("  cx task run task_001    (run it again)", 1, true), out)
  end)

  it("names the failed dependency of a task that did not run, and its notes", function()
    local d = with_attempts()
    local out = ok(d, { "task", "show", "task_002", "--text" }).stdout
    assert.truthy(out:find("\nblocked_by: did not run: dependency task_001 failed (run run-7)\n", 1, true), out)
    assert.truthy(out:find("\nnotes:\n  - 2025-01-02T00:00:00Z skipped: task_001 failed\n", 1, true), out)
    assert.truthy(out:find("next:\n  cx task show task_001", 1, true), out)
    out = ok(d, { "task", "show", "task_003", "--text" }).stdout
    assert.truthy(out:find("\nclaim: run run-8 (pid 99) since t\n", 1, true), out)
    assert.truthy(out:find("cx task recover", 1, true), out)
    -- the added keys come after the reference's in the JSON form
    local text = ok(d, { "task", "show", "task_001", "--json" }).stdout
    assert.truthy(text:find('"updated_at"', 1, true) < text:find('"last_attempt"', 1, true))
  end)

  it("fails on a missing id or an unknown task", function()
    local d = repo({ rec("task_001") })
    local r = cx(d, { "task", "show" })
    assert.equal(2, r.code)
    assert.equal("Usage: cx task show <id> [--json|--text]\n", r.stderr)
    r = cx(d, { "task", "show", "task_404" })
    assert.equal(1, r.code)
    assert.equal("cx task show: task not found: task_404\n", r.stderr)
  end)
end)

describe("cx task fanout", function()
  it("runs test/task_graph.sh's flow: every printed child is saved", function()
    local d = repo()
    local id1 = ok(d, { "task", "add", "Implement", "parser", "--role", "implementer" }).stdout:gsub("\n", "")
    local id2 = ok(d, { "task", "add", "Review", "parser", "--role", "reviewer", "--parent", id1 }).stdout
    id2 = id2:gsub("\n", "")
    ok(d, { "task", "claim", id1 })
    ok(d, { "task", "complete", id1 })
    assert.equal("reviewer", json.decode(ok(d, { "task", "show", id2 }).stdout).role)
    local r = ok(d, { "task", "fanout", "Ship", "feature" })
    assert.equal("parent: task_003\nid | role | status | context_ref | objective\n---|---|---|---|---\n"
      .. "task_004 | implementer | pending | objective:Ship feature | Implement chunk 1 for: Ship feature\n"
      .. "task_005 | reviewer | pending | objective | reviewer workstream for: Ship feature\n"
      .. "task_006 | tester | pending | objective | tester workstream for: Ship feature\n", r.stdout)
    local t = tasks_of(d)
    assert.equal(6, #t)
    for _, x in ipairs(t) do
      assert.truthy(x.id and x.status and x.role)
    end
    assert.equal("architect", t[3].role)
    assert.equal("task_003", t[6].parent_id)
    -- the next id follows the saved children (no phantom reuse)
    assert.equal("task_007\n", ok(d, { "task", "add", "x" }).stdout)
  end)

  it("makes one child per chunk of a file", function()
    local d = repo()
    local lines = {}
    for i = 1, 40 do lines[i] = string.format("line %02d of the change", i) end
    h.write(d .. "/change.diff", table.concat(lines, "\n") .. "\n")
    local r = ok(d, { "task", "fanout", "--from", "file:change.diff", "Refactor" }, { CX_CONTEXT_BUDGET_CHARS = "300" })
    assert.truthy(r.stdout:find("task_002 | implementer | pending | diff_chunk_1/4 | Implement chunk 1 for: Refactor",
      1, true), r.stdout)
    assert.truthy(r.stdout:find("task_005 | doc | pending | diff_chunk_4/4 | Document chunk 4 outcomes: Refactor",
      1, true), r.stdout)
    assert.equal(5, #tasks_of(d))
  end)

  it("rejects bad arguments without writing", function()
    local d = repo()
    local r = cx(d, { "task", "fanout" })
    assert.equal(2, r.code)
    assert.equal("Usage: cx task fanout <objective>\n", r.stderr)
    r = cx(d, { "task", "fanout", "x", "--from" })
    assert.equal(2, r.code)
    assert.equal("Usage: cx task fanout <objective> [--from staged-diff|worktree|log|file:PATH]\n", r.stderr)
    r = cx(d, { "task", "fanout", "--from", "log", " " })
    assert.equal(2, r.code)
    assert.equal("Usage: cx task fanout <objective>\n", r.stderr)
    r = cx(d, { "task", "fanout", "x", "--from", "stash" })
    assert.equal(2, r.code)
    assert.equal("cx task fanout: unsupported --from source 'stash'\n", r.stderr)
    assert.is_nil(io.open(d .. "/.codex/tasks.json"))
  end)
end)

describe("cx task run-plan", function()
  local function planned()
    return repo({
      rec("task_001"),
      rec("task_002", { run_mode = "parallel", resource_keys = { "repo:read" }, depends_on = { "task_001" } }),
      rec("task_003", { run_mode = "parallel", resource_keys = { "repo:read" }, depends_on = { "task_001" } }),
      rec("task_004", { depends_on = { "task_009" } }),
      rec("task_005", { status = "complete" }),
    })
  end

  it("prints the reference's text and exits 1 when something is blocked", function()
    local r = cx(planned(), { "task", "run-plan" })
    assert.equal(1, r.code)
    assert.equal(table.concat({ "== cx task run-plan ==", "status_filter: pending", "selected: 4", "waves: 2",
      "index | mode | task_ids", "---|---|---", "1 | sequential | task_001", "2 | parallel | task_002,task_003", "",
      "blocked: 1", "id | reason", "---|---", "task_004 | unresolved dependencies: task_009" }, "\n") .. "\n", r.stdout)
  end)

  it("prints the JSON document in the reference's order", function()
    local r = cx(planned(), { "task", "run-plan", "--json" })
    assert.equal(1, r.code)
    local doc = json.decode(r.stdout)
    assert.same({ status_filter = "pending", selected = 4,
      waves = { { index = 1, mode = "sequential", task_ids = { "task_001" } },
        { index = 2, mode = "parallel", task_ids = { "task_002", "task_003" } } },
      blocked = { { id = "task_004", reason = "unresolved dependencies: task_009" } } }, doc)
    local a, b, c, e = r.stdout:find('"status_filter"'), r.stdout:find('"selected"'), r.stdout:find('"waves"'),
      r.stdout:find('"blocked"')
    assert.truthy(a < b and b < c and c < e)
    assert.truthy(r.stdout:find('"index": 1,\n      "mode": "sequential",\n      "task_ids": [', 1, true), r.stdout)
  end)

  it("exits 0 without blocked tasks and says when nothing matched", function()
    local d = repo({ rec("task_001", { status = "complete" }) })
    local r = cx(d, { "task", "run-plan" })
    assert.equal(0, r.code)
    assert.equal("== cx task run-plan ==\nstatus_filter: pending\nselected: 0\nwaves: 0\nNo tasks matched filter.\n",
      r.stdout)
    local doc = json.decode(ok(d, { "task", "run-plan", "--json", "--status", "complete" }).stdout)
    assert.equal(1, doc.selected)
    assert.same({}, doc.blocked)
  end)

  it("names a cycle", function()
    local d = repo({ rec("task_001", { depends_on = { "task_002" } }),
      rec("task_002", { depends_on = { "task_001" } }) })
    local r = cx(d, { "task", "run-plan" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find("No tasks matched filter.\n\nblocked: 2\n", 1, true), r.stdout)
    assert.truthy(r.stdout:find("task_001 | unresolved dependencies: task_002; cycle: task_001 -> task_002 -> task_001",
      1, true), r.stdout)
    local doc = json.decode(cx(d, { "task", "run-plan", "--json" }).stdout)
    assert.same({ "task_002", "task_001", "task_002" }, doc.blocked[2].cycle)
  end)

  it("rejects a bad status, a missing value and unknown flags", function()
    local d = repo()
    local r = cx(d, { "task", "run-plan", "--status", "done" })
    assert.equal(2, r.code)
    assert.equal("cx task run-plan: invalid status 'done'\n", r.stderr)
    r = cx(d, { "task", "run-plan", "--status" })
    assert.equal(2, r.code)
    assert.equal("Usage: cx task run-plan [--status pending|in_progress|complete|failed] [--json]\n", r.stderr)
    r = cx(d, { "task", "run-plan", "--yaml" })
    assert.equal(2, r.code)
    assert.equal("cx task run-plan: unknown flag '--yaml'\n", r.stderr)
  end)
end)

describe("cx task recover", function()
  it("puts a dead run's tasks back to pending with a note", function()
    local d = repo({
      rec("task_001", { status = "in_progress", claim = { run_id = "run-9", pid = 2147483000, run_lock = true,
        started_at = "t" } }),
      rec("task_002", { status = "in_progress" }),
      rec("task_003"),
    })
    local r = ok(d, { "task", "recover" })
    assert.equal(table.concat({ "== cx task recover ==", "recovered: 1",
      "- task_001: recovered: run run-9 (pid 2147483000) ended without finishing it", "kept_in_progress: 1",
      "- task_002: claimed by hand, not by a run (task recover --all resets it)" }, "\n") .. "\n", r.stdout)
    local t = tasks_of(d)
    assert.equal("pending", t[1].status)
    assert.equal(nil, t[1].claim)
    assert.equal("recovered: run run-9 (pid 2147483000) ended without finishing it", t[1].notes[1].text)
    local doc = json.decode(ok(d, { "task", "recover", "--all", "--json" }).stdout)
    assert.equal("task_002", doc.recovered[1].id)
    assert.equal(json.null, doc.recovered[1].run_id)
    assert.same({}, doc.kept)
    assert.equal("pending", tasks_of(d)[2].status)
    assert.same({ recovered = {}, kept = {} }, json.decode(ok(d, { "task", "recover", "--json" }).stdout))
  end)

  it("clears the current-task pointer when it names a recovered task", function()
    local d = repo({ rec("task_001") })
    ok(d, { "task", "claim", "task_001" })
    ok(d, { "task", "recover", "--all" })
    assert.equal(json.null, state_of(d).runtime.current_task_id)
  end)

  it("is refused while a run-all holds the run lock", function()
    local d = repo({ rec("task_001", { status = "in_progress",
      claim = { run_id = "gone", pid = 1, run_lock = true } }) })
    local s = assert(require("cx.tasks.store").open({ root = d }))
    local lock = assert(s:run_lock("run-live"))
    local r = cx(d, { "task", "recover" })
    lock:release()
    assert.equal(1, r.code)
    assert.equal(string.format("cx task recover: another run-all is running in this repository (pid %d, run "
      .. "run-live); its tasks are not stale (stop it, or wait for it to end)\n", require("cx.core").fs.pid()),
      r.stderr)
    assert.equal("in_progress", tasks_of(d)[1].status)
    assert.equal(0, cx(d, { "task", "recover" }).code)
    assert.equal("pending", tasks_of(d)[1].status)
  end)

  it("rejects unknown flags", function()
    local r = cx(repo(), { "task", "recover", "--force" })
    assert.equal(2, r.code)
    assert.equal("cx task recover: unknown flag '--force'\n", r.stderr)
  end)
end)

describe("cx task dispatch and help", function()
  it("prints the task help for cx help task and cx task --help", function()
    local r = ok(repo(), { "help", "task" })
    assert.truthy(r.stdout:find("^cx help task\n\nTask commands:\n  cx task add \"<objective>\" "))
    assert.truthy(r.stdout:find("\n  cx task recover %[%-%-all%] %[%-%-json%] +Put tasks"), r.stdout)
    local width
    for line in r.stdout:gmatch("[^\n]+") do
      local usage_end = line:find("  %u[%l ]") -- the description starts after the padded usage
      if line:sub(1, 9) == "  cx task" and usage_end then
        width = width or usage_end
        assert.equal(width, usage_end, line)
      end
    end
    assert.equal(r.stdout, ok(repo(), { "task", "--help" }).stdout)
  end)

  it("has --help on every subcommand", function()
    for _, sub in ipairs({ "add", "list", "show", "claim", "complete", "fail", "fanout", "run-plan", "run",
      "run-all", "recover" }) do
      local r = cx(repo(), { "task", sub, "--help" })
      assert.equal(0, r.code, sub)
      assert.truthy(r.stdout:find("^Usage: cx task " .. sub:gsub("%-", "%%-")), sub .. ": " .. r.stdout)
    end
  end)

  it("suggests a subcommand for a typo and prints the usage line (exit 2)", function()
    local r = cx(repo(), { "task", "lsit" })
    assert.equal(2, r.code)
    assert.equal("cx task: unknown subcommand 'lsit'; did you mean 'list'?\nUsage: cx task "
      .. "<add|list|show|claim|complete|fail|fanout|run-plan|run|run-all|recover> ...\n", r.stderr)
    r = cx(repo(), { "task", "zzzzzz" })
    assert.equal("cx task: unknown subcommand 'zzzzzz'\nUsage: cx task "
      .. "<add|list|show|claim|complete|fail|fanout|run-plan|run|run-all|recover> ...\n", r.stderr)
  end)

  it("answers through the compatibility name cxtask", function()
    assert.equal("No tasks.\n", ok(repo(), { "cxtask", "list" }).stdout)
  end)

  it("dispatches run and run-all (their behaviour: task_run_spec, task_run_all_spec)", function()
    local r = cx(repo(), { "task", "run", "task_001" })
    assert.equal(1, r.code)
    assert.equal("cx task run: task not found: task_001\n", r.stderr)
    r = cx(repo(), { "task", "run-all", "task_001" })
    assert.equal(2, r.code)
    assert.equal("cx task run-all: unknown flag 'task_001'\n", r.stderr)
  end)
end)
