-- The native checker as Lua sees it (cx.core.logcheck over cx.log_contract): its verdict on a line
-- agrees with cx.json on what is a row, and its decoder gives the rows cx.json gives.
local logcheck = require("cx.core").logcheck
local json = require "cx.json"
local contract = require "cx.log_contract"
local validate = require "cx.logs.validate"
local rr = require "helpers.reference_rows"

local c = validate.contract()

-- Mutations of a few documents: cut, insert a JSON-ish character, delete one.
local function mutants(seeds, n, seed)
  local alphabet = '{}[]":,.-+eE0123456789truefalsn\\ u\t\0'
  math.randomseed(seed)
  local out = {}
  for k = 1, n do
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
    out[k] = s
  end
  return out
end

local SEEDS = { '{"a":1,"b":[true,false,null,-1.5e-3,"x\\"y\\u00e9"],"c":{"d":{}}}', '[1,2,{"k":"v"}]',
  '"s"', "0", "-0.0e+1", '{"a":"\\ud83d\\ude00"}', '{"x":9223372036854775807,"y":1e308,"z\\u0000":1}',
  json.encode(rr.rust()) }

describe("cx.core.logcheck", function()
  it("names the kinds of a line", function()
    assert.equal("object", (c:check('{"c":1,"x":{"a":2},"a":null}')))
    assert.equal("not_object", (c:check("[1]")))
    assert.equal("blank", (c:check("  ")))
    local kind, msg = c:check("\255")
    assert.equal("read_error", kind)
    assert.matches("^stream did not contain valid UTF%-8", msg)
    kind, msg = c:check('{"a":1')
    assert.equal("torn", kind)
    assert.equal("EOF while parsing an object at line 1 column 6 (preview='{\"a\":1')", msg)
    kind, msg = c:check('{"a":1}x')
    assert.equal("invalid_json", kind)
    assert.equal("trailing characters at line 1 column 8 (preview='{\"a\":1}x')", msg)
  end)

  it("says object or not_object exactly when cx.json decodes the line, on 20000 mutated documents", function()
    local disagreements = {}
    for _, s in ipairs(mutants(SEEDS, 20000, 42)) do
      local kind = c:check(s)
      -- jansson stops reading at a raw NUL byte (cx's checker refuses it, as the reference does)
      local nul = s:find("\0", 1, true)
      if kind ~= "blank" and not nul and (kind == "object" or kind == "not_object") ~= (json.decode(s) ~= nil) then
        disagreements[#disagreements + 1] = s
      end
    end
    assert.same({}, disagreements)
  end)

  it("decodes rows exactly as cx.json does", function()
    local lines = mutants(SEEDS, 5000, 7)
    for _, r in ipairs(rr.rust_era()) do lines[#lines + 1] = json.encode(r) end
    for _, r in ipairs(rr.bash_era()) do lines[#lines + 1] = json.encode(r) end
    for _, extra in ipairs({ '{"a":"\\u0041\\ud83d\\ude00\\n\\"x\\\\","b":-0,"c":1e2,"d":1.50,"f":[1,{"g":null}]}',
      ' { "a" : 1 , "b" : [ ] } ', '{"a":1,"a":2}', '{"n":' .. ("1"):rep(100) .. '.5}', "[]", '"x"', "null" }) do
      lines[#lines + 1] = extra
    end
    local checked = 0
    for _, s in ipairs(lines) do
      local kind = c:check(s)
      local mine = c:decode(s)
      if kind == "object" or kind == "not_object" then
        checked = checked + 1
        assert.equal(json.encode(json.decode(s)), json.encode(mine), s)
      else
        assert.is_nil(mine, s)
      end
    end
    assert.is_true(checked > 500, tostring(checked))
  end)

  it("gives each row's shape: one byte per contract key, the type of the value decode gives", function()
    local spec = contract.native_spec()
    local letter = { string = "s", boolean = "b", integer = "i", float = "d" }
    local function expected(row)
      local out = {}
      for i, f in ipairs(spec.fields) do
        local v = row[f.key]
        local t = math.type(v) or type(v)
        if v == nil then
          out[i] = "-"
        elseif v == json.null then
          out[i] = "z"
        elseif t == "table" then
          out[i] = json.is_array(v) and "a" or "o"
        else
          out[i] = letter[t]
        end
      end
      return table.concat(out)
    end
    local lines = mutants(SEEDS, 3000, 11)
    for _, r in ipairs(rr.rust_era()) do lines[#lines + 1] = json.encode(r) end
    for _, r in ipairs(require("helpers.telemetry_log").runall_defects()) do lines[#lines + 1] = json.encode(r) end
    lines[#lines + 1] = '{"queue_ms":1e2,"duration_ms":-0,"wave":[],"run_id":{},"ts":null,"ts":"x"}'
    local shaped = 0
    for _, s in ipairs(lines) do
      local row, shape = c:decode(s, true)
      if type(row) ~= "table" or json.is_array(row) then
        if row ~= nil then assert.is_false(shape, s) end
      else
        local outside = false
        for k in pairs(row) do
          if not contract.TYPES[k] then outside = true end
        end
        if outside then
          assert.is_false(shape, s)
        else
          shaped = shaped + 1
          assert.equal(expected(row), shape, s)
        end
      end
    end
    assert.is_true(shaped > 60, tostring(shaped))
    assert.equal(1, select("#", c:decode("{}"))) -- without the flag, the row alone
  end)

  it("takes the contract from cx.log_contract, and refuses a bad one", function()
    local spec = contract.native_spec()
    assert.equal(#contract.ROW_KEYS + #contract.OPTIONAL_KEYS, #spec.fields)
    assert.has_error(function() logcheck.contract({ fields = {} }) end)
    assert.has_error(function() logcheck.contract({ fields = { { key = "a", type = "str" } }, modern = { "a", "b" },
      id = "a" }) end)
    assert.has_error(function() logcheck.contract("a") end)
  end)
end)
