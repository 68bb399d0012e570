local h = require "helpers.cli"
local context = require "cx.diag.context"
local core = require "cx.core"

local function env(t)
  return function(k) return t[k] end
end

describe("cx.diag.context", function()
  local dir

  before_each(function()
    dir = h.tmpdir()
  end)

  after_each(function()
    h.rm(dir)
  end)

  it("defaults every header fact", function()
    local c = context.collect({ getenv = env({}), head = function() return nil end })
    assert.equal("lean", c.mode)
    assert.equal("codex", c.backend)
    assert.equal("<unset>", c.active_model)
    assert.equal(12000, c.budget_chars)
    assert.equal(300, c.budget_lines)
    assert.equal("smart", c.clip_mode)
    assert.is_true(c.clip_footer)
    assert.equal("<none>", c.last_run_id)
    assert.equal("./.codex/schemas", c.schema_registry_dir)
    assert.equal(core.version, c.version)
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$", c.timestamp)
  end)

  it("reads the environment and state preferences", function()
    local c = context.collect({
      getenv = env({ CX_MODE = "deterministic", CX_LLM_BACKEND = " ", CX_CONTEXT_BUDGET_CHARS = "500",
        CX_CONTEXT_BUDGET_LINES = "x", CX_CONTEXT_CLIP_FOOTER = "0", CX_CONTEXT_CLIP_MODE = "head" }),
      state = { preferences = { llm_backend = "Ollama", ollama_model = "llama3" } },
      head = function() return nil end,
    })
    assert.same({ "deterministic", "ollama", "llama3", 500, 300, false, "head" },
      { c.mode, c.backend, c.active_model, c.budget_chars, c.budget_lines, c.clip_footer, c.clip_mode })
    local codex = context.collect({
      getenv = env({ CX_LLM_BACKEND = "codex", CX_MODEL = "gpt", CX_CONTEXT_CLIP_FOOTER = "300" }),
      state = { preferences = { llm_backend = "ollama" } } })
    assert.same({ "codex", "gpt", true }, { codex.backend, codex.active_model, codex.clip_footer })
  end)

  it("builds the version from VERSION and the short HEAD", function()
    h.write(dir .. "/VERSION", " 2.3.4\n")
    assert.equal("2.3.4+abc1234", context.version(dir, function() return "abc1234" end))
    assert.equal("2.3.4", context.version(dir, function() return nil end))
    h.write(dir .. "/VERSION", "  \n")
    assert.equal(core.version .. "+f00", context.version(dir, function() return "f00" end))
  end)

  it("takes the last run id from the last JSON line of the log tail", function()
    local log = dir .. "/runs.jsonl"
    h.write(log, '{"execution_id":"e1"}\n{"prompt_sha256":"abc"}\nnot json\n\n')
    assert.equal("abc", context.last_run_id(log))
    h.write(log, '{"execution_id":"e1"}\n5\n')
    assert.equal("<none>", context.last_run_id(log))
    h.write(log, '{"execution_id":"e1"}\n' .. string.rep("x", 9000) .. '\n{"execution_id":"e2"}\n')
    assert.equal("e2", context.last_run_id(log))
    assert.equal("<none>", context.last_run_id(dir .. "/missing"))
  end)

  it("counts regular files in the schema registry", function()
    os.execute("mkdir -p " .. h.quote(dir .. "/.codex/schemas/sub"))
    h.write(dir .. "/.codex/schemas/a.json", "{}")
    h.write(dir .. "/.codex/schemas/b.txt", "")
    local c = context.collect({ getenv = env({}), repo_root = dir, head = function() return nil end })
    assert.equal(dir .. "/.codex/schemas", c.schema_registry_dir)
    assert.equal(2, c.schema_registry_files)
  end)
end)
