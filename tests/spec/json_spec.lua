local json = require "cx.json"

describe("cx.json", function()
  it("keeps integers and floats apart", function()
    local v = json.decode('{"a":1,"b":1.5,"c":1.0}')
    assert.equal("integer", math.type(v.a))
    assert.equal("float", math.type(v.b))
    assert.equal('{"a":1,"b":1.5,"c":1.0}', json.encode(v))
  end)

  it("sorts keys byte-wise and keeps null and empty arrays", function()
    local v = json.decode('{"b":null,"$id":"x","a":[],"A":{}}')
    assert.equal(json.null, v.b)
    assert.equal('{"$id":"x","A":{},"a":[],"b":null}', json.encode(v))
  end)

  it("pretty prints in the reference's style", function()
    assert.equal('{\n  "a": [\n    1,\n    2\n  ],\n  "b": {}\n}', json.pretty({ a = { 1, 2 }, b = {} }))
    assert.equal("[]", json.pretty(json.array({})))
  end)

  it("reports where a document is broken", function()
    local v, err = json.decode('{"a":')
    assert.is_nil(v)
    assert.matches("line 1", err)
  end)

  it("refuses values JSON cannot hold", function()
    assert.has_error(function() json.encode({ f = print }) end)
    assert.has_error(function() json.encode({ [true] = 1 }) end)
    local t = {}
    t.self = t
    assert.has_error(function() json.encode(t) end)
  end)

  it("repairs invalid UTF-8 to U+FFFD", function()
    assert.equal('"a\xEF\xBF\xBDb"', json.encode("a\xffb"))
  end)

  it("pretty prints with chosen keys first (pretty_ordered)", function()
    local v = json.decode('{"z":1,"a":[{"b":[],"c":{},"a":null,"d":[1,"x",{"q":true}]}],"m":"s\\n"}')
    assert.equal(json.pretty(v), json.pretty_ordered(v, {}))
    assert.equal('{\n  "z": 1,\n  "m": "s\\n",\n  "a": [\n    {\n      "d": [\n        1,\n        "x",\n'
      .. '        {\n          "q": true\n        }\n      ],\n      "a": null,\n      "b": [],\n      "c": {}\n'
      .. '    }\n  ]\n}', json.pretty_ordered(v, { "z", "m", "d" }))
  end)
end)
