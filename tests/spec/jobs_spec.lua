-- cx.jobs: awaiting loop jobs alone (a private loop, progress, signals) and inside scheduled
-- attempts (coroutines over one shared loop). Signals are real: a child, or a `kill` run from the
-- add function, signals this process once the job is in the loop (events, no sleeps).
local core = require "cx.core"
local jobs = require "cx.jobs"
local fixture = require "helpers.fixture_server"
local h = require "helpers.cli"
local sub = require "helpers.sub"

local pid = core.fs.pid()

-- The signal handling of this process for one test: caught and deferred, as `cx` has it while a
-- run is in progress. after_each uninstalls (restoring busted's own handling).
local function handle_signals()
  assert.is_true(core.signals.install())
  core.signals.defer()
end

-- os.execute runs `kill` and returns after it: the signal is pending before the next line runs.
-- (system() ignores SIGINT in the caller while it waits, so this helper is for SIGTERM/SIGHUP.)
local function signal_self(name)
  assert(os.execute("kill -" .. name .. " " .. pid))
end

local function gone(p)
  if not os.execute("kill -0 " .. p .. " 2>/dev/null") then return true end
  local f = io.open("/proc/" .. p .. "/stat")
  local stat = f and f:read("a") or ""
  if f then f:close() end
  return stat:match("%) ([ZX]) ") ~= nil -- an orphan nobody reaps yet is gone for our purposes
end

-- Drives ctx until every attempt has finished; returns the finished records by attempt number.
local function drive(ctx, finished)
  finished = finished or {}
  while jobs.running(ctx) > 0 do
    for _, c in ipairs(ctx.loop:wait(30000)) do
      local f = jobs.deliver(ctx, c)
      if f then finished[f.attempt.n] = f end
    end
  end
  return finished
end

describe("cx.jobs.await alone", function()
  after_each(function() core.signals.uninstall() end)

  it("runs one job in a private loop and returns its completion", function()
    local c = jobs.await(function(loop) return loop:spawn({ argv = { "printf", "hi" } }) end)
    assert.is_true(c.ok)
    assert.equal("process", c.kind)
    assert.equal("hi", c.stdout)
  end)

  it("returns what add returned when it could not add the job", function()
    local c, err, class = jobs.await(function() return nil, "no such thing", "config_error" end)
    assert.is_nil(c)
    assert.equal("no such thing", err)
    assert.equal("config_error", class)
  end)

  it("ticks progress about once a second with the elapsed time, and clears it at the end", function()
    local calls = {}
    local c = jobs.await(function(loop) return loop:timer(1100) end,
      { progress = function(ms) calls[#calls + 1] = ms or "end" end })
    assert.is_true(c.ok)
    assert.equal("end", calls[#calls])
    assert.is_true(#calls >= 2)
    assert.is_true(calls[1] >= 1000)
  end)

  it("cancels a running process on a signal: TERM, then KILL of the group after the grace", function()
    handle_signals()
    local dir = h.tmpdir()
    -- The child and its grandchild ignore TERM (ignored stays ignored across exec); the
    -- grandchild signals us once both are in place.
    local script = string.format("trap '' TERM; sh -c 'echo $$ > %s/g; kill -INT %d; exec sleep 300' "
      .. "</dev/null >/dev/null 2>&1 & exec sleep 300", dir, pid)
    local calls = {}
    local c = jobs.await(function(loop)
      return loop:spawn({ argv = { "sh", "-c", script }, grace_ms = 60000 })
    end, { progress = function(ms) calls[#calls + 1] = ms or "end" end })
    assert.is_false(c.ok)
    assert.equal("interrupted", c.class)
    assert.equal("SIGINT", c.signal_name)
    assert.equal("interrupted by SIGINT", c.error)
    assert.equal("interrupted", c.cancel_reason)
    assert.equal(9, c.signal) -- TERM was ignored: the KILL after the interrupt grace ended it
    assert.is_false(c.timed_out)
    assert.equal("end", calls[#calls])
    assert.is_true(gone(h.slurp(dir .. "/g"):match("%d+")))
    h.rm(dir)
  end)

  it("aborts a timer at once on a signal", function()
    handle_signals()
    local c = jobs.await(function(loop)
      local id = loop:timer(600000)
      signal_self("TERM")
      return id
    end)
    assert.equal("timer", c.kind)
    assert.equal("interrupted", c.class)
    assert.equal("SIGTERM", c.signal_name)
    assert.equal("interrupted by SIGTERM", c.error)
  end)

  it("aborts an HTTP transfer at once on a signal", function()
    handle_signals()
    local srv = fixture.start("hang", { max_seconds = 60 })
    local c = jobs.await(function(loop)
      local id = loop:http({ url = srv.url .. "/v1/chat/completions", body = "{}" })
      signal_self("HUP")
      return id
    end)
    srv.remove()
    assert.equal("http", c.kind)
    assert.equal("interrupted", c.class)
    assert.equal("SIGHUP", c.signal_name)
  end)

  it("starts no job once a signal is pending", function()
    handle_signals()
    signal_self("TERM")
    local called = false
    local c = jobs.await(function(loop)
      called = true
      return loop:timer(0)
    end)
    assert.is_false(called)
    assert.is_true(c.not_started)
    assert.is_nil(c.id)
    assert.equal("interrupted", c.class)
    assert.equal("interrupted by SIGTERM", c.error)
  end)

  it("keeps a completion that was ready when the signal came", function()
    handle_signals()
    local c = jobs.await(function(loop)
      local id = loop:timer(0) -- due at once: ready before the wait looks at the signal
      signal_self("TERM")
      return id
    end)
    assert.is_true(c.ok)
    assert.equal("timer", c.kind)
    assert.equal(15, (core.signals.pending()))
  end)

  it("leaves a program's signal handling alone unless it installs cx's (require 'cx' is inert)", function()
    -- A Lua program that requires cx and awaits a child that sends it SIGTERM dies by SIGTERM, as
    -- it would without cx.
    local v, r = sub.lua([[
      local jobs = require "cx.jobs"
      jobs.await(function(loop) return loop:spawn({ argv = { "sh", "-c", "kill -TERM $PPID" } }) end)
      jobs.await(function(loop) return loop:timer(60000) end)
      return "survived"
    ]])
    assert.is_nil(v)
    assert.equal(143, r.code)
  end)
end)

describe("cx.jobs in scheduled attempts", function()
  after_each(function() core.signals.uninstall() end)

  it("runs many attempts at once over one loop, each awaiting timers and processes in turn", function()
    local loop <close> = core.loop.new()
    local ctx = jobs.context(loop)
    local function attempt(i)
      local t = jobs.await(function(l) return l:timer(i % 7) end)
      assert(t.ok and t.kind == "timer")
      local p = jobs.await(function(l) return l:spawn({ argv = { "printf", tostring(i) } }) end)
      return tonumber(p.stdout) * 2, "attempt " .. i
    end
    for i = 1, 60 do
      local a, finished = jobs.start(ctx, attempt, i)
      assert.equal(i, a.n)
      assert.is_nil(finished)
    end
    assert.equal(60, jobs.running(ctx))
    assert.equal(60, loop:pending()) -- every attempt's first job is in the loop at once
    local finished = drive(ctx)
    for i = 1, 60 do
      assert.is_true(finished[i].ok)
      assert.same({ n = 2, i * 2, "attempt " .. i }, finished[i].results)
    end
    assert.equal(0, jobs.running(ctx))
  end)

  it("awaits through adapters.run unchanged: the code does not know it is scheduled", function()
    local adapters = require "cx.adapters"
    local env = { CX_PROVIDER_ADAPTER = "mock", CX_MOCK_LATENCY_MS = "5" }
    local d = adapters.describe(function(k) return env[k] end, {})
    local loop <close> = core.loop.new()
    local ctx = jobs.context(loop)
    for _ = 1, 5 do
      jobs.start(ctx, function() return adapters.run(d, { prompt = "hi", mode = "plain", timeout_secs = 10 }) end)
    end
    assert.equal(5, loop:pending())
    local finished = drive(ctx)
    for i = 1, 5 do
      assert.is_true(finished[i].ok)
      assert.is_true(finished[i].results[1].ok)
    end
  end)

  it("finishes an attempt that raises with ok=false and the message; the others run on", function()
    local loop <close> = core.loop.new()
    local ctx = jobs.context(loop)
    jobs.start(ctx, function()
      jobs.await(function(l) return l:timer(1) end)
      error("boom in attempt")
    end)
    local _, early = jobs.start(ctx, function() error({ code = 7 }) end)
    jobs.start(ctx, function() return jobs.await(function(l) return l:timer(2) end).ok end)
    assert.is_false(early.ok)
    assert.matches("table", early.error)
    local finished = drive(ctx, { [2] = early })
    assert.is_false(finished[1].ok)
    assert.matches("boom in attempt", finished[1].error)
    assert.matches("traceback", finished[1].traceback)
    assert.is_true(finished[3].ok)
    assert.is_true(finished[3].results[1])
  end)

  it("returns the finished record from start when the attempt awaits nothing", function()
    local loop <close> = core.loop.new()
    local ctx = jobs.context(loop)
    local a, f = jobs.start(ctx, function(x, y) return x + y end, 2, 3)
    assert.equal(a, f.attempt)
    assert.same({ n = 1, 5 }, f.results)
    assert.equal(0, jobs.running(ctx))
  end)

  it("ignores completions of jobs no attempt awaits (the driver's own timers)", function()
    local loop <close> = core.loop.new()
    local ctx = jobs.context(loop)
    local own = loop:timer(0)
    local a = jobs.start(ctx, function() return jobs.await(function(l) return l:timer(1) end).ok end)
    assert.is_false(jobs.owns(ctx, own))
    assert.is_true(jobs.owns(ctx, a.job))
    local seen_own, finished = false, nil
    while not finished do
      for _, c in ipairs(loop:wait(10000)) do
        local f = jobs.deliver(ctx, c)
        if c.id == own then
          seen_own = true
          assert.is_nil(f)
        end
        finished = finished or f
      end
    end
    assert.is_true(seen_own)
    assert.is_true(finished.ok)
    assert.is_nil(jobs.deliver(ctx, { id = 424242, ok = true }))
  end)

  it("cancel_all stops every job of every attempt; later awaits return at once", function()
    local loop <close> = core.loop.new()
    local ctx = jobs.context(loop)
    local function attempt(kind)
      local c = jobs.await(function(l)
        if kind == "process" then return l:spawn({ argv = { "sleep", "300" }, grace_ms = 60000 }) end
        return l:timer(600000)
      end)
      local again = jobs.await(function() error("a stopped context adds no job") end)
      return c.class, c.error, c.kind, again.class, again.not_started
    end
    for i = 1, 6 do jobs.start(ctx, attempt, i % 2 == 0 and "process" or "timer") end
    assert.equal(6, jobs.cancel_all(ctx))
    assert.equal(0, jobs.cancel_all(ctx)) -- nothing left to cancel
    local finished = drive(ctx)
    for i = 1, 6 do
      local r = finished[i].results
      assert.equal("interrupted", r[1])
      assert.equal("interrupted", r[2]) -- no signal pending: no signal name
      assert.equal(i % 2 == 0 and "process" or "timer", r[3])
      assert.equal("interrupted", r[4])
      assert.is_true(r[5])
    end
    local _, late = jobs.start(ctx, attempt, "timer")
    assert.equal("interrupted", late.results[1])
  end)

  it("cancel_all with another reason gives that class", function()
    local loop <close> = core.loop.new()
    local ctx = jobs.context(loop)
    jobs.start(ctx, function() return jobs.await(function(l) return l:timer(600000) end) end)
    jobs.cancel_all(ctx, "halted")
    local c = drive(ctx)[1].results[1]
    assert.equal("halted", c.class)
    assert.equal("halted", c.cancel_reason)
  end)

  it("names the signal when a pending one stops the run, and adds no job after it", function()
    handle_signals()
    local loop <close> = core.loop.new()
    local ctx = jobs.context(loop)
    jobs.start(ctx, function()
      local c = jobs.await(function(l)
        local id = l:timer(600000)
        signal_self("TERM")
        return id
      end)
      return c, jobs.await(function() error("must not be called") end)
    end)
    assert.equal(0, #loop:wait(60000)) -- woken by the signal, nothing completed
    assert.equal(1, jobs.cancel_all(ctx, "interrupted"))
    local r = drive(ctx)[1].results
    assert.equal("interrupted by SIGTERM", r[1].error)
    assert.equal("SIGTERM", r[1].signal_name)
    assert.is_true(r[2].not_started)
  end)

  it("finishes an attempt that yields outside await with an error", function()
    local loop <close> = core.loop.new()
    local ctx = jobs.context(loop)
    local _, f = jobs.start(ctx, function() coroutine.yield("stray") end)
    assert.is_false(f.ok)
    assert.matches("outside cx.jobs.await", f.error)
    assert.equal(0, jobs.running(ctx))
  end)
end)
