-- docs/lua-api.md: every ```lua example in it runs, as a stock Lua 5.4 program would run it, in a fresh
-- git repository with the mock adapter; and the facade never raises on bad input.
local h = require "helpers.cli"

local function examples()
  local text = h.slurp(h.root .. "/docs/lua-api.md")
  local out = {}
  for block in text:gmatch("```lua\n(.-)```") do out[#out + 1] = block end
  return out
end

describe("docs/lua-api.md", function()
  local blocks = examples()

  it("has examples", function()
    assert.is_true(#blocks >= 4)
  end)

  for i, block in ipairs(blocks) do
    it("example " .. i .. " runs", function()
      local dir = h.tmprepo()
      h.write(dir .. "/example.lua", block)
      local r = h.run({ "example.lua" }, { bin = "lua5.4", cwd = dir, env = {
        HOME = dir,
        CX_PROVIDER_ADAPTER = "mock",
        CX_MOCK_PLAIN_RESPONSE = "hello from the mock",
        LUA_PATH = h.root .. "/scripts/?.lua;" .. h.root .. "/scripts/?/init.lua;;",
        LUA_CPATH = h.root .. "/build/lib/?.so;;",
      } })
      h.rm(dir)
      assert.equal(0, r.code, "example " .. i .. ":\n" .. block .. "\n" .. r.stdout .. r.stderr)
    end)
  end
end)

describe("the cx facade", function()
  local cx = require "cx"

  it("returns nil, message, usage for bad arguments instead of raising", function()
    for _, call in ipairs({
      function() return cx.run(42) end,
      function() return cx.run("x", { mode = "bogus" }) end,
      function() return cx.log_window(0) end,
      function() return cx.diag.diag(nil) end,
      function() return cx.diag.scheduler({}, "opts") end,
      function() return cx.diag.optimize(5) end,
      function() return cx.evaluate(nil, {}) end,
    }) do
      local ok, v, msg, class = pcall(call)
      assert.is_true(ok, tostring(v))
      assert.is_nil(v)
      assert.is_string(msg)
      assert.equal("usage", class)
    end
  end)

  it("builds cx.diag.diag(rows, opts) without a header or options (it used to crash)", function()
    local doc = assert(cx.diag.diag({ { queue_ms = 10, worker_id = "w1" } }))
    assert.equal("diag.v1", doc.contract_version)
    assert.equal(1, doc.scheduler_window_requested)
    assert.is_string(doc.version)
  end)
end)
