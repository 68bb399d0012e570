-- The dependency planner (cx.tasks.plan, reference scheduler.md §3.2): the reference's unit
-- examples, effective dependencies and resource keys, the lock conflict rule, blocked reasons and
-- cycles; plus fanout's chunking and records, and the did-you-mean helper.
local plan = require "cx.tasks.plan"
local record = require "cx.tasks.record"
local fanout = require "cx.tasks.fanout"
local suggest = require "cx.suggest"

local function task(id, fields)
  local f = fields or {}
  f.objective = f.objective or id
  return record.new(id, f)
end

local function wave_ids(p)
  local out = {}
  for i, w in ipairs(p.waves) do
    assert.equal(i, w.index)
    out[i] = w.mode .. ":" .. table.concat(w.task_ids, ",")
  end
  return out
end

describe("the planner", function()
  it("orders a dependency before its dependents (reference example 1)", function()
    local p = plan.build({
      task("A", { resource_keys = { "repo:write" } }),
      task("B", { run_mode = "parallel", resource_keys = { "repo:read" }, depends_on = { "A" } }),
      task("C", { run_mode = "parallel", resource_keys = { "repo:read" }, depends_on = { "A" } }),
    }, "pending")
    assert.same({ "sequential:A", "parallel:B,C" }, wave_ids(p))
    assert.equal(3, p.selected)
    assert.same({}, p.blocked)
  end)

  it("splits conflicting locks into waves: write, write, read on one domain (example 2)", function()
    local p = plan.build({
      task("A", { run_mode = "parallel", resource_keys = { "repo:write" } }),
      task("B", { run_mode = "parallel", resource_keys = { "repo:write" } }),
      task("C", { run_mode = "parallel", resource_keys = { "repo:read" } }),
    }, "pending")
    assert.same({ "parallel:A", "parallel:B", "parallel:C" }, wave_ids(p))
  end)

  it("blocks both members of a cycle and names the cycle (example 3)", function()
    local p = plan.build({
      task("A", { depends_on = { "B" } }),
      task("B", { depends_on = { "A" } }),
    }, "pending")
    assert.same({}, p.waves)
    assert.equal(2, #p.blocked)
    assert.equal("A", p.blocked[1].id)
    assert.equal("unresolved dependencies: B; cycle: A -> B -> A", p.blocked[1].reason)
    assert.equal("unresolved dependencies: A; cycle: B -> A -> B", p.blocked[2].reason)
    assert.same({ "A", "B", "A" }, p.blocked[1].cycle)
  end)

  it("reports a self-dependency as a cycle and a task waiting on a cycle without one", function()
    local p = plan.build({
      task("task_001", { depends_on = { "task_001" } }),
      task("task_002", { depends_on = { "task_001" } }),
      task("task_003", { depends_on = { "task_004" } }),
      task("task_004", { depends_on = { "task_005" } }),
      task("task_005", { depends_on = { "task_003" } }),
    }, "pending")
    local reasons = {}
    for _, b in ipairs(p.blocked) do reasons[b.id] = b.reason end
    assert.equal("unresolved dependencies: task_001; cycle: task_001 -> task_001", reasons.task_001)
    assert.equal("unresolved dependencies: task_001", reasons.task_002)
    assert.equal("unresolved dependencies: task_004; cycle: task_003 -> task_004 -> task_005 -> task_003",
      reasons.task_003)
  end)

  it("blocks unknown, failed and in-progress dependencies with the reference's wording", function()
    local p = plan.build({
      task("task_001", { status = "failed" }),
      task("task_002", { depends_on = { "task_001", "task_009" } }),
      task("task_003", { depends_on = { "task_002" } }),
      task("task_004"),
    }, "pending")
    assert.same({ "sequential:task_004" }, wave_ids(p))
    assert.equal(3, p.selected)
    assert.equal("task_002", p.blocked[1].id)
    assert.equal("unresolved dependencies: task_001, task_009", p.blocked[1].reason)
    assert.equal("unresolved dependencies: task_002", p.blocked[2].reason)
    assert.is_nil(p.blocked[1].cycle)
  end)

  it("counts complete tasks as met and uses parent_id when depends_on is empty", function()
    local p = plan.build({
      task("task_001", { status = "complete" }),
      task("task_002", { parent_id = "task_001" }),
      task("task_003", { parent_id = "task_002" }),
      task("task_004", { parent_id = "task_404", depends_on = { "task_001" } }),
    }, "pending")
    assert.same({ "sequential:task_002", "sequential:task_004", "sequential:task_003" }, wave_ids(p))
  end)

  it("selects by status and puts a round's sequential waves before its parallel wave", function()
    local p = plan.build({
      task("task_003", { run_mode = "parallel", resource_keys = { "docs:read" } }),
      task("task_001", { run_mode = "parallel", resource_keys = { "docs:read" } }),
      task("task_002"),
      task("task_004", { status = "failed" }),
    }, "pending")
    assert.same({ "sequential:task_002", "parallel:task_001,task_003" }, wave_ids(p))
    assert.same({ "sequential:task_004" }, wave_ids(plan.build({ task("task_004", { status = "failed" }) }, "failed")))
    assert.equal(0, plan.build({ task("x") }, "complete").selected)
  end)

  it("gives parallel tasks without keys repo:write, so each runs alone", function()
    local p = plan.build({ task("a", { run_mode = "parallel" }), task("b", { run_mode = "parallel" }) }, "pending")
    assert.same({ "parallel:a", "parallel:b" }, wave_ids(p))
    assert.same({ "repo:write" }, plan.resource_keys(task("a", { run_mode = "parallel" })))
    assert.same({}, plan.resource_keys(task("a", { run_mode = "whatever" })))
    assert.equal("sequential", plan.mode(task("a", { run_mode = "whatever" })))
  end)

  it("sorts ids numerically: task_999 runs before task_1000", function()
    local p = plan.build({ task("task_1000"), task("task_999") }, "pending")
    assert.same({ "sequential:task_999", "sequential:task_1000" }, wave_ids(p))
  end)

  it("is deterministic: the same records give the same plan", function()
    local tasks = {}
    for i = 1, 40 do
      tasks[i] = task(record.format_id(i), {
        run_mode = i % 2 == 0 and "parallel" or "sequential",
        resource_keys = { i % 3 == 0 and "repo:write" or "repo:read" },
        depends_on = i > 4 and { record.format_id(i - 4) } or {},
      })
    end
    assert.same(plan.build(tasks, "pending"), plan.build(tasks, "pending"))
  end)
end)

describe("lock keys", function()
  it("split domain and mode at the last colon, defaulting to write", function()
    assert.same({ "repo", "read" }, { plan.lock_of("repo:read") })
    assert.same({ "a:b", "write" }, { plan.lock_of("a:b:write") })
    assert.same({ "db", "write" }, { plan.lock_of("db") })
    assert.same({ "db:x", "write" }, { plan.lock_of("db:x") })
  end)

  it("conflict when one side writes on the same domain", function()
    assert.is_false(plan.conflicts("repo:read", "repo:read"))
    assert.is_true(plan.conflicts("repo:read", "repo:write"))
    assert.is_true(plan.conflicts("db", "db:read"))
    assert.is_false(plan.conflicts("db", "repo:write"))
  end)
end)

describe("fanout", function()
  it("counts line-aligned chunks within the budget", function()
    assert.equal(0, fanout.count_chunks(" \n ", 10))
    assert.equal(1, fanout.count_chunks("abc\ndef\n", 10))
    assert.equal(2, fanout.count_chunks("abcd\nefgh\nij", 10)) -- 5 + 5 fill the first, "ij" starts the next
    assert.equal(3, fanout.count_chunks(string.rep("x", 30) .. "\ny\nz", 3))
  end)

  it("makes a parent and at least three children, padding included", function()
    local parent, children = fanout.build({ { id = "task_002" } }, "Ship", "", 12000)
    assert.equal("task_003", parent.id)
    assert.equal("architect", parent.role)
    assert.equal("fanout_parent", parent.context_ref)
    assert.same({ "repo:write" }, { table.unpack(parent.resource_keys) })
    assert.equal(3, #children)
    assert.same({ "task_004", "implementer", "objective:Ship", "Implement chunk 1 for: Ship" },
      { children[1].id, children[1].role, children[1].context_ref, children[1].objective })
    assert.same({ "task_005", "reviewer", "objective", "reviewer workstream for: Ship" },
      { children[2].id, children[2].role, children[2].context_ref, children[2].objective })
    assert.equal("tester", children[3].role)
    for _, c in ipairs(children) do
      assert.equal("task_003", c.parent_id)
      assert.equal("task_003", c.depends_on[1])
      assert.equal("parallel", c.run_mode)
    end
    assert.equal("repo:write", children[1].resource_keys[1])
    assert.equal("repo:read", children[2].resource_keys[1])
  end)

  it("cycles roles over chunks and caps them at six", function()
    local text = string.rep("line of a diff\n", 100)
    local _, children = fanout.build({}, "Obj", text, 100)
    assert.equal(6, #children)
    local roles = {}
    for i, c in ipairs(children) do roles[i] = c.role end
    assert.same({ "implementer", "reviewer", "tester", "doc", "architect", "implementer" }, roles)
    assert.equal("diff_chunk_2/6", children[2].context_ref)
    assert.equal("Review chunk 2 changes for correctness/safety: Obj", children[2].objective)
    assert.equal("Define implementation plan for: Obj", children[5].objective)
    assert.equal("Document chunk 4 outcomes: Obj", children[4].objective)
  end)
end)

describe("suggest.closest", function()
  it("suggests a near name and nothing for a far one", function()
    local names = { "add", "list", "show", "run-plan", "run-all", "recover" }
    assert.equal("add", suggest.closest("ad", names))
    assert.equal("list", suggest.closest("lsit", names))
    assert.equal("run-plan", suggest.closest("run-pln", names))
    assert.equal("recover", suggest.closest("reco", names))
    assert.is_nil(suggest.closest("zzzzzz", names))
    assert.is_nil(suggest.closest("", names))
  end)
end)
