-- `cx cxo` through the REAL Codex CLI (npm @openai/codex, pinned; tools/install-codex.sh) pointed at the
-- fixture server's Responses API on 127.0.0.1: stdout, tokens and the row; a server that fails with
-- HTTP 500; and one that hangs, which only our timeout ends.
local h = require "helpers.cli"
local fixture = require "helpers.fixture_server"
local codex_home = require "helpers.codex_home"
local json = require "cx.json"

local CODEX = os.getenv("CX_REAL_CODEX") or (h.root .. "/build/codex/node_modules/.bin/codex")

if not io.open(CODEX, "rb") then
  describe("cx over the real codex CLI", function()
    if os.getenv("CI") == "true" then
      it("is installed in CI", function() error("real codex not installed at " .. CODEX) end)
    else
      pending("real codex not installed (run tools/install-codex.sh)")
    end
  end)
  return
end

local function last_row(repo)
  local last
  for line in io.lines(repo .. "/.codex/cxlogs/runs.jsonl") do last = line end
  return json.decode(last)
end

describe("cx over the real codex CLI", function()
  local srv, home, repo

  local function setup(scenario, server_opts, home_opts)
    srv = fixture.start(scenario, server_opts)
    home = codex_home.make(srv.url .. "/v1", home_opts)
    repo = h.tmprepo()
  end

  local function cx(args, extra)
    local env = { CX_CODEX_BIN = CODEX, CX_PROVIDER_ADAPTER = false, CX_LLM_BACKEND = "codex" }
    for k, v in pairs(home.env) do env[k] = v end
    for k, v in pairs(extra or {}) do env[k] = v end
    return h.cx(args, { cwd = repo, env = env })
  end

  after_each(function()
    if srv then
      srv.stop()
      srv.remove()
    end
    if home then home.remove() end
    if repo then h.rm(repo) end
    srv, home, repo = nil, nil, nil
  end)

  it("prints the agent's reply and logs its tokens", function()
    setup("responses", { text = "real codex says hi", usage = { 321, 9 }, max_requests = 2 })
    local r = cx({ "cxo", "printf", "marker-0815" })
    assert.equal(0, r.code, r.stderr)
    assert.equal("real codex says hi\n", r.stdout)
    local row = last_row(repo)
    assert.equal("codex-cli", row.adapter_type)
    assert.equal("process", row.provider_transport)
    assert.equal(321, row.input_tokens)
    assert.equal(9, row.output_tokens)
    assert.is_true(row.schema_valid)
    local sent = srv.requests()[1].body
    assert.truthy(sent:find("marker-0815", 1, true), "the captured output reached the server")
  end)

  it("reports a failing server (HTTP 500) as a provider failure", function()
    setup("status", { status = 500, max_requests = 5 }, { request_max_retries = 0, stream_max_retries = 0 })
    local r = cx({ "cxo", "printf", "x" })
    assert.equal(1, r.code)
    local row = last_row(repo)
    assert.is_false(row.schema_valid)
    assert.equal("provider_error", row.failure_class)
    assert.is_false(row.timed_out)
  end)

  it("ends a hanging server's run with the LLM timeout", function()
    setup("hang", { max_requests = 5, max_seconds = 60 })
    local r = cx({ "cxo", "printf", "x" }, { CX_TIMEOUT_LLM_SECS = "3" })
    assert.equal(1, r.code)
    assert.matches("timed out after 3s", r.stderr)
    local row = last_row(repo)
    assert.is_true(row.timed_out)
    assert.equal(3, row.timeout_secs)
    assert.equal("codex exec --json -", row.command_label)
  end)
end)
