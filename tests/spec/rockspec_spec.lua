-- The rockspec lists modules by hand; this keeps it in step with the tree.
local h = require "helpers.cli"

local function listing(cmd)
  local out = {}
  local p = io.popen(cmd)
  for line in p:lines() do out[#out + 1] = line end
  p:close()
  return out
end

describe("the rockspec", function()
  local spec = h.slurp(listing("ls " .. h.root .. "/cx-*.rockspec")[1])

  it("builds every native source into cx.core", function()
    for _, f in ipairs(listing("cd " .. h.root .. " && ls native/*.c")) do
      if f ~= "native/main.c" and not f:match("^native/fuzz_") then
        assert.truthy(spec:find('"' .. f .. '"', 1, true), f .. " missing from the rockspec")
      end
    end
  end)

  it("installs every Lua module", function()
    for _, f in ipairs(listing("cd " .. h.root .. " && find scripts -name '*.lua' | sort")) do
      assert.truthy(spec:find('"' .. f .. '"', 1, true), f .. " missing from the rockspec")
    end
  end)
end)
