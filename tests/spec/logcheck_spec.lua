-- The native line checker as Lua sees it (cx.core.logcheck).
local logcheck = require("cx.core").logcheck

describe("cx.core.logcheck", function()
  local c = logcheck.new({ "a", "b", "c" })

  it("reports the top-level keys of an object as bits", function()
    local kind, present, msg, truncated = c:check('{"c":1,"x":{"a":2},"a":null}')
    assert.equal("object", kind)
    assert.equal(1 | 4, present)
    assert.is_nil(msg)
    assert.is_false(truncated)
  end)

  it("names the other kinds", function()
    assert.equal("not_object", (c:check("[1]")))
    assert.equal("blank", (c:check("  ")))
    local kind, _, msg = c:check("\255")
    assert.equal("read_error", kind)
    assert.equal("stream did not contain valid UTF-8", msg)
    local k2, p2, m2, t2 = c:check('{"a":1')
    assert.equal("invalid_json", k2)
    assert.equal(0, p2)
    assert.equal("EOF while parsing an object at line 1 column 6", m2)
    assert.is_true(t2)
    local _, _, m3, t3 = c:check('{"a":1}x')
    assert.equal("trailing characters at line 1 column 8", m3)
    assert.is_false(t3)
  end)

  it("rejects bad arguments", function()
    local many = {}
    for i = 1, 64 do many[i] = "k" .. i end
    assert.has_error(function() logcheck.new(many) end)
    assert.has_error(function() logcheck.new("a") end)
  end)
end)
