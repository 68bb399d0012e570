local core = require "cx.core"
local sim = require "helpers.sched_sim"

local sched = core.sched

-- Launches all that may start at `now`; returns the launch tables in order.
local function drain(s, now)
  local out = {}
  while true do
    local l = s:next(now)
    if not l then return out end
    out[#out + 1] = l
  end
end

local function ids(launches)
  local out = {}
  for i, l in ipairs(launches) do out[i] = l.id end
  return table.concat(out, ",")
end

describe("cx.core.sched", function()
  describe("the lock-key rule", function()
    it("takes the mode after the last ':' and defaults to write", function()
      assert.same({ "repo", false }, { sim.lock_parse("repo:read") })
      assert.same({ "db:users", true }, { sim.lock_parse("db:users:write") })
      assert.same({ "repo", true }, { sim.lock_parse("repo") })
      assert.same({ "repo:reader", true }, { sim.lock_parse("repo:reader") })
    end)

    it("runs readers of one domain together and serializes writers", function()
      local s <close> = sched.new { max_workers = 4 }
      local b = s:backend("codex", 4)
      s:task { id = "r1", backend = b, locks = { "repo:read" } }
      s:task { id = "r2", backend = b, locks = { "repo:read" } }
      s:task { id = "w", backend = b, locks = { "repo" } }
      s:task { id = "d", backend = b, locks = { "db:write" } }
      s:seal(0)
      assert.equal("r1,r2,d", ids(drain(s, 0)))
      s:finish(1, "ok", 10)
      assert.equal("", ids(drain(s, 10)))
      s:finish(2, "ok", 20)
      assert.equal("w", ids(drain(s, 20)))
    end)
  end)

  describe("the reference's planner examples at run time", function()
    it("runs A, then B and C together", function()
      local s <close> = sched.new { max_workers = 4 }
      local b = s:backend("codex", 4)
      local a = s:task { id = "A", backend = b, locks = { "repo:write" } }
      s:task { id = "B", backend = b, deps = { "A" }, locks = { "repo:read" } }
      s:task { id = "C", backend = b, deps = { "A" }, locks = { "repo:read" } }
      assert.same({}, s:seal(0))
      assert.equal("A", ids(drain(s, 0)))
      s:finish(a, "ok", 1000)
      local l = drain(s, 1000)
      assert.equal("B,C", ids(l))
      assert.equal(0, l[2].queue_ms)
    end)

    it("runs write, write, read on repo one at a time", function()
      local s <close> = sched.new { max_workers = 3, fairness = "least_loaded" }
      local b = s:backend("codex", 3)
      for _, t in ipairs { { "W1", "repo:write" }, { "W2", "repo:write" }, { "R", "repo:read" } } do
        s:task { id = t[1], backend = b, locks = { t[2] } }
      end
      s:seal(0)
      local order = {}
      for now = 0, 20, 10 do
        local l = drain(s, now)
        assert.equal(1, #l)
        order[#order + 1] = l[1].id
        s:finish(l[1].task, "ok", now + 10)
      end
      assert.same({ "W1", "W2", "R" }, order)
    end)

    it("blocks an A<->B cycle before anything runs", function()
      local s <close> = sched.new { max_workers = 2 }
      local b = s:backend("codex", 2)
      s:task { id = "A", backend = b, deps = { "B" } }
      s:task { id = "B", backend = b, deps = { "A" } }
      local blocked = s:seal(0)
      assert.equal(2, #blocked)
      assert.equal("unresolved dependencies: B; cycle: A -> B -> A", blocked[1].reason)
      assert.same({ "A", "B", "A" }, blocked[1].cycle)
      assert.is_nil(s:next(0))
      assert.equal(0, s:remaining())
    end)

    it("words unknown dependencies as the reference does", function()
      local s <close> = sched.new { max_workers = 1 }
      local b = s:backend("codex", 1)
      s:task { id = "t", backend = b, deps = { "a", "b" } }
      s:task { id = "u", backend = b, deps = { "t" } }
      local blocked = s:seal(0)
      assert.equal("unresolved dependencies: a, b", blocked[1].reason)
      assert.same({ "a", "b" }, blocked[1].unresolved)
      assert.equal("unresolved dependencies: t", blocked[2].reason)
    end)
  end)

  describe("retries", function()
    it("backs off 250, 500, 1000, 2000, 2000 and fails past max_retries", function()
      local s <close> = sched.new { max_workers = 1, jitter_percent = 0 }
      local b = s:backend("codex", 1)
      local t = s:task { id = "t", backend = b, max_retries = 5 }
      s:seal(0)
      local now, seen = 0, {}
      assert.equal(1, s:next(now).attempt)
      for a = 1, 5 do
        now = now + 50
        local r = s:finish(t, "retry", now, { class = "timeout" })
        assert.equal("backoff", r.state)
        seen[a] = r.backoff_ms
        assert.is_nil(s:next(now + r.backoff_ms - 1))
        now = r.retry_at_ms
        local l = s:next(now)
        assert.equal(a + 1, l.attempt)
        assert.equal("timeout", l.retry_reason)
        assert.equal(r.backoff_ms, l.retry_backoff_ms)
      end
      assert.same({ 250, 500, 1000, 2000, 2000 }, seen)
      assert.equal("failed", s:finish(t, "retry", now + 1, { class = "timeout" }).state)
    end)

    it("jitters within 10% by default, the same for the same seed", function()
      local a, b = sched.new { seed = 5 }, sched.new { seed = 5 }
      for attempt, base in ipairs { 250, 500, 1000, 2000, 2000 } do
        local v = a:backoff_ms("task_007", attempt)
        assert.is_true(v >= base and v <= base * 1.1)
        assert.equal(v, b:backoff_ms("task_007", attempt))
      end
      a:close()
      b:close()
    end)

    it("does not retry a permanent failure", function()
      local s <close> = sched.new { max_workers = 1 }
      local t = s:task { id = "t", backend = s:backend("codex", 1), max_retries = 3 }
      s:seal(0)
      s:next(0)
      assert.equal("failed", s:finish(t, "failed", 5, { class = "schema" }).state)
      assert.equal(1, s:task_info(t).attempts)
    end)
  end)

  describe("failures", function()
    it("skips every transitive dependent once, with the failed ancestor", function()
      local s <close> = sched.new { max_workers = 4 }
      local b = s:backend("codex", 4)
      local a = s:task { id = "A", backend = b }
      s:task { id = "B", backend = b, deps = { "A" } }
      s:task { id = "C", backend = b, deps = { "A" } }
      s:task { id = "D", backend = b, deps = { "B", "C" } }
      s:task { id = "F", backend = b }
      s:seal(0)
      assert.equal("A,F", ids(drain(s, 0)))
      local r = s:finish(a, "failed", 10, { class = "provider_error" })
      local skipped = {}
      for _, x in ipairs(r.skipped) do
        skipped[#skipped + 1] = x.id
        assert.equal("A", x.ancestor_id)
      end
      table.sort(skipped)
      assert.same({ "B", "C", "D" }, skipped)
      assert.equal("skipped", s:task_info(4).state)
      assert.equal(1, s:remaining()) -- F still runs
    end)
  end)

  describe("parking", function()
    it("parks a backend, moves tasks with alternatives, and counts queue time from the end", function()
      local s <close> = sched.new { max_workers = 4 }
      local codex, ollama = s:backend("codex", 1), s:backend("ollama", 1)
      local a = s:task { id = "a", backend = codex }
      s:task { id = "auto", backend = codex, alternatives = { ollama } }
      s:task { id = "pinned", backend = codex }
      s:seal(0)
      assert.equal("a", ids(drain(s, 0)))
      local r = s:finish(a, "park", 100, { class = "rate_limited", park_until_ms = 2000 })
      assert.equal("ready", r.state)
      assert.equal("auto", r.moved[1].id)
      local l = drain(s, 100)
      assert.equal("auto", ids(l))
      assert.equal(ollama, l[1].backend)
      assert.equal(codex, l[1].moved_from)
      assert.equal(2000, s:wake_ms(100))
      assert.equal(2000, s:stats()[codex].parked_until)
      l = drain(s, 2003)
      assert.equal("a", ids(l))
      assert.equal(3, l[1].queue_ms)
      assert.equal(1, l[1].attempt)
    end)
  end)

  describe("stop and interrupts", function()
    it("launches nothing after stop and puts an interrupted task back, attempt unspent", function()
      local s <close> = sched.new { max_workers = 2 }
      local b = s:backend("codex", 2)
      local a = s:task { id = "a", backend = b }
      s:task { id = "b", backend = b }
      s:task { id = "c", backend = b }
      s:seal(0)
      drain(s, 0)
      s:stop()
      assert.is_true(s:stopped())
      assert.is_nil(s:next(1))
      local r = s:finish(a, "interrupted", 5)
      assert.equal("ready", r.state)
      assert.equal(0, s:task_info(a).attempts)
      assert.equal(1, s:remaining())
      s:finish(2, "ok", 6)
      assert.equal(0, s:remaining())
      assert.equal(2, s:counts().ready)
    end)
  end)

  describe("the Lua face", function()
    it("raises on argument errors", function()
      assert.has_error(function() sched.new { max_workers = 0 } end,
        "max_workers must be an integer >= 1")
      local s <close> = sched.new {}
      local b = s:backend("codex", 1)
      assert.has_error(function() s:task { backend = b } end, "id must be a string")
      assert.has_error(function() s:task { id = "x", backend = b, deps = { 1 } } end,
        "deps[1] must be a string")
      s:task { id = "x", backend = b }
      s:seal()
      assert.has_error(function() s:next("now") end)
      assert.has_error(function() s:finish(3, "ok", 0) end)
      local l = s:next(0)
      assert.has_error(function() s:finish(l.task, "done", 0) end)
    end)

    it("returns nil, message, class for conditions", function()
      local s <close> = sched.new {}
      local b = s:backend("codex", 1)
      s:task { id = "x", backend = b }
      local v, msg, class = s:task { id = "x", backend = b }
      assert.is_nil(v)
      assert.equal("duplicate task id 'x'", msg)
      assert.equal("duplicate", class)
      v, msg, class = s:next(0)
      assert.is_nil(v)
      assert.equal("invalid_state", class)
      assert.truthy(msg:find("seal"))
      s:seal(0)
      v, msg, class = s:finish(1, "ok", 0)
      assert.is_nil(v)
      assert.equal("invalid_state", class)
      assert.truthy(msg:find("not running"))
    end)

    it("is closed by <close> and refuses use afterwards", function()
      local kept
      do
        local s <close> = sched.new {}
        kept = s
      end
      assert.has_error(function() kept:stats() end, "the scheduler is closed")
    end)
  end)

  describe("simulated runs (helpers.sched_sim, the mirror of the C simulator)", function()
    it("keeps every invariant over random workloads", function()
      local total, ended = 0, {}
      for seed = 1, 12 do
        local w = sim.random_workload(seed, 40 + seed * 12)
        local s <close> = sim.build(w)
        local r = sim.run(s, w.specs, w.script, { check_idle = true })
        assert.same({}, r.violations, "seed " .. seed)
        assert.equal(0, r.not_run)
        total = total + #w.specs
        for k, v in pairs(r.ended) do ended[k] = (ended[k] or 0) + v end
      end
      assert.equal(total, (ended.complete or 0) + (ended.failed or 0) + (ended.skipped or 0)
        + (ended.blocked or 0))
      assert.is_true((ended.complete or 0) > total / 2)
    end)

    it("gives the same launch sequence for the same seed", function()
      local traces = {}
      for k = 1, 3 do
        local w = sim.random_workload(k == 3 and 99 or 7, 150)
        local s <close> = sim.build(w)
        traces[k] = sim.run(s, w.specs, w.script).trace
      end
      assert.equal(traces[1], traces[2])
      assert.are_not.equal(traces[1], traces[3])
    end)

    it("stops cleanly in the middle of a run", function()
      local w = sim.random_workload(3, 200)
      local s <close> = sim.build(w)
      local r = sim.run(s, w.specs, w.script, { check_idle = true, stop_at = 1500 })
      assert.same({}, r.violations)
      assert.is_true(r.not_run > 0)
      for _, l in ipairs(r.launches) do assert.is_true(l.start <= 1500) end
    end)

    it("serializes a cap of 1 (run_all_enforces_backend_cap_records_queue)", function()
      local s <close> = sched.new { max_workers = 3 }
      local codex = s:backend("codex", 1)
      local specs = {}
      for i = 1, 3 do
        specs[i] = { id = "t" .. i, backend = codex }
        s:task(specs[i])
      end
      local r = sim.run(s, specs, function() return { outcome = "ok", latency = 1000 } end,
        { check_idle = true })
      assert.same({}, r.violations)
      assert.equal(3000, r.end_ms)
      assert.same({ 0, 1000, 2000 }, { r.launches[1].queue_ms, r.launches[2].queue_ms,
        r.launches[3].queue_ms })
    end)
  end)
end)
