-- Secrets end to end (issue #12 item 1): a configured secret never reaches the run log, quarantine
-- files, schema_failures rows, messages or the prompt a provider receives; cx's own token is not in
-- the environment of the commands it runs.
local h = require "helpers.cli"
local fixture = require "helpers.fixture_server"
local json = require "cx.json"
local runlog_rows = require "helpers.runlog_rows"

local TOKEN = "tok-Secret-0123456789"
local APP = "app-secret-ABCDEFGH"

-- Every file cx wrote under .codex/, concatenated.
local function everything(repo)
  local p = io.popen("find " .. h.quote(repo .. "/.codex") .. " -type f -exec cat {} + 2>/dev/null")
  local s = p:read("a")
  p:close()
  return s
end

describe("secrets", function()
  local repo
  before_each(function() repo = h.tmprepo() end)
  after_each(function() h.rm(repo) end)

  local function cx(args, env)
    local e = { CX_PROVIDER_ADAPTER = "mock", CX_HTTP_PROVIDER_TOKEN = TOKEN, MYAPP_TOKEN = APP }
    for k, v in pairs(env or {}) do e[k] = v end
    return h.cx(args, { cwd = repo, env = e })
  end

  it("keeps cx's token out of the captured command's environment and every secret out of the row", function()
    local r = cx({ "cxo", "printenv", "CX_HTTP_PROVIDER_TOKEN" })
    assert.equal(1, r.code) -- printenv: not set
    local row = runlog_rows.last(repo)
    assert.equal("", row.prompt_preview)
    r = cx({ "cxo", "sh", "-c", "echo app=$MYAPP_TOKEN; echo cx=${CX_HTTP_PROVIDER_TOKEN:-unset}" })
    assert.equal(0, r.code, r.stderr)
    row = runlog_rows.last(repo)
    assert.equal("app=[REDACTED:MYAPP_TOKEN]\ncx=unset", row.prompt_preview)
    local all = everything(repo)
    assert.is_nil(all:find(TOKEN, 1, true))
    assert.is_nil(all:find(APP, 1, true))
  end)

  it("redacts the quarantine file (prompt, attempts, raw reply) and the schema_failures row", function()
    local r = cx({ "next", "sh", "-c", "echo $MYAPP_TOKEN" },
      { CX_MOCK_PLAIN_RESPONSE = "not json, but it knows " .. APP .. " and " .. TOKEN })
    assert.equal(1, r.code)
    assert.matches("quarantine_id=", r.stderr)
    assert.is_nil(r.stderr:find(APP, 1, true))
    assert.matches("REDACTED:MYAPP_TOKEN", r.stderr)
    local p = io.popen("cat " .. h.quote(repo) .. "/.codex/quarantine/*.json")
    local q = json.decode(p:read("a"))
    p:close()
    assert.matches("%[REDACTED:MYAPP_TOKEN%]", q.prompt)
    assert.equal(2, #q.attempts)
    for _, a in ipairs(q.attempts) do
      assert.matches("%[REDACTED:MYAPP_TOKEN%]", a.prompt)
      assert.equal("not json, but it knows [REDACTED:MYAPP_TOKEN] and [REDACTED:CX_HTTP_PROVIDER_TOKEN]",
        a.raw_response)
    end
    local all = everything(repo)
    assert.is_nil(all:find(TOKEN, 1, true))
    assert.is_nil(all:find(APP, 1, true))
  end)

  it("never sends a secret to the provider, even one typed on the command line", function()
    local srv = fixture.start("openai", { echo = true, max_requests = 2 })
    local r = cx({ "cxo", "echo", "arg:" .. APP }, { CX_PROVIDER_ADAPTER = "http",
      CX_HTTP_PROVIDER_URL = srv.url .. "/v1/chat/completions", CX_HTTP_PROVIDER_FORMAT = "openai" })
    local reqs = srv.requests()
    srv.stop()
    srv.remove()
    assert.equal(0, r.code, r.stderr)
    assert.equal("echo: arg:[REDACTED:MYAPP_TOKEN]\n", r.stdout)
    assert.equal("Bearer " .. TOKEN, reqs[1].headers.authorization) -- the one place it must go
    assert.is_nil(reqs[1].body:find(APP, 1, true))
    assert.is_nil(everything(repo):find(APP, 1, true))
  end)

  it("redacts messages on stderr, whatever printed them", function()
    local r = cx({ "cxo", "/nonexistent/" .. APP })
    assert.equal(1, r.code)
    assert.is_nil(r.stderr:find(APP, 1, true))
    assert.matches("/nonexistent/%[REDACTED:MYAPP_TOKEN%]", r.stderr)
    local id = TOKEN:gsub("[^%w]", "_")
    r = cx({ "quarantine", "show", id }, { CX_SECRET_ENV = "ID", ID = id })
    assert.equal(1, r.code)
    assert.equal("cx quarantine show: quarantine id not found: [REDACTED:ID]\n", r.stderr)
  end)

  it("leaves the provider keys codex needs in its environment, and removes cx's token", function()
    local bin = repo .. "/bin"
    os.execute("mkdir -p " .. h.quote(bin))
    h.write(bin .. "/codex", [[#!/bin/sh
cat >/dev/null
printf '{"type":"item.completed","item":{"type":"agent_message","text":"cx=%s openai=%s"}}\n' \
  "${CX_HTTP_PROVIDER_TOKEN:-unset}" "${OPENAI_API_KEY:-unset}"
printf '{"type":"turn.completed","usage":{"input_tokens":1,"cached_input_tokens":0,"output_tokens":1}}\n'
]])
    os.execute("chmod +x " .. h.quote(bin .. "/codex"))
    local r = cx({ "cxo", "true" }, { CX_PROVIDER_ADAPTER = false, CX_LLM_BACKEND = "codex",
      OPENAI_API_KEY = "sk-openai-0123456789", PATH = bin .. ":" .. os.getenv("PATH") })
    assert.equal(0, r.code, r.stderr)
    -- codex saw its key (printed redacted: stdout passes the same pass) and not cx's token
    assert.equal("cx=unset openai=[REDACTED:OPENAI_API_KEY]\n", r.stdout)
  end)

  it("ignores values shorter than 8 characters", function()
    local r = cx({ "cxo", "echo", "short" }, { SHORT_TOKEN = "short" })
    assert.equal(0, r.code)
    assert.equal("short", runlog_rows.last(repo).prompt_preview)
  end)
end)
