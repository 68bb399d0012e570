local h = require "helpers.cli"
local policy = require "cx.policy"

describe("policy sandbox", function()
  local dir, shipped

  local function write_policy(d, name, text)
    os.execute("mkdir -p " .. h.quote(d))
    h.write(d .. "/" .. name .. ".lua", text)
  end

  local function load(name, text, opts)
    write_policy(dir, name, text)
    opts = opts or {}
    opts.policies_dir = dir
    opts.shipped_dir = shipped
    return policy.load(name, opts)
  end

  before_each(function()
    dir = h.tmpdir()
    shipped = h.tmpdir()
  end)

  after_each(function()
    h.rm(dir)
    h.rm(shipped)
  end)

  it("finds the shipped policies beside scripts/", function()
    local path, origin = policy.find("command_safety")
    assert.equal("shipped", origin)
    assert.matches("/policies/command_safety%.lua$", path)
  end)

  it("prefers the repository override in .codex/policies", function()
    write_policy(shipped, "p", "return { who = function() return 'shipped' end }")
    local p = assert(policy.load("p", { policies_dir = dir, shipped_dir = shipped }))
    assert.equal("shipped", p.origin)
    assert.equal("shipped", policy.call(p, "who"))
    write_policy(dir, "p", "return { who = function() return 'repo' end }")
    p = assert(policy.load("p", { policies_dir = dir, shipped_dir = shipped }))
    assert.equal("repo", p.origin)
    assert.equal("repo", policy.call(p, "who"))
  end)

  it("offers no io, os, require, load, dofile, debug, collectgarbage or string.dump", function()
    local p = assert(load("probe", [[
      return { probe = function()
        local out = {}
        for _, k in ipairs({ "io", "os", "require", "load", "loadstring", "dofile", "loadfile", "debug",
                              "collectgarbage", "setmetatable", "getmetatable", "rawset", "rawget",
                              "coroutine", "package", "print" }) do
          out[k] = _G[k] ~= nil
        end
        out.dump = string.dump ~= nil
        out.method_dump = ("x").dump ~= nil
        out.has_string = string.format ~= nil and ("x"):upper() == "X"
        return out
      end }
    ]]))
    local r = assert(policy.call(p, "probe"))
    for k, v in pairs(r) do
      if k ~= "has_string" then assert.is_false(v, k .. " must not be reachable") end
    end
    assert.is_true(r.has_string)
    assert.is_function(("x").dump, "the host's string methods come back after the call")
  end)

  it("stops `while true do end` with an error naming the file and line", function()
    local p = assert(load("spin", "return { spin = function()\n  while true do end\nend }", { budget = 100000 }))
    local r, err, class = policy.call(p, "spin")
    assert.is_nil(r)
    assert.equal("timeout", class) -- was "runtime" before the sandbox had its own classes
    assert.matches(dir:gsub("%p", "%%%0") .. "/spin%.lua:2: policy stopped: it exceeded its budget of 100000", err)
  end)

  it("does not let the policy's pcall swallow the budget stop", function()
    local p = assert(load("sneaky", [[
      return { run = function()
        while true do pcall(function() while true do end end) end
      end }
    ]], { budget = 100000 }))
    local r, err = policy.call(p, "run")
    assert.is_nil(r)
    assert.matches("exceeded its budget", err)
  end)

  it("bounds the top-level chunk too", function()
    local p, err = load("top", "while true do end\nreturn {}", { budget = 50000 })
    assert.is_nil(p)
    assert.matches("top%.lua:1: policy stopped", err)
  end)

  it("names file and line for syntax and runtime errors", function()
    local p, err, class = load("syntax", "return {\n  check = function( end\n}")
    assert.is_nil(p)
    assert.equal("syntax", class)
    assert.matches("syntax%.lua:2: ", err)
    p = assert(load("boom", "return { f = function()\n  local x = nil\n  return x.field\nend }"))
    local r, rerr = policy.call(p, "f")
    assert.is_nil(r)
    assert.matches("boom%.lua:3: attempt to index a nil value", rerr)
  end)

  it("refuses binary chunks", function()
    local bytecode = string.dump(function() return {} end)
    local p, err = load("bin", bytecode)
    assert.is_nil(p)
    assert.matches("binary", err)
  end)

  it("passes copies in, so the caller's data cannot be mutated", function()
    local p = assert(load("mut", "return { f = function(t) t.x = 1; t.list[1] = 'changed'; return #t.list end }"))
    local data = { list = { "a", "b" } }
    assert.equal(2, policy.call(p, "f", data))
    assert.is_nil(data.x)
    assert.equal("a", data.list[1])
  end)

  it("returns plain data only", function()
    local p = assert(load("fn", "return { f = function() return { g = function() end } end }"))
    local r, err, class = policy.call(p, "f")
    assert.is_nil(r)
    assert.equal("invalid", class)
    assert.matches("contains a function", err)
  end)

  it("refuses huge string.rep results (a memory error, not a 1 GB string)", function()
    local p = assert(load("rep", "return { f = function() return string.rep('x', 1e9) end }"))
    local r, err, class = policy.call(p, "f")
    assert.is_nil(r)
    assert.equal("memory", class)
    assert.matches("rep%.lua:1: policy stopped: it used more than 64 MB of memory", err)
  end)

  it("requires the policy to return a table, and names unknown functions", function()
    local p, err, class = load("num", "return 42")
    assert.is_nil(p)
    assert.equal("invalid", class)
    assert.matches("must return a table", err)
    p = assert(load("empty", "return {}"))
    local r, cerr = policy.call(p, "check", "ls")
    assert.is_nil(r)
    assert.matches("does not define check%(%)", cerr)
  end)

  it("rejects policy names that are paths", function()
    local p, err, class = policy.load("../x", {})
    assert.is_nil(p)
    assert.equal("usage", class)
    assert.matches("invalid policy name", err)
  end)
end)

describe("policy sandbox memory", function()
  it("stops a policy that grows the heap without bound", function()
    local dir = h.tmpdir()
    h.write(dir .. "/hog.lua", "return { f = function()\n  local t = {}\n  while true do t[#t + 1] = {} end\nend }")
    local p = assert(policy.load("hog", { policies_dir = dir, limits = { memory = 8 * 1024 * 1024 } }))
    local r, err, class = policy.call(p, "f")
    h.rm(dir)
    assert.is_nil(r)
    assert.equal("memory", class)
    assert.matches("hog%.lua:3: policy stopped: it used more than 8 MB of memory", err)
  end)
end)
