-- require("cx.core").envelope: the Lua face of the envelope parser, and the fixture corpus through it.
local envelope = require("cx.core").envelope
local json = require "cx.json"
local h = require "helpers.cli"

local corpus_dir = h.root .. "/tests/fixtures/envelopes/"

local function load_cases()
  return assert(json.decode(h.slurp(corpus_dir .. "cases.json")))
end

-- Feeds body in pieces whose sizes cycle through `sizes`.
local function streamed(format, body, sizes)
  local s = envelope.stream(format)
  local pos, i = 1, 1
  while pos <= #body do
    local n = sizes[(i - 1) % #sizes + 1]
    s:feed(body:sub(pos, pos + n - 1))
    pos, i = pos + n, i + 1
  end
  return s:finish()
end

describe("cx.core.envelope", function()
  it("lists its formats and failure classes", function()
    assert.same({ "text", "json", "jsonl", "codex", "openai", "ollama" }, envelope.formats())
    local classes = envelope.classes()
    assert.equal(17, #classes)
    for _, c in ipairs({ "empty", "invalid_utf8", "nul_byte", "body_too_large", "http_json_invalid",
      "jsonl_missing_item_completed", "provider_error", "quota_exhausted", "incomplete" }) do
      assert.truthy(table.concat(classes, " "):find(c, 1, true), c)
    end
  end)

  it("normalizes a codex capture", function()
    local body = h.slurp(h.root .. "/tests/fixtures/codex/tool_call.stdout.jsonl")
    local r = envelope.parse("codex", body)
    assert.is_true(r.ok)
    assert.equal("Hi! (fake model reply)", r.text)
    assert.equal("completed", r.terminal)
    assert.same({ input_tokens = 19204, cached_input_tokens = 0, output_tokens = 19,
      reasoning_output_tokens = 0 }, r.usage)
    assert.same({ reasoning = 1, command_execution = 1, agent_message = 1 }, r.items)
    assert.equal(7, r.events)
  end)

  it("names a failure with a class and a reason", function()
    local r = envelope.parse("openai", 'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n')
    assert.is_false(r.ok)
    assert.equal("incomplete", r.class)
    assert.matches("without data: %[DONE%]", r.reason)
    assert.is_nil(r.text)
  end)

  it("encodes notices as a JSON array even when empty", function()
    assert.equal("[]", json.encode(envelope.parse("text", "hi").notices))
  end)

  it("rejects an unknown format as an argument error", function()
    assert.has_error(function() envelope.parse("yaml", "") end)
    assert.has_error(function() envelope.stream("yaml") end)
  end)

  it("reports the terminal marker while streaming", function()
    local s = envelope.stream("openai")
    assert.same({ true, false }, { s:feed("data: [DONE]") })
    assert.same({ true, true }, { s:feed("\n\n") })
    assert.equal("done", s:finish().terminal)
  end)

  it("gives every corpus case its expected outcome, one-shot and streamed", function()
    local cases = load_cases()
    local failures = 0
    for _, c in ipairs(cases) do
      local body = h.slurp(corpus_dir .. c.file)
      local r = envelope.parse(c.format, body)
      if c.expect_class then
        failures = failures + 1
        assert.equal(c.expect_class, r.class, c.name .. ": " .. tostring(r.reason or r.text))
      else
        assert.is_true(r.ok, c.name .. ": " .. tostring(r.reason))
        assert.equal(c.expect_text, r.text, c.name)
      end
      assert.same(r, streamed(c.format, body, { 3, 1, 11, 2 }), c.name)
    end
    assert.is_true(failures >= 60)
  end)
end)
