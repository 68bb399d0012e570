local core = require "cx.core"
local registry = require "cx.schema.registry"
local envelope_prompt = require "cx.schema.envelope_prompt"
local structured = require "cx.structured"

-- An invoke function that answers with the given texts in turn and records the prompts.
local function scripted(...)
  local answers, prompts = { ... }, {}
  local function invoke(prompt)
    prompts[#prompts + 1] = prompt
    local a = answers[#prompts]
    if type(a) == "table" then return nil, a.error, a.class end
    return { text = a, usage = { input_tokens = 10 } }
  end
  return invoke, prompts
end

local STRICT_PREFIX = "You are a structured output generator.\n"
  .. "Return STRICT JSON ONLY. No markdown. No prose. No code fences.\n"
  .. "Output MUST be a single valid JSON object matching the schema.\n"
  .. "Schema-strict mode: deterministic JSON only; reject ambiguity.\n"
  .. "Schema:\n"

describe("structured pipeline", function()
  local schema = assert(registry.load(nil, "next"))

  it("builds the reference's strict and relaxed envelopes byte for byte", function()
    assert.equal(STRICT_PREFIX .. "S\n\nTask input:\nT\n", envelope_prompt.build("S", "T", false))
    assert.equal("You are a structured output generator.\nReturn JSON ONLY. No markdown. No prose. No code fences.\n"
      .. "Output MUST be a single valid JSON object matching the schema.\nSchema:\nS\n\nTask input:\nT\n",
      envelope_prompt.build("S", "T", true))
    assert.equal("E\n\nThe previous response failed validation with reason: R\n"
      .. "Return STRICT JSON only and satisfy the schema exactly.", envelope_prompt.retry("E", "R"))
  end)

  it("succeeds on the first try and returns compact sorted JSON", function()
    local invoke, prompts = scripted('  {"commands": ["ls", "make test"]}\n')
    local r = structured.run({ tool = "cx_next", schema = schema, task_input = "input", invoke = invoke })
    assert.is_true(r.ok)
    assert.equal(1, r.attempt)
    assert.equal('{"commands":["ls","make test"]}', r.json)
    assert.same({ "ls", "make test" }, r.value.commands)
    assert.equal(1, #prompts)
    assert.equal(STRICT_PREFIX .. schema.text .. "\n\nTask input:\ninput\n", prompts[1])
    assert.equal(10, r.responses[1].usage.input_tokens)
  end)

  it("retries once with the failure reason and succeeds", function()
    local invoke, prompts = scripted('{"commands":[]}', '{"commands":["ls"]}')
    local r = structured.run({ tool = "cx_next", schema = schema, task_input = "in", invoke = invoke })
    assert.is_true(r.ok)
    assert.equal(2, r.attempt)
    assert.equal(2, #prompts)
    assert.equal(prompts[1] .. "\n\nThe previous response failed validation with reason: "
      .. "schema_validation_failed: [] has less than 1 item\nReturn STRICT JSON only and satisfy the schema exactly.",
      prompts[2])
    assert.equal("schema_validation_failed: [] has less than 1 item", r.attempts[1].reason)
    assert.is_nil(r.attempts[2].reason)
  end)

  it("fails after the retry with both attempts recorded", function()
    local invoke, prompts = scripted("   ", "not-json")
    local r = structured.run({ tool = "cx_next", schema = schema, task_input = "in", invoke = invoke })
    assert.is_false(r.ok)
    assert.equal("schema", r.kind)
    assert.equal(2, #prompts)
    assert.equal("empty_agent_message", r.attempts[1].reason)
    assert.matches("^invalid JSON: ", r.attempts[2].reason)
    assert.equal(r.attempts[2].reason, r.reason)
    assert.equal("not-json", r.raw_response)
    for i, a in ipairs(r.attempts) do
      assert.equal(prompts[i], a.prompt)
      assert.equal(core.digest.sha256_hex(a.prompt), a.prompt_sha256)
      assert.equal(core.digest.sha256_hex(a.raw_response), a.raw_sha256)
    end
    local rec = structured.quarantine_record({ tool = "cx_next", schema = schema, task_input = "in" }, r)
    assert.equal("in", rec.prompt)
    assert.equal(core.digest.sha256_hex("in"), rec.prompt_sha256)
    assert.equal(schema.text, rec.schema)
    assert.equal("not-json", rec.raw_response)
    assert.equal(r.reason, rec.reason)
    assert.equal(2, #rec.attempts)
  end)

  it("reports at most three validator messages in the reason", function()
    local invoke = scripted('{"commands":["",1,2,3],"x":1}', '{"commands":["",1,2,3],"x":1}')
    local r = structured.run({ tool = "t", schema = schema, task_input = "", invoke = invoke })
    assert.equal('schema_validation_failed: "" is shorter than 1 character | 1 is not of type "string" | '
      .. '2 is not of type "string"', r.reason)
    assert.equal(5, #r.errors)
  end)

  it("does not retry in relaxed mode", function()
    local invoke, prompts = scripted('{"commands":"ls"}', '{"commands":["ls"]}')
    local r = structured.run({ tool = "t", schema = schema, task_input = "in", invoke = invoke, relaxed = true })
    assert.is_false(r.ok)
    assert.equal(1, #prompts)
    assert.matches("^You are a structured output generator.\nReturn JSON ONLY", prompts[1])
    assert.equal('schema_validation_failed: "ls" is not of type "array"', r.reason)
  end)

  it("stops at once on an adapter error, in either attempt", function()
    local invoke, prompts = scripted({ error = "codex exited with status 2", class = "process_exit" })
    local r = structured.run({ tool = "t", schema = schema, task_input = "in", invoke = invoke })
    assert.same({ false, "adapter", "codex exited with status 2", "process_exit", 1 },
      { r.ok, r.kind, r.error, r.class, r.attempt })
    assert.equal(1, #prompts)
    invoke = scripted("bad", { error = "timeout", class = "timeout" })
    r = structured.run({ tool = "t", schema = schema, task_input = "in", invoke = invoke })
    assert.equal("adapter", r.kind)
    assert.equal(2, r.attempt)
    assert.equal(1, #r.attempts)
  end)

  it("check() classifies texts the way the reference does", function()
    assert.same({ nil, "empty_agent_message" }, { structured.check(schema, "") })
    assert.same({ nil, "empty_agent_message" }, { structured.check(schema, nil) })
    local v, reason = structured.check(schema, "```json\n{}\n```")
    assert.is_nil(v)
    assert.matches("^invalid JSON: ", reason)
  end)
end)

describe("structured.record_failure", function()
  local h = require "helpers.cli"
  local json = require "cx.json"
  local quarantine = require "cx.quarantine"

  it("writes the quarantine file, then the schema_failures row pointing at it", function()
    local dir = h.tmpdir()
    local schema = assert(registry.load(nil, "next"))
    local invoke = scripted("nope", "still nope")
    local opts = { tool = "cxrs_next", schema = schema, task_input = "input", invoke = invoke }
    local r = structured.run(opts)
    local id, rec = assert(structured.record_failure(opts, r, {
      quarantine_dir = dir .. "/quarantine", schema_failures_file = dir .. "/cxlogs/schema_failures.jsonl" }))
    local stored = assert(quarantine.show(dir .. "/quarantine", id))
    assert.equal(r.reason, stored.reason)
    assert.equal(2, #stored.attempts)
    local line = h.slurp(dir .. "/cxlogs/schema_failures.jsonl")
    assert.equal(json.encode({ quarantine_id = id, raw_sha256 = core.digest.sha256_hex("still nope"),
      reason = r.reason, tool = "cxrs_next", ts = rec.ts }) .. "\n", line)
    h.rm(dir)
  end)
end)
