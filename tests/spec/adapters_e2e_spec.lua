-- The adapter contract end to end through the CLI: the same command gives the same stdout and the
-- same row fields (but transport fields) through codex (the fake CLI), ollama (the fake CLI), HTTP
-- (the fixture server on 127.0.0.1) and the mock; each adapter's failure classes; timeouts; secrets.
local h = require "helpers.cli"
local fake = require "helpers.fake_cli"
local fixture = require "helpers.fixture_server"
local json = require "cx.json"
local runlog_rows = require "helpers.runlog_rows"
local rows, last_row = runlog_rows.all, runlog_rows.last

local REPLY = "Hi! (fake model reply)"



local function with_env(base, extra)
  local e = {}
  for k, v in pairs(base) do e[k] = v end
  for k, v in pairs(extra or {}) do e[k] = v end
  return e
end

-- The four ways of getting the same reply; http needs a running server (url).
local function adapter_envs(url)
  return {
    mock = fake.env({ CX_PROVIDER_ADAPTER = "mock", CX_MOCK_PLAIN_RESPONSE = REPLY }),
    codex = fake.env({ CX_PROVIDER_ADAPTER = false, CX_LLM_BACKEND = "codex", FAKE_CODEX_SCENARIO = "ok" }),
    ollama = fake.env({ CX_PROVIDER_ADAPTER = false, CX_LLM_BACKEND = "ollama", CX_OLLAMA_MODEL = "llama3",
      FAKE_OLLAMA_SCENARIO = "ok", FAKE_OLLAMA_REPLY = REPLY }),
    http = fake.env({ CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_URL = url, CX_HTTP_PROVIDER_FORMAT = "openai" }),
  }
end

local TRANSPORT_FIELDS = {
  adapter_type = true, provider_transport = true, provider_status = true, http_provider_format = true,
  http_parser_mode = true, adapter_id = true, backend_used = true, llm_backend = true, backend_selected = true,
  llm_model = true, model_selected = true, route_reason = true, http_status = true,
  -- per-run values
  execution_id = true, timestamp = true, ts = true, duration_ms = true, cwd = true, repo_root = true,
  input_tokens = true, cached_input_tokens = true, effective_input_tokens = true, output_tokens = true,
}

describe("adapter parity", function()
  local repo, srv
  before_each(function()
    repo = h.tmprepo()
    srv = fixture.start("openai", { text = REPLY, max_requests = 10 })
  end)
  after_each(function()
    srv.stop()
    srv.remove()
    h.rm(repo)
  end)

  it("gives the same stdout and row fields through mock, codex, ollama and HTTP", function()
    local envs = adapter_envs(srv.url .. "/v1/chat/completions")
    local outs, rowset = {}, {}
    for _, name in ipairs({ "mock", "codex", "ollama", "http" }) do
      local r = h.cx({ "cxo", "printf", "parity prompt\\n" }, { cwd = repo, env = envs[name] })
      assert.equal(0, r.code, name .. ": " .. r.stderr)
      outs[name] = r.stdout
      rowset[name] = last_row(repo)
    end
    for _, name in ipairs({ "codex", "ollama", "http" }) do
      assert.equal(outs.mock, outs[name], name)
      for k, v in pairs(rowset.mock) do
        if not TRANSPORT_FIELDS[k] then assert.same(v, rowset[name][k], name .. " row field " .. k) end
      end
    end
    assert.equal(REPLY .. "\n", outs.mock)
    assert.equal("codex-cli", rowset.codex.adapter_type)
    assert.equal("process", rowset.codex.provider_transport)
    assert.equal("ollama-cli", rowset.ollama.adapter_type)
    assert.equal("http-curl", rowset.http.adapter_type)
    assert.equal("experimental", rowset.http.provider_status)
    assert.equal("openai", rowset.http.http_provider_format)
    assert.equal("openai_chat", rowset.http.http_parser_mode)
    assert.equal(200, rowset.http.http_status)
    assert.equal("mock", rowset.mock.provider_transport)
    assert.equal(json.null, rowset.mock.provider_status)
    assert.equal(9521, rowset.codex.input_tokens)
  end)

  it("gives the same `next` commands through every adapter", function()
    local envs = adapter_envs(srv.url .. "/v1/chat/completions")
    local commands = '{"commands":["git status","make test"]}'
    envs.mock.CX_MOCK_PLAIN_RESPONSE = commands
    envs.ollama.FAKE_OLLAMA_REPLY = commands
    envs.codex = fake.env({ CX_LLM_BACKEND = "codex", FAKE_CODEX_SCENARIO = "reply",
      FAKE_CODEX_REPLY = commands })
    srv.stop()
    srv = fixture.start("openai", { text = commands, max_requests = 10 })
    envs.http.CX_HTTP_PROVIDER_URL = srv.url .. "/v1/chat/completions"
    for _, name in ipairs({ "mock", "codex", "ollama", "http" }) do
      local r = h.cx({ "next", "true" }, { cwd = repo, env = envs[name] })
      assert.equal(0, r.code, name .. ": " .. r.stderr)
      assert.equal("git status\nmake test\n", r.stdout, name)
      local row = last_row(repo)
      assert.equal("cxrs_next", row.tool)
      assert.is_true(row.schema_enforced)
      assert.is_true(row.schema_valid)
      assert.equal("next.schema.json", row.schema_name)
    end
  end)
end)

