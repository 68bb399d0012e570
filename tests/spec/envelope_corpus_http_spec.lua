-- The envelope corpus (tests/fixtures/envelopes/cases.json) served by the fixture server on 127.0.0.1
-- and run through every structured command in HTTP mode: each either prints its schema-valid result
-- (exit 0) or exits 1 with a logged row that carries a quarantine id or a reason — and, where the
-- envelope itself is broken, the row names the parser's failure class. No case passes silently, and
-- none crashes.
local h = require "helpers.cli"
local fixture = require "helpers.fixture_server"
local json = require "cx.json"

local DIR = h.root .. "/tests/fixtures/envelopes"
local HTTP_FORMATS = { text = true, json = true, jsonl = true, openai = true, ollama = true }
local COMMANDS = {
  { args = { "next", "true" }, tool = "cxrs_next" },
  { args = { "diffsum" }, tool = "cxrs_diffsum" },
  { args = { "diffsum-staged" }, tool = "cxrs_diffsum_staged" },
  { args = { "commitjson" }, tool = "cxrs_commitjson" },
}

local cases = json.decode(h.slurp(DIR .. "/cases.json"))

local function rows(repo)
  local out = {}
  local f = io.open(repo .. "/.codex/cxlogs/runs.jsonl", "rb")
  if not f then return out end
  for line in f:lines() do out[#out + 1] = json.decode(line) end
  f:close()
  return out
end

local function sh(cmd)
  assert(os.execute(cmd), cmd)
end

describe("the envelope corpus through the structured commands over HTTP", function()
  local repo
  setup(function()
    repo = h.tmprepo()
    local q = h.quote(repo)
    sh("cd " .. q .. " && git config user.email t@example.invalid && git config user.name t"
      .. " && printf 'one\\n' > a && git add a && git commit -qm init"
      .. " && printf 'two\\n' >> a && printf 'new\\n' > b && git add b")
  end)
  teardown(function() h.rm(repo) end)

  local served = 0
  for _, case in ipairs(cases) do
    if HTTP_FORMATS[case.format] and case.file then
      served = served + 1
      it(case.name .. " (" .. case.format .. ")", function()
        local t0 = os.time()
        local srv = fixture.start("text", { body_file = DIR .. "/" .. case.file, max_requests = 16 })
        finally(function()
          srv.stop()
          srv.remove()
          if os.getenv("CX_SPEC_TIMING") then io.stderr:write(case.name, " ", os.time() - t0, "s\n") end
        end)
        local env = { CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_URL = srv.url .. "/v1/chat/completions",
          CX_HTTP_PROVIDER_FORMAT = case.format, CX_TIMEOUT_LLM_SECS = "10" }
        for _, c in ipairs(COMMANDS) do
          local before = #rows(repo)
          local r = h.cx(c.args, { cwd = repo, env = env })
          local label = case.name .. " / " .. c.args[1]
          assert.is_nil(r.stderr:find("internal error", 1, true), label .. ": " .. r.stderr)
          local new = rows(repo)
          assert.is_true(#new > before, label .. ": no row was logged")
          local row = new[#new]
          assert.equal(c.tool, row.tool, label)
          assert.is_true(row.schema_enforced, label)
          if r.code == 0 then
            assert.is_true(row.schema_valid, label)
            assert.truthy(r.stdout:find("%S"), label .. ": empty output")
          else
            assert.equal(1, r.code, label .. ": " .. r.stderr)
            assert.is_false(row.schema_valid, label)
            local has_qid = type(row.quarantine_id) == "string" and row.quarantine_id ~= ""
            local has_reason = type(row.schema_reason) == "string" and row.schema_reason ~= ""
            assert.is_true(has_qid or has_reason, label .. ": failure without quarantine id or reason")
            assert.is_string(row.failure_class, label)
            assert.truthy(r.stderr:find("%S"), label .. ": silent failure")
            if case.expect_class then
              assert.equal(case.expect_class, row.failure_class, label)
            end
          end
          if case.expect_class then
            assert.equal(1, r.code, label .. ": a broken envelope must not pass")
          end
        end
      end)
    end
  end

  it("serves at least 60 malformed envelopes", function()
    local malformed = 0
    for _, case in ipairs(cases) do
      if HTTP_FORMATS[case.format] and case.expect_class then malformed = malformed + 1 end
    end
    assert.is_true(served >= 60, "served " .. served)
    assert.is_true(malformed >= 60, "malformed over HTTP: " .. malformed)
  end)
end)
