-- The README's troubleshooting section quotes what cx prints for the first errors a user meets.
-- Each quoted block (after a `<!-- troubleshooting: ID -->` marker) is checked against what cx
-- really prints in that situation, set up here (no network: a missing binary, the fixture server on
-- 127.0.0.1, a closed port, the fake codex): every line of the block must be a line of cx's stderr,
-- or its beginning (the README says where the tail varies).
local h = require "helpers.cli"
local lr = require "helpers.log_repo"
local fixture = require "helpers.fixture_server"

local README = h.slurp(h.root .. "/README.md")

-- id -> the lines of its quoted block
local function quoted()
  local out = {}
  for id, block in README:gmatch("<!%-%- troubleshooting: ([%w-]+) %-%->%s*```text\n(.-)```") do
    local lines = {}
    for l in block:gmatch("([^\n]+)") do lines[#lines + 1] = l end
    out[id] = lines
  end
  return out
end

local BLOCKS = quoted()

local function env(extra)
  local e = { CX_HTTP_PROVIDER_URL = false, CX_HTTP_PROVIDER_FORMAT = false, CX_HTTP_PROVIDER_MODEL = false,
    CX_HTTP_PROVIDER_TOKEN = false, CX_CODEX_BIN = false, CX_OLLAMA_BIN = false, FAKE_CODEX_SCENARIO = false }
  for k, v in pairs(extra) do e[k] = v end
  return e
end

local function server(status, message, type_)
  return fixture.start("status", { status = status, max_requests = 2,
    body = string.format('{"error":{"message":"%s","type":"%s","param":null,"code":"%s"}}', message, type_, type_) })
end

-- How to make cx print each block: returns the run's result.
local SCENARIOS = {
  ["codex-missing"] = function(dir)
    local empty = h.tmpdir() -- a PATH without codex (the command itself is named by its path)
    local r = lr.cx(dir, { "cxo", "/bin/echo", "hi" }, env({ PATH = empty }))
    h.rm(empty)
    return r
  end,
  ["no-model"] = function(dir)
    return lr.cx(dir, { "cxo", "echo", "hi" }, env({ CX_LLM_BACKEND = "ollama", CX_OLLAMA_BIN = "/bin/true" }))
  end,
  ["no-http-model"] = function(dir)
    local srv = server(400, "you must provide a model parameter", "invalid_request_error")
    local r = lr.cx(dir, { "cxo", "echo", "hi" }, env({ CX_PROVIDER_ADAPTER = "http",
      CX_HTTP_PROVIDER_FORMAT = "openai",
      CX_HTTP_PROVIDER_URL = srv.url .. "/v1/chat/completions" }))
    srv.stop()
    return r
  end,
  ["unreachable"] = function(dir)
    return lr.cx(dir, { "cxo", "echo", "hi" }, env({ CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_FORMAT = "openai",
      CX_HTTP_PROVIDER_URL = "http://127.0.0.1:9/v1/chat/completions", CX_HTTP_PROVIDER_MODEL = "gpt-4o-mini" }))
  end,
  ["quota-codex"] = function(dir)
    return lr.cx(dir, { "cxo", "echo", "hi" }, env({ CX_CODEX_BIN = h.root .. "/tests/fixtures/bin/codex",
      FAKE_CODEX_SCENARIO = "usage_limit" }))
  end,
  ["quota-http"] = function(dir)
    local srv = server(429, "You exceeded your current quota, please check your plan and billing details.",
      "insufficient_quota")
    local r = lr.cx(dir, { "cxo", "echo", "hi" }, env({ CX_PROVIDER_ADAPTER = "http",
      CX_HTTP_PROVIDER_FORMAT = "openai",
      CX_HTTP_PROVIDER_URL = srv.url .. "/v1/chat/completions", CX_HTTP_PROVIDER_MODEL = "gpt-4o-mini" }))
    srv.stop()
    return r
  end,
}

describe("README troubleshooting", function()
  after_each(lr.cleanup)

  it("quotes a block for every situation the spec sets up, and no other", function()
    local ids = {}
    for id in pairs(BLOCKS) do ids[#ids + 1] = id end
    table.sort(ids)
    local want = {}
    for id in pairs(SCENARIOS) do want[#want + 1] = id end
    table.sort(want)
    assert.are.same(want, ids)
  end)

  for id, scenario in pairs(SCENARIOS) do
    it("quotes what cx prints: " .. id, function()
      local dir = lr.repo(nil)
      local r = scenario(dir)
      assert.are.equal(1, r.code, r.stderr)
      for _, want in ipairs(BLOCKS[id] or { "(no block)" }) do
        local found = false
        for line in r.stderr:gmatch("[^\n]+") do
          if line:sub(1, #want) == want then found = true end
        end
        assert.is_true(found, "README line not printed: " .. want .. "\ncx printed:\n" .. r.stderr)
      end
    end)
  end
end)
