local mock = require "cx.adapters.mock"

local saved = {}
local function setenv(t)
  -- os.getenv cannot be set from Lua; the module reads env through os.getenv, so stub it.
  saved.getenv = saved.getenv or os.getenv
  os.getenv = function(k) -- luacheck: ignore 122
    if t[k] ~= nil then return t[k] end
    return saved.getenv(k)
  end
end

describe("mock adapter knobs", function()
  after_each(function()
    if saved.getenv then os.getenv = saved.getenv end -- luacheck: ignore 122
    saved.getenv = nil
  end)

  it("has a fixed latency", function()
    setenv({ CX_MOCK_LATENCY_MS = "25" })
    assert.equal(25, mock.latency_ms(1))
    assert.equal(25, mock.latency_ms(7))
  end)

  it("draws a range deterministically from the seed", function()
    setenv({ CX_MOCK_LATENCY_MS = "10-50", CX_MOCK_SEED = "42" })
    local a = {}
    for k = 1, 50 do
      a[k] = mock.latency_ms(k)
      assert.is_true(a[k] >= 10 and a[k] <= 50)
    end
    for k = 1, 50 do assert.equal(a[k], mock.latency_ms(k)) end
    local distinct = {}
    for _, v in ipairs(a) do distinct[v] = true end
    local n = 0
    for _ in pairs(distinct) do n = n + 1 end
    assert.is_true(n > 10)
    setenv({ CX_MOCK_LATENCY_MS = "10-50", CX_MOCK_SEED = "43" })
    local differs = false
    for k = 1, 50 do differs = differs or mock.latency_ms(k) ~= a[k] end
    assert.is_true(differs)
  end)

  it("injects failures on every attempt, or every Nth", function()
    setenv({ CX_MOCK_FAIL = "timeout" })
    assert.equal("timeout", mock.failure_for(1))
    assert.equal("timeout", mock.failure_for(2))
    setenv({ CX_MOCK_FAIL = "rate_limited", CX_MOCK_FAIL_EVERY = "2" })
    assert.equal("rate_limited", mock.failure_for(1))
    assert.is_nil(mock.failure_for(2))
    assert.equal("rate_limited", mock.failure_for(3))
    setenv({ CX_MOCK_FAIL = "" })
    assert.is_nil(mock.failure_for(1))
  end)
end)
