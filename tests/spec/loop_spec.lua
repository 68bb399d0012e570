local core = require "cx.core"

-- Runs the loop until every job has completed; returns the completions by id.
local function drain(loop)
  local done = {}
  while loop:pending() > 0 do
    for _, c in ipairs(loop:wait(20000)) do done[c.id] = c end
  end
  for _, c in ipairs(loop:wait(0)) do done[c.id] = c end
  return done
end

local function closed_port_url()
  -- Port 9 (discard) on loopback: nothing listens there in the test environments we run in.
  return "http://127.0.0.1:9/x"
end

-- curl honours proxy variables; with one set, a loopback request would go to the proxy.
local function proxy_set()
  for _, name in ipairs { "http_proxy", "HTTP_PROXY", "all_proxy", "ALL_PROXY" } do
    if (os.getenv(name) or "") ~= "" then return true end
  end
  return false
end

describe("cx.core.loop", function()
  it("runs a process and collects its output and status", function()
    local loop = core.loop.new()
    local a = loop:spawn { argv = { "sh", "-c", "printf out; printf err >&2; exit 4" } }
    local b = loop:spawn { argv = { "printf", "hi" } }
    assert.equal("integer", math.type(a))
    assert.equal(2, loop:pending())
    local done = drain(loop)
    assert.same("process", done[a].kind)
    assert.is_false(done[a].ok)
    assert.equal(4, done[a].exit_code)
    assert.is_nil(done[a].signal)
    assert.equal("out", done[a].stdout)
    assert.equal("err", done[a].stderr)
    assert.equal("exit_status", done[a].class)
    assert.is_true(done[b].ok)
    assert.equal("hi", done[b].stdout)
    assert.is_nil(done[b].class)
    assert.is_true(done[b].duration_ms >= 0)
    loop:close()
  end)

  it("passes the environment, the working directory and stdin", function()
    local loop = core.loop.new()
    local prompt = string.rep("0123456789", 300000) -- 3 MB, far beyond a pipe buffer
    local env = loop:spawn {
      argv = { "sh", "-c", 'printf "%s|%s|%s" "$CX_LOOP_A" "${HOME-unset}" "$(pwd)"' },
      env_set = { CX_LOOP_A = "a value" }, env_unset = { "HOME" }, cwd = "/tmp",
    }
    local wc = loop:spawn { argv = { "wc", "-c" }, stdin = prompt, timeout_ms = 20000 }
    local done = drain(loop)
    assert.equal("a value|unset|/tmp", done[env].stdout)
    assert.equal(#prompt, tonumber(done[wc].stdout))
    assert.equal(#prompt, done[wc].stdin_written)
    loop:close()
  end)

  it("times out a child that never reads its prompt and kills its group", function()
    local loop = core.loop.new()
    local t0 = core.loop.monotonic_ms()
    local id = loop:spawn {
      argv = { "sleep", "30" }, stdin = string.rep("x", 10 * 1024 * 1024), timeout_ms = 200, grace_ms = 2000,
    }
    local done = drain(loop)
    local c = done[id]
    assert.is_true(c.timed_out)
    assert.equal("timeout", c.class)
    assert.equal(15, c.signal)
    assert.is_true(c.stdin_written < 10 * 1024 * 1024)
    assert.is_true(core.loop.monotonic_ms() - t0 < 2000)
    loop:close()
  end)

  it("reports a missing program as spawn_failed with the OS error", function()
    local loop = core.loop.new()
    local id = loop:spawn { argv = { "cx-no-such-program-anywhere" } }
    local c = drain(loop)[id]
    assert.is_false(c.ok)
    assert.equal("spawn_failed", c.class)
    assert.truthy(c.error:find("No such file or directory", 1, true))
    assert.is_nil(c.exit_code)
    loop:close()
  end)

  it("runs timers, waits with a timeout and cancels", function()
    local loop = core.loop.new()
    local quick = loop:timer(10)
    local long = loop:timer(60000)
    local t0 = core.loop.monotonic_ms()
    local first = loop:wait(5000)
    assert.equal(1, #first)
    assert.equal(quick, first[1].id)
    assert.equal("timer", first[1].kind)
    assert.is_true(first[1].ok)
    assert.same({}, loop:wait(30))
    assert.is_true(core.loop.monotonic_ms() - t0 >= 30)
    local sleeper = loop:spawn { argv = { "sleep", "300" }, timeout_ms = math.maxinteger }
    local forever = loop:timer(math.maxinteger) -- means never, without overflowing
    assert.same({}, loop:wait(10))
    assert.is_true(loop:cancel(forever))
    assert.is_true(loop:cancel(long))
    assert.is_true(loop:cancel(sleeper))
    local ok, msg, class = loop:cancel(123456)
    assert.is_nil(ok)
    assert.equal("no such job", msg)
    assert.equal("invalid_argument", class)
    local done = drain(loop)
    assert.equal("cancelled", done[long].class)
    assert.equal("cancelled", done[sleeper].class)
    loop:close()
    assert.has_error(function() loop:pending() end, "the loop is closed")
  end)

  it("classifies an unreachable server and never echoes the token", function()
    if proxy_set() then
      pending("a proxy is configured in the environment")
      return
    end
    local loop = core.loop.new()
    local token = "cx-spec-token-31337"
    local id = loop:http { url = closed_port_url(), method = "POST", body = "hi", bearer = token,
                           headers = { "Content-Type: text/plain" }, total_timeout_ms = 5000 }
    local c = drain(loop)[id]
    assert.equal("http", c.kind)
    assert.is_false(c.ok)
    assert.equal("transport_unreachable", c.class)
    assert.is_nil(c.status)
    assert.falsy(c.error:find(token, 1, true))
    local none, msg, class = loop:http { url = "ftp://127.0.0.1/", bearer = token }
    assert.is_nil(none)
    assert.equal("invalid_request", class)
    assert.falsy(msg:find(token, 1, true))
    loop:close()
  end)

  it("parses a streamed reply as it arrives and stops at the terminal marker", function()
    if proxy_set() then
      pending("a proxy is configured in the environment")
      return
    end
    local fixture = require "helpers.fixture_server"
    -- linger: the whole SSE stream, [DONE] included, then the connection stays open
    local srv = fixture.start("openai", { fault = "linger", text = "streamed reply", max_requests = 2 })
    local loop = core.loop.new()
    local req = { url = srv.url .. "/v1/chat/completions", method = "POST",
                  headers = { "Content-Type: application/json" }, body = '{"stream":true}',
                  idle_timeout_ms = 20000, total_timeout_ms = 30000, envelope = "openai" }
    local t0 = core.loop.monotonic_ms()
    local id = loop:http(req)
    local c = drain(loop)[id]
    local elapsed = core.loop.monotonic_ms() - t0
    req.envelope, req.idle_timeout_ms = nil, 300
    local plain_id = loop:http(req)
    local plain = drain(loop)[plain_id]
    srv.stop()
    srv.remove()
    loop:close()
    assert.is_true(c.ok)
    assert.is_true(c.stopped_early)
    assert.is_true(elapsed < 10000)
    assert.same(core.envelope.parse("openai", c.body), c.envelope)
    assert.equal("streamed reply", c.envelope.text)
    assert.equal("done", c.envelope.terminal)
    -- without the parser the same reply only ends with the idle timeout
    assert.equal("idle", plain.timeout_phase)
    assert.is_nil(plain.envelope)
    assert.has_error(function() loop:http { url = "http://127.0.0.1:9/", envelope = "nope" } end)
  end)

  it("rejects malformed specs", function()
    local loop = core.loop.new()
    assert.has_error(function() loop:spawn { argv = {} } end)
    assert.has_error(function() loop:spawn { argv = { "true" }, env_set = { ["A=B"] = "x" } } end)
    assert.has_error(function() loop:spawn { argv = { "true" }, timeout_ms = -1 } end)
    assert.has_error(function() loop:http { method = "GET" } end)
    loop:close()
  end)

  it("is closed by to-be-closed variables, killing what is left", function()
    local pidfile = os.tmpname()
    do
      local loop <close> = core.loop.new()
      loop:spawn { argv = { "sh", "-c", "echo $$ > " .. pidfile .. "; exec sleep 300" } }
      loop:wait(300)
    end
    local f = assert(io.open(pidfile))
    local pid = f:read("n")
    f:close()
    os.remove(pidfile)
    assert.is_number(pid)
    -- the loop reaped it: no such process (or, at most, not ours any more)
    local alive = os.execute("kill -0 " .. math.tointeger(pid) .. " 2>/dev/null")
    assert.falsy(alive)
  end)
end)
