-- SIGINT, SIGTERM and SIGHUP to a running `cx`: every child process group it started is gone
-- (grandchildren that ignore TERM included), the run's row is written once with failure_class
-- `interrupted`, and cx exits 128 + the signal. Each test waits for an event before signalling: a
-- pid file the fake codex writes once it hangs, or cx blocked in its event loop with no child.
local bg = require "helpers.background"
local fake = require "helpers.fake_cli"
local fixture = require "helpers.fixture_server"
local h = require "helpers.cli"
local runlog_rows = require "helpers.runlog_rows"

local CODES = { INT = 130, TERM = 143, HUP = 129 }

local function env(extra)
  return fake.env(extra)
end

local function codex_env(repo, extra)
  local e = { CX_PROVIDER_ADAPTER = false, CX_LLM_BACKEND = "codex", FAKE_CODEX_SCENARIO = "hang",
    FAKE_CODEX_PIDFILE = repo .. "/codex.pid", FAKE_CODEX_GRANDCHILD = repo .. "/grandchild.pid",
    FAKE_CODEX_RECORD = repo .. "/codex.record" }
  for k, v in pairs(extra or {}) do e[k] = v end
  return env(e)
end

local function only_row(repo)
  local rows = runlog_rows.all(repo)
  assert.equal(1, #rows)
  return rows[1]
end

local function assert_interrupted_row(row, signame, tool)
  assert.equal(tool, row.tool)
  assert.equal("interrupted", row.failure_class)
  assert.equal("interrupted by " .. signame, row.schema_reason)
  assert.is_false(row.timed_out)
  assert.is_false(row.schema_valid)
end

local function dir_entries(path)
  local p = io.popen("ls -A " .. h.quote(path) .. " 2>/dev/null")
  local out = {}
  for l in p:lines() do out[#out + 1] = l end
  p:close()
  return out
end

describe("signals to cx", function()
  local repo
  before_each(function() repo = h.tmprepo() end)
  after_each(function() h.rm(repo) end)

  for name, code in pairs(CODES) do
    it("SIG" .. name .. " to cx cxo over codex: the child and its grandchild go, the row says interrupted, exit "
        .. code, function()
      local p = bg.start({ "cxo", "echo", "hi" }, { cwd = repo, env = codex_env(repo) })
      local codex = bg.wait_for(function() return bg.file_number(repo .. "/codex.pid") end)
      assert.is_truthy(codex, "the fake codex did not start")
      local grandchild = bg.file_number(repo .. "/grandchild.pid")
      p.signal(name)
      local r = p.wait()
      assert.equal(code, r.code, r.stderr)
      assert.matches("cx cxo: interrupted by SIG" .. name, r.stderr, 1, true)
      assert.equal("", r.stdout)
      assert.is_true(bg.gone(codex))
      assert.is_truthy(bg.wait_for(function() return bg.gone(grandchild) end, 5000))
      assert_interrupted_row(only_row(repo), "SIG" .. name, "cxo")
    end)
  end

  it("a structured command (cx next) over codex: interrupted row, no quarantine, exit 130", function()
    local p = bg.start({ "next", "echo", "hi" }, { cwd = repo, env = codex_env(repo) })
    local codex = bg.wait_for(function() return bg.file_number(repo .. "/codex.pid") end)
    assert.is_truthy(codex)
    local grandchild = bg.file_number(repo .. "/grandchild.pid")
    p.signal("INT")
    local r = p.wait()
    assert.equal(130, r.code, r.stderr)
    assert.matches("cx next: interrupted by SIGINT", r.stderr, 1, true)
    assert.is_true(bg.gone(codex))
    assert.is_truthy(bg.wait_for(function() return bg.gone(grandchild) end, 5000))
    local row = only_row(repo)
    assert_interrupted_row(row, "SIGINT", "cxrs_next")
    assert.is_true(row.schema_enforced)
    assert.equal(1, row.schema_attempt) -- no retry after the signal
    assert.same({}, dir_entries(repo .. "/.codex/quarantine"))
    assert.is_nil(io.open(repo .. "/.codex/cxlogs/schema_failures.jsonl"))
  end)

  it("the mock with latency: its timer is aborted, exit 143", function()
    local p = bg.start({ "cxo", "echo", "hi" }, { cwd = repo,
      env = env({ CX_PROVIDER_ADAPTER = "mock", CX_MOCK_LATENCY_MS = "600000" }) })
    -- the capture has finished (no child left) and cx waits in its loop: on the mock's timer
    assert.is_truthy(bg.wait_for(function() return bg.polling_without_children(p.pid) end))
    p.signal("TERM")
    local r = p.wait()
    assert.equal(143, r.code, r.stderr)
    assert_interrupted_row(only_row(repo), "SIGTERM", "cxo")
  end)

  it("an HTTP provider that never answers: the transfer is aborted, exit 129", function()
    local srv = fixture.start("hang", { max_seconds = 120 })
    local p = bg.start({ "cxo", "echo", "hi" }, { cwd = repo, env = env({ CX_PROVIDER_ADAPTER = "http",
      CX_HTTP_PROVIDER_URL = srv.url .. "/v1/chat/completions", CX_HTTP_PROVIDER_FORMAT = "openai" }) })
    -- the server records the request before it (never) answers
    assert.is_truthy(bg.wait_for(function() return #srv.requests() == 1 end))
    p.signal("HUP")
    local r = p.wait()
    srv.remove()
    assert.equal(129, r.code, r.stderr)
    local row = only_row(repo)
    assert_interrupted_row(row, "SIGHUP", "cxo")
    assert.equal("http-curl", row.adapter_type)
  end)

  it("a signal between jobs: no adapter call starts, the row is still written", function()
    -- the captured command itself signals cx, then exits normally
    local r = h.cx({ "cxo", "sh", "-c", "kill -TERM $PPID" }, { cwd = repo, env = codex_env(repo) })
    assert.equal(143, r.code, r.stderr)
    assert.is_nil(io.open(repo .. "/codex.record")) -- codex never ran
    assert_interrupted_row(only_row(repo), "SIGTERM", "cxo")
  end)

  it("a structured command stopped during its capture writes its row", function()
    local r = h.cx({ "next", "sh", "-c", "kill -INT $PPID; exec sleep 300" }, { cwd = repo, env = codex_env(repo) })
    assert.equal(130, r.code, r.stderr)
    assert.is_nil(io.open(repo .. "/codex.record"))
    local row = only_row(repo)
    assert_interrupted_row(row, "SIGINT", "cxrs_next")
    assert.is_true(row.schema_enforced)
    assert.equal("next.schema.json", row.schema_name)
  end)

  it("fix-run stopped during its capture writes its row and runs nothing", function()
    local r = h.cx({ "fix-run", "sh", "-c", "kill -HUP $PPID" }, { cwd = repo,
      env = env({ CX_PROVIDER_ADAPTER = "mock", CXFIX_RUN = "1" }) })
    assert.equal(129, r.code, r.stderr)
    assert.equal("", r.stdout)
    assert_interrupted_row(only_row(repo), "SIGHUP", "cxrs_fix_run")
  end)

  it("a second SIGINT while cx is stopping ends it at once (children that ignore TERM stay)", function()
    local pidfile, termfile = repo .. "/child.pid", repo .. "/child.term"
    -- The captured command notes the TERM and keeps running; the interrupt grace is long.
    local script = string.format("trap 'echo term > %s' TERM; echo $$ > %s.tmp; mv %s.tmp %s; "
      .. "while :; do sleep 1; done", termfile, pidfile, pidfile, pidfile)
    local p = bg.start({ "cxo", "sh", "-c", script }, { cwd = repo,
      env = env({ CX_PROVIDER_ADAPTER = "mock", CX_INTERRUPT_GRACE_MS = "60000" }) })
    local child = bg.wait_for(function() return bg.file_number(pidfile) end)
    assert.is_truthy(child)
    p.signal("INT")
    assert.is_truthy(bg.wait_for(function() return io.open(termfile) end)) -- cx is stopping
    p.signal("INT")
    local r = p.wait()
    os.execute("kill -KILL -" .. child .. " 2>/dev/null") -- the documented leftover
    assert.equal("signal", r.how)
    assert.equal(130, r.code)
    assert.same({}, runlog_rows.all(repo))
  end)
end)
