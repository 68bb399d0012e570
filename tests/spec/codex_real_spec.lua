-- The real Codex CLI (npm @openai/codex, installed into build/codex by tools/install-codex.sh)
-- against the fixture server's Responses API on 127.0.0.1. This pins what our codex adapter relies
-- on (codex-cli.md): the JSONL events, usage, failures, and that a silent server needs our timeout.
local h = require "helpers.cli"
local fs = require "helpers.fixture_server"
local codex_home = require "helpers.codex_home"
local json = require "cx.json"

local CODEX = os.getenv("CX_REAL_CODEX") or (h.root .. "/build/codex/node_modules/.bin/codex")

if not io.open(CODEX, "rb") then
  describe("real codex CLI", function()
    if os.getenv("CI") == "true" then
      it("is installed in CI", function()
        error("real codex not installed at " .. CODEX .. " (tools/install-codex.sh failed?)")
      end)
    else
      pending("not installed (" .. CODEX .. "): run tools/install-codex.sh to test against the real codex")
    end
  end)
  return
end

--- Runs `codex exec --json -` with prompt on stdin under a watchdog: timeout(1) sends SIGTERM after
--- `seconds` and SIGKILL 2 s later (codex never ends by itself when the server is silent).
local function codex_exec(home, prompt, seconds, workdir)
  return h.run({ "--kill-after=2", tostring(seconds), CODEX, "exec", "--json", "--skip-git-repo-check",
    "--ephemeral", "-" }, { bin = "timeout", env = home.env, stdin = prompt, cwd = workdir })
end

local function events(stdout)
  local out = {}
  for line in stdout:gmatch("[^\n]+") do out[#out + 1] = assert(json.decode(line), line) end
  return out
end

local function types(evs)
  local t = {}
  for i, e in ipairs(evs) do t[i] = e.type end
  return t
end

--- Text of the last user message codex sent (its prompt comes after codex's own context items).
local function last_user_text(req)
  local text
  for _, item in ipairs(req.json.input) do
    if item.role == "user" then
      text = ""
      for _, part in ipairs(item.content) do text = text .. (part.text or "") end
    end
  end
  return text
end

describe("real codex CLI against the fixture server", function()
  local srv, home, workdir

  local function setup(scenario, server_opts, home_opts)
    srv = fs.start(scenario, server_opts)
    home = codex_home.make(srv.url .. "/v1", home_opts)
    workdir = h.tmpdir()
  end

  after_each(function()
    if srv then srv.remove() end
    if home then home.remove() end
    if workdir then h.rm(workdir) end
    srv, home, workdir = nil, nil, nil
  end)

  it("is the pinned version", function()
    local r = h.run({ "--version" }, { bin = CODEX })
    assert.equal(0, r.code)
    assert.equal("codex-cli 0.169.0\n", r.stdout)
  end)

  it("answers with the server's text and usage, and sends the prompt", function()
    setup("responses", { echo = true, usage = { 123, 7 }, max_requests = 1 })
    local r = codex_exec(home, "marker-4711 say hi", 60, workdir)
    assert.equal(0, r.code, r.stderr)
    local evs = events(r.stdout)
    assert.same({ "thread.started", "turn.started", "item.completed", "turn.completed" }, types(evs))
    assert.is_string(evs[1].thread_id)
    assert.equal("agent_message", evs[3].item.type)
    assert.equal("echo: marker-4711 say hi", evs[3].item.text)
    local usage = evs[4].usage
    assert.equal(123, usage.input_tokens)
    assert.equal(7, usage.output_tokens)
    assert.equal(0, usage.cached_input_tokens)

    local reqs = srv.requests()
    assert.equal(1, #reqs)
    assert.equal("POST", reqs[1].method)
    assert.equal("/v1/responses", reqs[1].path)
    assert.equal("Bearer fixture-key", reqs[1].headers.authorization)
    assert.equal("text/event-stream", reqs[1].headers.accept)
    assert.is_true(reqs[1].json.stream)
    assert.equal("gpt-5.5", reqs[1].json.model)
    assert.equal("marker-4711 say hi", last_user_text(reqs[1]))
  end)

  it("takes the reply text from --body and survives a slow stream", function()
    setup("responses", { body = "multi word reply from a file", delay_ms = 50, max_requests = 1 })
    local r = codex_exec(home, "x", 60, workdir)
    assert.equal(0, r.code, r.stderr)
    local evs = events(r.stdout)
    assert.equal("multi word reply from a file", evs[3].item.text)
  end)

  it("fails the turn on HTTP 500 when retries are off", function()
    setup("responses", { status = 500 }, { request_max_retries = 0, stream_max_retries = 0 })
    local r = codex_exec(home, "say hi", 60, workdir)
    assert.equal(1, r.code)
    local evs = events(r.stdout)
    assert.same({ "thread.started", "turn.started", "error", "turn.failed" }, types(evs))
    assert.equal(evs[3].message, evs[4].error.message)
    assert.matches("high demand", evs[4].error.message)
    assert.equal(1, #srv.requests())
  end)

  it("retries HTTP 500 silently and recovers (fail-first 2)", function()
    setup("responses", { fail_first = 2 }, { stream_max_retries = 0 })
    local r = codex_exec(home, "say hi", 60, workdir)
    assert.equal(0, r.code, r.stderr)
    local evs = events(r.stdout)
    assert.same({ "thread.started", "turn.started", "item.completed", "turn.completed" }, types(evs))
    assert.equal("Hi! (fake model reply)", evs[3].item.text)
    assert.equal(3, #srv.requests())
  end)

  it("reports a dropped stream as a turn failure", function()
    setup("responses", { fault = "drop" }, { request_max_retries = 0, stream_max_retries = 0 })
    local r = codex_exec(home, "say hi", 60, workdir)
    assert.equal(1, r.code)
    local evs = events(r.stdout)
    assert.equal("turn.failed", evs[#evs].type)
    assert.matches("stream disconnected before completion", evs[#evs].error.message)
  end)

  it("reports response.failed with the server's message", function()
    setup("responses", { fault = "error" }, { request_max_retries = 0, stream_max_retries = 0 })
    local r = codex_exec(home, "say hi", 60, workdir)
    assert.equal(1, r.code)
    local evs = events(r.stdout)
    assert.equal("turn.failed", evs[#evs].type)
    assert.matches("The model failed to generate a response %(fake%)", evs[#evs].error.message)
  end)

  it("applies stream_idle_timeout_ms once the stream has started (stall)", function()
    setup("responses", { fault = "stall" },
      { request_max_retries = 0, stream_max_retries = 0, stream_idle_timeout_ms = 1000 })
    local r = codex_exec(home, "say hi", 30, workdir)
    assert.equal(1, r.code)
    local evs = events(r.stdout)
    assert.equal("turn.failed", evs[#evs].type)
    assert.matches("idle timeout waiting for SSE", evs[#evs].error.message)
  end)

  it("never ends against a hanging server: our timeout must stop it", function()
    setup("hang", {}, { request_max_retries = 0, stream_max_retries = 0, stream_idle_timeout_ms = 1000 })
    local r = codex_exec(home, "say hi", 5, workdir)
    assert.equal(124, r.code, r.stderr .. r.stdout) -- timeout(1): the watchdog fired
    local evs = events(r.stdout)
    assert.same({ "thread.started", "turn.started" }, types(evs))
    assert.equal(1, #srv.requests())
  end)
end)
