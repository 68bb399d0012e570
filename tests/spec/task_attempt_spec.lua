-- The pieces of a task attempt, one by one: the attempt's own environment (cx.context), objective
-- words and dispatch, convergence rules, provider reset hints, the virtual clock, the coalesced
-- status writer, output sinks.
local context = require "cx.context"
local converge = require "cx.tasks.converge"
local objective = require "cx.tasks.objective"
local sinks = require "cx.sink"
local reset_hint = require "cx.adapters.reset_hint"
local vclock = require "cx.vclock"
local writer = require "cx.tasks.writer"
local attempt = require "cx.tasks.attempt"
local core = require "cx.core"

describe("cx.context", function()
  after_each(function() context.unbind() end)

  it("overlays the process environment for the coroutine that bound it, and only there", function()
    local home = os.getenv("HOME")
    local seen = {}
    local co = coroutine.create(function()
      context.bind({ env = { CX_TASK_ID = "task_007", HOME = false } })
      seen.task, seen.home = context.getenv("CX_TASK_ID"), context.getenv("HOME")
      coroutine.yield()
      seen.after = context.getenv("CX_TASK_ID")
    end)
    coroutine.resume(co)
    assert.equal("task_007", seen.task)
    assert.is_nil(seen.home) -- false unsets
    assert.equal(home, context.getenv("HOME")) -- the main coroutine is untouched
    assert.is_nil(context.current())
    coroutine.resume(co)
    assert.equal("task_007", seen.after)
  end)

  it("gives children the attempt's variables (env_set / env_unset)", function()
    context.bind({ env = { CX_TASK_ID = "t1", CX_MODE = false, KEEP = "mine" } })
    local spec = context.spawn_env({ argv = { "env" }, env_set = { KEEP = "spec" } })
    assert.equal("t1", spec.env_set.CX_TASK_ID)
    assert.equal("spec", spec.env_set.KEEP) -- the spec's own value wins
    assert.same({ "CX_MODE" }, spec.env_unset)
    local loop <close> = core.loop.new()
    loop:spawn(spec)
    local c = loop:wait(10000)[1]
    assert.truthy(c.stdout:find("CX_TASK_ID=t1\n", 1, true))
    assert.falsy(c.stdout:find("CX_MODE=", 1, true))
  end)

  it("adds its row fields and collects the rows written", function()
    local ctx = context.bind({ row = { run_id = "r1" }, row_fn = function(f) f.attempt_finished_ms = 42 end })
    local f = context.row_fields()
    assert.equal("r1", f.run_id)
    assert.equal(42, f.attempt_finished_ms)
    context.note_row({ execution_id = "e1" })
    assert.equal("e1", ctx.rows[1].execution_id)
  end)
end)

describe("task attempts: environment", function()
  it("passes the task variables, overrides and the task's timeout to every adapter", function()
    local env = attempt.env({ id = "task_002", parent_id = "task_001", model = " llama3 ", backend = "codex",
      profile = "fast", timeout_secs = 7 }, { backend = "codex", worker = 3, queue_ms = 12, retry_attempt = 2,
      retry_max = 4, retry_reason = "timeout", retry_backoff_ms = 260 })
    assert.same({ "task_002", "task_001", "w3", "12", "2", "4", "timeout", "260" }, { env.CX_TASK_ID,
      env.CX_TASK_PARENT_ID, env.CX_TASK_WORKER_ID, env.CX_TASK_QUEUE_MS, env.CX_TASK_RETRY_ATTEMPT,
      env.CX_TASK_RETRY_MAX, env.CX_TASK_RETRY_REASON, env.CX_TASK_RETRY_BACKOFF_MS })
    assert.equal("codex", env.CX_LLM_BACKEND)
    assert.equal("llama3", env.CX_OLLAMA_MODEL)
    assert.equal("llama3", env.CX_MODEL) -- pinned to codex: the model is a codex model
    assert.equal("lean", env.CX_MODE)
    for _, k in ipairs({ "CX_TIMEOUT_LLM_SECS", "CX_CMD_TIMEOUT_SECS", "CX_TIMEOUT_GIT_SECS",
      "CX_TIMEOUT_SHELL_SECS" }) do
      assert.equal("7", env[k])
    end
    local plain = attempt.env({ id = "t", backend = "auto" }, {})
    assert.is_false(plain.CX_TASK_WORKER_ID)
    assert.is_false(plain.CX_TASK_RETRY_REASON)
    assert.is_nil(plain.CX_LLM_BACKEND)
    assert.is_nil(plain.CX_MODE)
    assert.equal("verbose", attempt.mode({ profile = "balanced" }, "verbose"))
  end)
end)

