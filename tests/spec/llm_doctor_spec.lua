-- `cx llm` (state.json preferences and what they select) and `cx doctor` (per-adapter checks, ping).
local h = require "helpers.cli"
local fake = require "helpers.fake_cli"
local json = require "cx.json"

describe("cx llm", function()
  local repo
  before_each(function() repo = h.tmprepo() end)
  after_each(function() h.rm(repo) end)

  local function cx(args, env)
    return h.cx(args, { cwd = repo, env = env or { CX_PROVIDER_ADAPTER = false, CX_LLM_BACKEND = false,
      CX_OLLAMA_MODEL = false } })
  end

  it("persists backend and model, and shows what they select", function()
    local r = cx({ "llm", "use", "ollama", "llama3.1" })
    assert.equal(0, r.code, r.stderr)
    assert.equal("ok\nllm_backend: ollama\nollama_model: llama3.1\n", r.stdout)
    assert.matches("quota_probe: backend=ollama service_kind=local_unmetered", r.stderr)
    local st = json.decode(h.slurp(repo .. "/.codex/state.json"))
    assert.equal("ollama", st.preferences.llm_backend)
    assert.equal("llama3.1", st.preferences.ollama_model)
    r = cx({ "llm", "show" })
    assert.matches("llm_backend: ollama\nactive_model: llama3.1\nollama_model: llama3.1\nadapter: ollama%-cli",
      r.stdout)
    r = cx({ "llm", "show", "--json" })
    local doc = json.decode(r.stdout)
    assert.equal("ollama-cli", doc.adapter)
    assert.equal("state:llm_backend", doc.selected_by)
    assert.matches("^ollama%-cli%-%x+$", doc.adapter_id)
  end)

  it("unsets backend, model or both", function()
    cx({ "llm", "use", "ollama", "m1" })
    assert.equal(0, cx({ "llm", "unset", "model" }).code)
    assert.matches("ollama_model: <unset>", cx({ "llm", "show" }).stdout)
    assert.equal(0, cx({ "llm", "unset", "backend" }).code)
    assert.matches("^llm_backend: codex\n", cx({ "llm", "show" }).stdout)
    cx({ "llm", "set-backend", "ollama" })
    cx({ "llm", "set-model", "m2" })
    assert.equal(0, cx({ "llm", "unset", "all" }).code)
    local st = json.decode(h.slurp(repo .. "/.codex/state.json"))
    assert.equal(json.null, st.preferences.llm_backend)
    assert.equal(json.null, st.preferences.ollama_model)
  end)

  it("gives the same adapter_id from env and from state", function()
    cx({ "llm", "use", "ollama", "llama3" })
    local from_state = json.decode(cx({ "llm", "show", "--json" }).stdout).adapter_id
    local from_env = json.decode(h.cx({ "llm", "show", "--json" }, { cwd = repo,
      env = { CX_LLM_BACKEND = " OLLAMA ", CX_OLLAMA_MODEL = "llama3" } }).stdout).adapter_id
    assert.equal(from_state, from_env)
  end)

  it("rejects bad arguments with exit 2 and a usage line", function()
    for _, args in ipairs({ { "llm", "use", "gpt" }, { "llm", "unset", "x" }, { "llm", "frob" },
      { "llm", "set-model" }, { "llm", "show", "--yaml" } }) do
      local r = cx(args)
      assert.equal(2, r.code, table.concat(args, " "))
      assert.matches("^cx llm: ", r.stderr)
    end
  end)
end)

describe("cx doctor", function()
  local repo
  before_each(function() repo = h.tmprepo() end)
  after_each(function() h.rm(repo) end)

  it("reports each adapter and pings the selected mock", function()
    local r = h.cx({ "doctor", "--json" }, { cwd = repo, env = { CX_PROVIDER_ADAPTER = "mock",
      PATH = "/usr/bin:/bin", CX_HTTP_PROVIDER_URL = false } })
    assert.equal(0, r.code, r.stderr)
    local doc = json.decode(r.stdout)
    assert.equal("mock", doc.selected)
    assert.is_true(doc.ok)
    assert.is_true(doc.ping.ok)
    local by = {}
    for _, a in ipairs(doc.adapters) do by[a.name] = a end
    assert.is_false(by["codex-cli"].ready)
    assert.matches("npm install", by["codex-cli"].checks[1].fix)
    assert.is_false(by["http-curl"].ready)
    assert.is_true(by.mock.ready)
  end)

  it("fails when the selected adapter cannot run, and says what to fix", function()
    local r = h.cx({ "doctor" }, { cwd = repo, env = { CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_URL = false } })
    assert.equal(1, r.code)
    assert.matches("http%-curl %(selected%): not ready", r.stdout)
    assert.matches("fix: export CX_HTTP_PROVIDER_URL", r.stdout)
    assert.matches("status: fail", r.stdout)
  end)

  it("pings codex through the fake CLI", function()
    local r = h.cx({ "doctor" }, { cwd = repo, env = fake.env({ CX_PROVIDER_ADAPTER = false,
      CX_LLM_BACKEND = "codex", FAKE_CODEX_SCENARIO = "ok" }) })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    assert.matches("ping %(codex%-cli%): ok", r.stdout)
  end)
end)
