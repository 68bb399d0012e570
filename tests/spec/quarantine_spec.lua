local h = require "helpers.cli"
local json = require "cx.json"
local quarantine = require "cx.quarantine"

local function record(tool, reason)
  return {
    tool = tool or "cxrs_next",
    reason = reason or "invalid JSON: x",
    schema = '{\n  "type": "object"\n}',
    prompt = "task input",
    prompt_sha256 = "p",
    raw_response = "not-json",
    raw_sha256 = "r",
    attempts = {
      { reason = "empty_agent_message", prompt = "env 1", prompt_sha256 = "a", raw_response = "", raw_sha256 = "b" },
    },
  }
end

describe("quarantine", function()
  local dir

  before_each(function()
    dir = h.tmpdir() .. "/quarantine"
  end)

  after_each(function()
    h.rm(dir:gsub("/quarantine$", ""))
  end)

  it("writes the reference's format: struct order, pretty, no trailing newline", function()
    local id, path = assert(quarantine.write(dir, record(), { time = 1772720102 }))
    assert.matches("^20260305T141502Z_cxrs_next_%d+_%x%x%x%x%x%x%x%x$", id)
    assert.equal(dir .. "/" .. id .. ".json", path)
    local text = h.slurp(path)
    local expected = table.concat({
      "{",
      '  "id": "' .. id .. '",',
      '  "ts": "2026-03-05T14:15:02Z",',
      '  "tool": "cxrs_next",',
      '  "reason": "invalid JSON: x",',
      '  "schema": "{\\n  \\"type\\": \\"object\\"\\n}",',
      '  "prompt": "task input",',
      '  "prompt_sha256": "p",',
      '  "raw_response": "not-json",',
      '  "raw_sha256": "r",',
      '  "attempts": [',
      "    {",
      '      "reason": "empty_agent_message",',
      '      "prompt": "env 1",',
      '      "prompt_sha256": "a",',
      '      "raw_response": "",',
      '      "raw_sha256": "b"',
      "    }",
      "  ]",
      "}",
    }, "\n")
    assert.equal(expected, text)
    assert.truthy(json.decode(text))
  end)

  it("writes an empty attempts list as []", function()
    local r = record()
    r.attempts = {}
    local _, path = assert(quarantine.write(dir, r))
    assert.matches('\n  "attempts": %[%]\n}$', h.slurp(path))
  end)

  it("gives unique ids to failures of one tool in the same second, never overwriting", function()
    local seen = {}
    for i = 1, 20 do
      local id = assert(quarantine.write(dir, record("cx next!", "r" .. i), { time = 1772720102 }))
      assert.is_nil(seen[id])
      seen[id] = true
      assert.matches("^20260305T141502Z_cx_next__%d+_%x+$", id)
    end
    local r = quarantine.list(dir, 100)
    assert.equal(20, r.total)
  end)

  it("lists newest first, keeps N, and reports broken files instead of hiding them", function()
    assert(quarantine.write(dir, record("old"), { time = 1000000000 }))
    assert(quarantine.write(dir, record("new"), { time = 1800000000 }))
    assert(quarantine.write(dir, record("mid"), { time = 1500000000 }))
    h.write(dir .. "/broken.json", "{oops")
    h.write(dir .. "/blank.json", "  \n")
    h.write(dir .. "/readme.txt", "not a record")
    local r = quarantine.list(dir, 2)
    assert.equal(3, r.total)
    assert.same({ "new", "mid" }, { r.entries[1].tool, r.entries[2].tool })
    assert.equal(2, #r.skipped)
    local skipped = { r.skipped[1].path, r.skipped[2].path }
    table.sort(skipped)
    assert.same({ dir .. "/blank.json", dir .. "/broken.json" }, skipped)
  end)

  it("lists a missing directory as empty", function()
    local r = quarantine.list(dir .. "/none", 20)
    assert.same({ entries = {}, total = 0, skipped = {} }, r)
  end)

  it("shows a record by id, with defaults for missing keys", function()
    local id = assert(quarantine.write(dir, record()))
    local rec = assert(quarantine.show(dir, id))
    assert.equal(id, rec.id)
    assert.equal("task input", rec.prompt)
    assert.equal("env 1", rec.attempts[1].prompt)
    h.write(dir .. "/legacy_1.json", '{"id":"legacy_1","tool":"cxrs_next","extra":1}')
    rec = assert(quarantine.show(dir, "legacy_1"))
    assert.equal("", rec.reason)
    assert.same({}, rec.attempts)
  end)

  it("rejects ids that would leave the directory", function()
    for _, bad in ipairs({ "../x", "a/b", "..", ".hidden", "", "x\0y" }) do
      local rec, err, class = quarantine.show(dir, bad)
      assert.is_nil(rec)
      assert.equal("invalid_id", class, bad)
      assert.matches("invalid quarantine id", err)
    end
  end)

  it("reports a missing id, a corrupted file and a wrong field type", function()
    local rec, err, class = quarantine.show(dir, "nope")
    assert.same({ nil, "quarantine id not found: nope", "not_found" }, { rec, err, class })
    h.rm(dir)
    os.execute("mkdir -p " .. h.quote(dir))
    h.write(dir .. "/bad.json", "{not json")
    rec, err, class = quarantine.show(dir, "bad")
    assert.is_nil(rec)
    assert.equal("invalid", class)
    assert.matches("^invalid quarantine JSON " .. dir:gsub("%p", "%%%0") .. "/bad%.json: ", err)
    h.write(dir .. "/typed.json", '{"id":"typed","reason":42}')
    rec, err = quarantine.show(dir, "typed")
    assert.is_nil(rec)
    assert.matches('field "reason" must be a string', err)
  end)

  it("fails with the reference's message when the directory cannot be written", function()
    local parent = h.tmpdir()
    h.write(parent .. "/file", "x")
    local id, err = quarantine.write(parent .. "/file/quarantine", record())
    assert.is_nil(id)
    assert.matches("^failed to write " .. parent:gsub("%p", "%%%0") .. "/file/quarantine", err)
    h.rm(parent)
  end)
end)