describe("task objectives", function()
  it("splits words as a shell would, and falls back to whitespace on broken quoting", function()
    assert.same({ "cxo", "git", "log", "--format=%h %s" }, objective.words([[cxo git log "--format=%h %s"]]))
    assert.same({ "a b", "c'd", "e\\f", "" }, objective.words([['a b' "c'd" e\\f '']]))
    assert.same({ "next", "'oops" }, objective.words("next 'oops"))
  end)

  it("knows the cx-command objectives and their cx* aliases", function()
    local name, args = objective.command("cxo git status")
    assert.equal("cxo", name)
    assert.same({ "git", "status" }, args)
    assert.equal("next", (objective.command("cxnext cargo test")))
    assert.equal("diffsum-staged", (objective.command("cxdiffsum_staged")))
    name, args = objective.command("commitmsg please")
    assert.equal("commitmsg", name)
    assert.same({}, args) -- commands without arguments ignore extra words
    assert.equal("fix-run", (objective.command("cxfix_run make")))
    assert.is_nil(objective.command("fix the parser"))
    assert.is_nil(objective.command("   "))
  end)

  it("words the free-text prompt as the reference", function()
    assert.equal("Task Objective:\nShip it\n\nRespond with concise execution notes and next actions.",
      objective.prompt({ objective = "Ship it", context_ref = "  " }))
  end)
end)

describe("task convergence", function()
  local ok, fail = { code = 0, execution_id = "e" }, { code = 1, execution_id = "f", error = string.rep("x", 500) }

  it("scores: 1000 for a success, 100 with an execution id, minus the error (at most 200)", function()
    assert.equal(1100, (converge.score(ok)))
    assert.equal(-100, (converge.score(fail)))
    assert.equal(995, (converge.score({ code = 0, error = "12345" })))
  end)

  it("picks by the reference's rules", function()
    assert.equal(2, converge.pick("first_valid", { fail, ok, ok }))
    assert.equal(1, converge.pick("first_valid", { fail, fail }))
    assert.equal(2, converge.pick("majority", { fail, ok })) -- a tie goes to success
    assert.equal(1, converge.pick("majority", { fail, fail, ok }))
    assert.equal(3, converge.pick("score", { fail, { code = 0 }, ok }))
    assert.equal(1, converge.pick("score", { ok, ok })) -- ties: the lowest index
  end)

  it("plans replicas only with a convergence mode", function()
    assert.same({ "none", 1 }, { converge.plan({ id = "t", converge = "none", replicas = 1 }) })
    assert.equal("task t replicas=3 ignored because converge=none",
      select(3, converge.plan({ id = "t", converge = "none", replicas = 3 })))
    assert.same({ "judge", 2 }, { converge.plan({ id = "t", converge = "judge", replicas = 2 }) })
    assert.same({ "none", 1 }, { (converge.plan({ id = "t", converge = "bogus", replicas = 1 })) ,
      select(2, converge.plan({ id = "t", converge = "bogus", replicas = 1 })) })
  end)

  it("asks the judge with the reference's prompt and a bounded schema", function()
    local p = converge.judge_prompt({ objective = "O" }, { ok })
    assert.truthy(p:find("^Task objective:\nO\n\nSelect the best candidate index"))
    assert.truthy(p:find('"has_execution_id": true', 1, true))
    assert.truthy(p:find("\n\nReturn JSON only.$"))
    assert.equal(3, converge.judge_schema(3).properties.winner_index.maximum)
  end)
end)