describe("codex-cli adapter", function()
  local repo
  before_each(function() repo = h.tmprepo() end)
  after_each(function() h.rm(repo) end)

  local function run(scenario, extra, args)
    return h.cx(args or { "cxo", "echo", "hi" }, { cwd = repo,
      env = fake.env(with_env({ CX_PROVIDER_ADAPTER = false, FAKE_CODEX_SCENARIO = scenario }, extra)) })
  end

  it("parses the event stream: text, usage with cached tokens", function()
    local r = run("ok")
    assert.equal(0, r.code, r.stderr)
    assert.equal(REPLY .. "\n", r.stdout)
    local row = last_row(repo)
    assert.equal(9521, row.input_tokens)
    assert.equal(0, row.cached_input_tokens)
    assert.equal(9521, row.effective_input_tokens)
    assert.equal(5, row.output_tokens)
    assert.equal(json.null, row.timed_out)
  end)

  it("passes the raw JSONL through for cxj", function()
    local r = run("tool_call", nil, { "cxj", "echo", "hi" })
    assert.equal(0, r.code, r.stderr)
    assert.equal(fake.capture("tool_call"), r.stdout)
  end)

  it("treats turn.failed as a provider failure", function()
    local r = run("turn_failed")
    assert.equal(1, r.code)
    assert.matches("high demand", r.stderr)
    local row = last_row(repo)
    assert.equal("provider_error", row.failure_class)
    assert.is_false(row.schema_valid)
    assert.is_false(row.timed_out)
  end)

  it("names a usage limit quota_exhausted", function()
    assert.equal(1, run("usage_limit").code)
    assert.equal("quota_exhausted", last_row(repo).failure_class)
  end)

  it("keeps Reconnecting notices and still succeeds after recovery", function()
    local r = run("recovered")
    assert.equal(0, r.code, r.stderr)
  end)

  it("calls exit 0 without a terminal event incomplete", function()
    local r = run("no_terminal")
    assert.equal(1, r.code)
    assert.matches("without a terminal event", r.stderr)
    assert.equal("incomplete", last_row(repo).failure_class)
  end)

  it("reports a startup error with codex's own message", function()
    local r = run("startup_error")
    assert.equal(1, r.code)
    assert.matches("codex exited with status 1", r.stderr)
    assert.equal("process_exit", last_row(repo).failure_class)
  end)

  it("ends a codex that keeps reconnecting with our timeout, and says so", function()
    local r = run("conn_refused", { CX_TIMEOUT_LLM_SECS = "1", CX_CMD_TIMEOUT_SECS = "9" })
    assert.equal(1, r.code)
    assert.matches("codex exec %-%-json %- timed out after 1s", r.stderr)
    assert.matches("still retrying: Reconnecting", r.stderr)
    local row = last_row(repo)
    assert.is_true(row.timed_out)
    assert.equal(1, row.timeout_secs)
    assert.equal("codex exec --json -", row.command_label)
    assert.equal("timeout", row.failure_class)
  end)

  it("passes the prompt on stdin, never on argv", function()
    local rec = repo .. "/codex-record.jsonl"
    local r = run("ok", { FAKE_CODEX_RECORD = rec }, { "cxo", "printf", "secret-prompt-text" })
    assert.equal(0, r.code, r.stderr)
    local got = json.decode((h.slurp(rec):match("[^\n]+")))
    assert.same({ "exec", "--json", "-" }, { table.unpack(got.argv, #got.argv - 2) })
    assert.matches("secret%-prompt%-text", got.stdin)
    for _, a in ipairs(got.argv) do assert.is_nil(a:find("secret-prompt-text", 1, true)) end
  end)
end)

describe("ollama-cli adapter", function()
  local repo
  before_each(function() repo = h.tmprepo() end)
  after_each(function() h.rm(repo) end)

  local function run(extra)
    return h.cx({ "cxo", "echo", "hi" }, { cwd = repo, env = fake.env(with_env({ CX_PROVIDER_ADAPTER = false,
      CX_LLM_BACKEND = "ollama", CX_OLLAMA_MODEL = "llama3" }, extra)) })
  end

  it("fails clearly without a model", function()
    local r = run({ CX_OLLAMA_MODEL = false })
    assert.equal(1, r.code)
    assert.matches("ollama model is unset", r.stderr)
    local row = last_row(repo)
    assert.equal("ollama-cli", row.adapter_type)
    assert.equal("config_error", row.failure_class)
  end)

  it("names an unreachable server", function()
    local r = run({ FAKE_OLLAMA_SCENARIO = "not_running" })
    assert.equal(1, r.code)
    assert.matches("could not connect", r.stderr)
    assert.equal("transport_unreachable", last_row(repo).failure_class)
  end)

  it("treats the cloud sign-in notice (exit 0) as a provider error", function()
    local r = run({ FAKE_OLLAMA_SCENARIO = "cloud_signin" })
    assert.equal(1, r.code)
    assert.matches("signed in to Ollama", r.stderr)
    assert.equal("provider_error", last_row(repo).failure_class)
  end)

  it("times out a hanging ollama and logs the backend", function()
    local r = run({ FAKE_OLLAMA_SCENARIO = "hang", CX_CMD_TIMEOUT_SECS = "1" })
    assert.equal(1, r.code)
    local row = last_row(repo)
    assert.equal("ollama", row.backend_used)
    assert.is_true(row.timed_out)
    assert.equal(1, row.timeout_secs)
    assert.is_false(row.schema_valid)
  end)
end)

describe("http-curl adapter", function()
  local repo
  before_each(function() repo = h.tmprepo() end)
  after_each(function() h.rm(repo) end)

  local function run(srv, format, extra, args)
    return h.cx(args or { "cxo", "echo", "hi" }, { cwd = repo, env = with_env({ CX_PROVIDER_ADAPTER = "http",
      CX_HTTP_PROVIDER_URL = srv.url .. (format == "openai" and "/v1/chat/completions" or
        format == "ollama" and "/api/generate" or "/infer"),
      CX_HTTP_PROVIDER_FORMAT = format }, extra) })
  end

  for _, case in ipairs({
    { "openai", "openai", false }, { "openai", "openai", true },
    { "ollama", "ollama", false }, { "ollama", "ollama", true },
    { "text", "text", false }, { "jsonl", "jsonl", false },
  }) do
    local scenario, format, stream = case[1], case[2], case[3]
    it("speaks " .. format .. (stream and " streamed" or ""), function()
      local srv = fixture.start(scenario, { text = REPLY, max_requests = 2 })
      local r = run(srv, format, { CX_HTTP_PROVIDER_STREAM = stream and "1" or false })
      local reqs = srv.requests()
      srv.stop()
      srv.remove()
      assert.equal(0, r.code, r.stderr)
      assert.equal(REPLY .. "\n", r.stdout)
      assert.equal("POST", reqs[1].method)
      if format == "openai" or format == "ollama" then
        assert.equal(stream, reqs[1].json.stream)
      end
    end)
  end

  it("sends the bearer token and keeps it out of rows, messages and quarantine", function()
    local token = "tok-SECRET-12345"
    local srv = fixture.start("status", { status = 500, max_requests = 4,
      body = '{"error":{"message":"bad token tok-SECRET-12345"}}' })
    local r = run(srv, "json", { CX_HTTP_PROVIDER_TOKEN = token })
    local r2 = run(srv, "json", { CX_HTTP_PROVIDER_TOKEN = token }, { "next", "true" })
    local reqs = srv.requests()
    srv.stop()
    srv.remove()
    assert.equal(1, r.code)
    assert.equal(1, r2.code)
    assert.equal("Bearer " .. token, reqs[1].headers.authorization)
    assert.is_nil(r.stderr:find(token, 1, true))
    assert.is_nil(r2.stderr:find(token, 1, true))
    assert.matches("REDACTED", r.stderr)
    local all = h.slurp(repo .. "/.codex/cxlogs/runs.jsonl")
    assert.is_nil(all:find(token, 1, true))
    local p = io.popen("cat " .. h.quote(repo) .. "/.codex/quarantine/*.json 2>/dev/null")
    local q = p:read("a")
    p:close()
    assert.is_nil(q:find(token, 1, true))
    assert.equal("server_error", last_row(repo).failure_class)
    assert.equal(500, last_row(repo).http_status)
  end)

  it("classifies 429, other statuses and refused connections", function()
    local srv = fixture.start("status", { status = 429, max_requests = 2 })
    run(srv, "text")
    srv.stop()
    srv.remove()
    assert.equal("rate_limited", last_row(repo).failure_class)
    srv = fixture.start("status", { status = 404, max_requests = 2 })
    local r = run(srv, "text")
    srv.stop()
    srv.remove()
    assert.matches("http provider %[http_status%]", r.stderr)
    r = run({ url = "http://127.0.0.1:9" }, "text")
    assert.matches("http provider %[transport_unreachable%]", r.stderr)
    assert.equal("transport_unreachable", last_row(repo).failure_class)
  end)

  it("fails on every redirect (3xx) with its own class, naming the status and the host only", function()
    for _, status in ipairs({ 301, 302, 307, 308 }) do
      local srv = fixture.start("status", { status = status, max_requests = 3,
        location = "https://user:pa55word@mirror.example:8443/v1/chat?api_key=abc",
        body = "<html>moved, and not the model's reply</html>" })
      for _, format in ipairs({ "text", "openai" }) do
        local r = run(srv, format)
        assert.equal(1, r.code, r.stderr)
        assert.equal("", r.stdout)
        assert.equal(string.format("cx cxo: http provider [http_redirect] HTTP status %d (redirect to host "
          .. "mirror.example:8443; cx does not follow redirects)\n", status), r.stderr)
        local row = last_row(repo)
        assert.equal("http_redirect", row.failure_class)
        assert.equal(status, row.http_status)
        assert.is_nil(h.slurp(repo .. "/.codex/cxlogs/runs.jsonl"):find("pa55word", 1, true))
      end
      local reqs = srv.requests()
      srv.stop()
      srv.remove()
      assert.equal(2, #reqs) -- one request per run: nothing followed
    end
  end)

  it("times out a server that never answers, with the LLM timeout", function()
    local srv = fixture.start("hang", { max_requests = 2, max_seconds = 20 })
    local r = run(srv, "text", { CX_TIMEOUT_LLM_SECS = "1" })
    srv.stop()
    srv.remove()
    assert.equal(1, r.code)
    assert.matches("timed out after 1s", r.stderr)
    local row = last_row(repo)
    assert.is_true(row.timed_out)
    assert.equal(1, row.timeout_secs)
  end)

  it("answers once a stream ends, even when the server keeps the connection open", function()
    local core = require "cx.core"
    local srv = fixture.start("openai", { text = REPLY, fault = "linger", max_requests = 2, max_seconds = 60 })
    local t0 = core.loop.monotonic_ms()
    local r = run(srv, "openai", { CX_HTTP_PROVIDER_STREAM = "1", CX_TIMEOUT_LLM_SECS = "30" })
    local elapsed = core.loop.monotonic_ms() - t0
    srv.stop()
    srv.remove()
    assert.equal(0, r.code, r.stderr)
    assert.equal(REPLY .. "\n", r.stdout)
    assert.is_true(elapsed < 15000, "took " .. elapsed .. "ms: waited for the idle/LLM timeout")
    assert.is_not_true(last_row(repo).timed_out)
  end)

  it("fails at once on an in-band stream error, even when the server keeps the connection open", function()
    local core = require "cx.core"
    local srv = fixture.start("ollama", { raw = true, fault = "linger", max_requests = 2, max_seconds = 60,
      body = '{"response":"par","done":false}\n{"error":"model crashed"}\n' })
    local t0 = core.loop.monotonic_ms()
    local r = run(srv, "ollama", { CX_HTTP_PROVIDER_STREAM = "1", CX_TIMEOUT_LLM_SECS = "30" })
    local elapsed = core.loop.monotonic_ms() - t0
    srv.stop()
    srv.remove()
    assert.equal(1, r.code)
    assert.matches("provider_error", r.stderr)
    assert.matches("model crashed", r.stderr)
    assert.is_true(elapsed < 15000, "took " .. elapsed .. "ms: waited for the idle/LLM timeout")
    assert.equal("provider_error", last_row(repo).failure_class)
  end)

  it("rejects malformed envelopes with their class", function()
    local srv = fixture.start("text", { body = "{not-json", max_requests = 2 })
    local r = run(srv, "json")
    srv.stop()
    srv.remove()
    assert.equal(1, r.code)
    assert.matches("http_json_invalid", r.stderr)
    srv = fixture.start("text", { body = '{"unexpected":"shape"}', max_requests = 2 })
    r = run(srv, "jsonl")
    srv.stop()
    srv.remove()
    assert.equal(1, r.code)
    assert.matches("item.completed", r.stderr)
  end)
end)

describe("mock adapter end to end", function()
  local repo
  before_each(function() repo = h.tmprepo() end)
  after_each(function() h.rm(repo) end)

  local function run(extra, args)
    return h.cx(args or { "cxo", "echo", "hi" },
      { cwd = repo, env = with_env({ CX_PROVIDER_ADAPTER = "mock" }, extra) })
  end

  it("injects each failure class", function()
    for kind, class in pairs({ timeout = "timeout", unreachable = "transport_unreachable",
      rate_limited = "rate_limited", server_error = "server_error", incomplete = "incomplete" }) do
      local r = run({ CX_MOCK_FAIL = kind })
      assert.equal(1, r.code, kind)
      assert.equal(class, last_row(repo).failure_class, kind)
    end
    local timed_out = 0
    for _, row in ipairs(rows(repo)) do
      if row.timed_out == true then timed_out = timed_out + 1 end
    end
    assert.equal(1, timed_out)
  end)

  it("fails a CX_MOCK_JSONL_RESPONSE that is not a JSONL stream with its class", function()
    for _, case in ipairs({ { "notjson", "jsonl_invalid" },
      { '{"type":"turn.completed"}', "jsonl_missing_item_completed" } }) do
      for _, cmd in ipairs({ "cxj", "cxo" }) do
        local r = run({ CX_MOCK_JSONL_RESPONSE = case[1] }, { cmd, "true" })
        assert.equal(1, r.code, cmd .. " " .. case[1])
        assert.equal("", r.stdout)
        assert.matches("^cx " .. cmd .. ": mock CX_MOCK_JSONL_RESPONSE %[" .. case[2] .. "%]", r.stderr)
        assert.equal(case[2], last_row(repo).failure_class)
      end
    end
  end)

  it("quarantines a malformed reply of a structured command", function()
    local r = run({ CX_MOCK_FAIL = "malformed" }, { "next", "true" })
    assert.equal(1, r.code)
    assert.matches("schema validation failed; quarantine_id=", r.stderr)
    local row = last_row(repo)
    assert.is_false(row.schema_valid)
    assert.is_string(row.quarantine_id)
    assert.equal(2, row.schema_attempt)
    assert.truthy(io.open(repo .. "/.codex/quarantine/" .. row.quarantine_id .. ".json"))
  end)

  it("logs adapter failures of structured commands", function()
    local r = run({ CX_MOCK_FAIL = "unreachable" }, { "next", "true" })
    assert.equal(1, r.code)
    local row = last_row(repo)
    assert.equal("cxrs_next", row.tool)
    assert.is_true(row.schema_enforced)
    assert.is_false(row.schema_valid)
    assert.equal(json.null, row.quarantine_id)
    assert.equal("transport_unreachable", row.failure_class)
  end)

  it("writes unique execution ids", function()
    for _ = 1, 5 do run() end
    local seen = {}
    for _, row in ipairs(rows(repo)) do
      assert.is_nil(seen[row.execution_id])
      seen[row.execution_id] = true
    end
  end)
end)

describe("codex-cli outside a repository", function()
  it("tells codex the repository check is cx's", function()
    local dir, home = h.tmpdir(), h.tmpdir()
    local rec = dir .. "/rec.jsonl"
    local r = h.cx({ "cxo", "true" }, { cwd = dir, env = fake.env({ CX_PROVIDER_ADAPTER = false, HOME = home,
      FAKE_CODEX_SCENARIO = "ok", FAKE_CODEX_RECORD = rec }) })
    local got = json.decode((h.slurp(rec):match("[^\n]+")))
    h.rm(dir)
    h.rm(home)
    assert.equal(0, r.code, r.stderr)
    assert.same({ "exec", "--json", "--skip-git-repo-check", "-" }, got.argv)
  end)
end)

describe("an unwritable run log", function()
  it("keeps the command running and warns once", function()
    local repo = h.tmprepo()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/cxlogs/runs.jsonl"))
    local r = h.cx({ "cxo", "true" }, { cwd = repo, env = { CX_PROVIDER_ADAPTER = "mock" } })
    h.rm(repo)
    assert.equal(0, r.code)
    assert.equal('{"commands":["echo mock"]}\n', r.stdout)
    assert.matches("^cx cxo: warning: 1 run%-log row%(s%) not written: .*runs%.jsonl", r.stderr)
  end)
end)
