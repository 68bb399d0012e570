-- cx.config: the reference's env parsing rules and backend/model/route resolution.
local sub = require "helpers.sub"
local config = require "cx.config"

local function eval(expr, env)
  local v, r = sub.lua("local config = require('cx.config'); return " .. expr, env)
  assert(r.code == 0, r.stderr)
  return v
end

describe("cx.config", function()
  it("parses unsigned integers strictly", function()
    assert.equal(5, config.parse_uint("5"))
    assert.equal(7, config.parse_uint("+7"))
    assert.equal(8, config.parse_uint("0008"))
    assert.is_nil(config.parse_uint("-1"))
    assert.is_nil(config.parse_uint(" 5"))
    assert.is_nil(config.parse_uint("1.5"))
    assert.is_nil(config.parse_uint("abc"))
    assert.is_nil(config.parse_uint(""))
    assert.is_nil(config.parse_uint("99999999999999999999"))
    assert.is_nil(config.parse_uint("256", 255))
    assert.equal(255, config.parse_uint("255", 255))
  end)

  it("u8 booleans: only 1 is true, other numbers false, junk means the default", function()
    assert.same({ true, false, false, true, false, true, true },
      eval("{ config.u8_bool('V1', false), config.u8_bool('V0', true), config.u8_bool('V2', true), " ..
        "config.u8_bool('VTRUE', true), config.u8_bool('VTRUE', false), config.u8_bool('UNSET', true), " ..
        "config.u8_bool('V256', true) }",
        { V1 = "1", V0 = "0", V2 = "2", VTRUE = "true", V256 = "256" }))
  end)

  it("prompt-filter flags accept 1/true/yes/on", function()
    assert.same({ true, true, true, true, false, false, true },
      eval("{ config.flag('A', false), config.flag('B', false), config.flag('C', false), " ..
        "config.flag('D', false), config.flag('E', true), config.flag('F', true), config.flag('UNSET', true) }",
        { A = "1", B = "TRUE", C = " yes ", D = "on", E = "off", F = "junk" }))
  end)

  it("unsigned ints fall back to the default on junk", function()
    assert.same({ 12, 300, 0 }, eval("{ config.uint('A', 1), config.uint('B', 300), config.uint('C', 9) }",
      { A = "12", B = "x", C = "0" }))
  end)

  it("timeouts per label class, default 120, minimum 1", function()
    local v = eval("(function() local t = {} for _, l in ipairs({ 'codex exec --json -', 'ollama run', " ..
      "'git rev-parse --show-toplevel', 'bash -lc', 'pbcopy', 'system command \\'ls\\'', " ..
      "'http provider curl' }) do local s, c = config.timeout_for(l) t[#t + 1] = { s, c } end return t end)()",
      { CX_TIMEOUT_LLM_SECS = "1", CX_TIMEOUT_GIT_SECS = "0", CX_TIMEOUT_SHELL_SECS = "7", CX_CMD_TIMEOUT_SECS = "9" })
    assert.same({ { 1, "LLM" }, { 1, "LLM" }, { 1, "GIT" }, { 7, "SHELL" }, { 7, "SHELL" }, { 9, "CMD" },
      { 1, "LLM" } }, v)
    assert.same({ 120, "CMD" }, eval("{ config.timeout_for('codex exec -') }", { CX_TIMEOUT_LLM_SECS = "x" }))
    -- an invalid class variable falls through to the command default
    assert.same({ 9, "CMD" }, eval("{ config.timeout_for('git status') }",
      { CX_TIMEOUT_GIT_SECS = "soon", CX_CMD_TIMEOUT_SECS = "9" }))
  end)

  it("backend: env, then state, then codex; anything but ollama is codex", function()
    local st = { preferences = { llm_backend = "ollama", ollama_model = " llama3 " } }
    assert.equal("ollama", config.backend(st))
    assert.equal("codex", config.backend({ preferences = { llm_backend = "weird" } }))
    assert.equal("codex", config.backend(nil))
    assert.same({ "ollama", "ollama" }, eval(
      "{ config.backend({ preferences = { llm_backend = 'codex' } }), config.backend(nil) }",
      { CX_LLM_BACKEND = " OLLAMA " }))
    assert.equal("ollama", eval("config.backend({ preferences = { llm_backend = 'ollama' } })",
      { CX_LLM_BACKEND = "  " }))
    assert.equal("codex", eval("config.backend({ preferences = { llm_backend = 'ollama' } })",
      { CX_LLM_BACKEND = "codex" }))
  end)

  it("model: CX_MODEL for codex, the ollama model for ollama", function()
    local st = { preferences = { llm_backend = "ollama", ollama_model = " llama3 " } }
    assert.equal("llama3", config.model(st))
    assert.equal("ollama_selected", config.route_reason(st))
    assert.equal("ollama_selected_model_unset", config.route_reason({ preferences = { llm_backend = "ollama" } }))
    assert.same({ "gpt-x ", "mistral", "codex_selected" }, eval(
      "{ config.model(nil), config.model({ preferences = { llm_backend = 'ollama' } }), config.route_reason(nil) }",
      { CX_MODEL = "gpt-x ", CX_OLLAMA_MODEL = "mistral" }))
  end)

  it("route policy and execution mode", function()
    assert.equal("cost", config.route_policy({ preferences = { broker_policy = "cost" } }))
    assert.equal("balanced", config.route_policy({ preferences = { broker_policy = "fastest" } }))
    assert.same({ "quota_saver", "verbose" }, eval("{ config.route_policy(nil), config.execution_mode() }",
      { CX_BROKER_POLICY = "quota_saver", CX_MODE = "verbose" }))
    assert.equal("lean", eval("config.execution_mode()", { CX_MODE = false }))
    assert.equal("lean", eval("config.execution_mode()", { CX_MODE = "" }))
  end)
end)