describe("provider reset hints", function()
  local now = 1700000000000
  it("reads Retry-After in seconds or as a date, OpenAI durations and epoch resets; the latest wins", function()
    assert.equal(7000, reset_hint.from_headers({ ["retry-after"] = "7" }, now))
    assert.equal(30000, reset_hint.from_headers({ ["retry-after"] = "Tue, 14 Nov 2023 22:14:50 GMT" }, 1700000060000))
    assert.equal(1500, reset_hint.from_headers({ ["x-ratelimit-reset-requests"] = "1.5s" }, now))
    assert.equal(360020, reset_hint.from_headers({ ["x-ratelimit-reset-requests"] = "20ms",
      ["x-ratelimit-reset-tokens"] = "6m0.02s" }, now))
    assert.equal(5000, reset_hint.from_headers({ ["x-ratelimit-reset"] = "1700000005" }, now))
    assert.equal(0, reset_hint.from_headers({ ["retry-after"] = "Mon, 01 Jan 2001 00:00:00 GMT" }, now))
    assert.is_nil(reset_hint.from_headers({ ["retry-after"] = "soon" }, now))
    assert.is_nil(reset_hint.from_headers({}, now))
    assert.is_nil(reset_hint.from_headers(nil, now))
  end)
end)

describe("cx.vclock", function()
  after_each(vclock.stop)

  it("fires timers in due order, then registration order, advancing the clock", function()
    vclock.start(0)
    local loop <close> = core.loop.new()
    local a = vclock.timer(loop, 300)
    local b = vclock.timer(loop, 100)
    local c = vclock.timer(loop, 100)
    assert.equal(3, vclock.pending())
    local order = {}
    while vclock.pending() > 0 do
      local id = vclock.earliest()
      local e = vclock.fire(loop, id)
      local got = loop:wait(1000)[1]
      assert.equal(id, got.id)
      local done = vclock.completion(got, e)
      assert.is_true(done.ok)
      order[#order + 1] = id
      assert.equal(e.at, vclock.now())
    end
    assert.same({ b, c, a }, order)
    assert.equal(300, vclock.now())
    vclock.advance(200) -- never back
    assert.equal(300, vclock.now())
  end)
end)

describe("cx.tasks.writer", function()
  local function fake_store(answers)
    local calls = {}
    return {
      calls = calls,
      finish = function(_, batch, opts)
        calls[#calls + 1] = { batch = batch, run_id = opts.run_id }
        local a = table.remove(answers, 1)
        if a == "fail" then return nil, "disk full" end
        local done, refused = {}, {}
        for _, e in ipairs(batch) do
          if a and a[e.id] then refused[#refused + 1] = { id = e.id, reason = a[e.id] } else done[#done + 1] = e.id end
        end
        return done, refused
      end,
    }
  end

  it("writes what is queued in one batch when due, and sorts out what could not be written", function()
    local s = fake_store({ { t2 = "task not found", t3 = "no longer claimed by run r1" }, "fail" })
    local w = writer.new(s, "r1", { interval_ms = 200 })
    assert.is_nil(w:flush(0))
    w:add({ id = "t1", status = "complete" })
    w:add({ id = "t2", status = "failed" })
    w:add({ id = "t3", status = "complete" })
    assert.equal(0, w:due_at())
    local r = w:flush(5)
    assert.equal(1, #s.calls)
    assert.equal(3, #s.calls[1].batch)
    assert.equal("r1", s.calls[1].run_id)
    assert.same({ "t1" }, r.written)
    assert.same({ { id = "t2", status = "failed", reason = "task disappeared: t2" } }, r.critical)
    assert.equal("t3", r.changed[1].id)
    w:add({ id = "t4", status = "pending" })
    assert.is_nil(w:flush(100)) -- not due yet
    r = w:flush(100, true)
    assert.same({ { id = "t4", status = "pending", reason = "disk full" } }, r.critical)
    assert.equal(2, w.writes)
  end)
end)

describe("cx.sink", function()
  it("buffers what a command writes", function()
    local b = sinks.buffer()
    b.out("a")
    b.err("x")
    b.out("b")
    assert.equal("ab", b.stdout())
    assert.equal("x", b.stderr())
  end)
end)
