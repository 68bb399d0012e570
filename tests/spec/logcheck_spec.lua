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

  it("accepts exactly what the JSON decoder accepts, on 20000 mutated documents", function()
    local json = require "cx.json"
    local seeds = { '{"a":1,"b":[true,false,null,-1.5e-3,"x\\"y\\u00e9"],"c":{"d":{}}}', '[1,2,{"k":"v"}]',
      '"s"', "0", "-0.0e+1", '{"a":"\\ud83d\\ude00"}' }
    local alphabet = '{}[]":,.-+eE0123456789truefalsn\\ u\t'
    math.randomseed(42)
    local disagreements = {}
    for _ = 1, 20000 do
      local s = seeds[math.random(#seeds)]
      for _ = 1, math.random(1, 3) do
        local op, p = math.random(3), math.random(0, #s)
        if op == 1 then
          s = s:sub(1, p)
        elseif op == 2 then
          local i = math.random(#alphabet)
          s = s:sub(1, p) .. alphabet:sub(i, i) .. s:sub(p + 1)
        else
          s = s:sub(1, p) .. s:sub(p + 2)
        end
      end
      local kind = c:check(s)
      if kind ~= "blank" and (kind == "object" or kind == "not_object") ~= (json.decode(s) ~= nil) then
        disagreements[#disagreements + 1] = s
      end
    end
    assert.same({}, disagreements)
  end)

  it("rejects bad arguments", function()
    local many = {}
    for i = 1, 64 do many[i] = "k" .. i end
    assert.has_error(function() logcheck.new(many) end)
    assert.has_error(function() logcheck.new("a") end)
  end)
end)
