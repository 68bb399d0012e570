local stats = require "cx.diag.stats"

describe("cx.diag.stats", function()
  it("rounds half away from zero", function()
    assert.equal(13, stats.round(12.5))
    assert.equal(-13, stats.round(-12.5))
    assert.equal(0, stats.round(0.49999999999999994))
    assert.equal(2, stats.round(1.5))
    assert.equal("integer", math.type(stats.round(2.0)))
  end)

  it("gives integer percentages", function()
    assert.equal(33, stats.pct(1 / 3))
    assert.equal(-10, stats.pct(-0.1))
    assert.equal(13, stats.pct(0.125))
  end)

  it("formats two decimals half-to-even on the binary value", function()
    assert.equal("0.12", stats.fmt2(0.125))
    assert.equal("0.38", stats.fmt2(0.375))
    assert.equal("0.00", stats.fmt2(0.0))
  end)

  it("takes diag's p95 at round((n-1)*0.95)", function()
    local expect = { [1] = 0, [2] = 1, [3] = 2, [10] = 9, [11] = 10, [12] = 10, [20] = 18, [21] = 19, [22] = 20 }
    for n, idx in pairs(expect) do assert.equal(idx, stats.p95_index(n), "n=" .. n) end
    assert.is_nil(stats.p95({}))
    assert.equal(2540, stats.p95({ 2540, 2510, 2530, 2520 }))
    assert.equal(7, stats.p95({ 7 }))
  end)

  it("takes broker's p95 with integer floor indexing", function()
    assert.equal(0, stats.p95_floor({}))
    assert.equal(1000, stats.p95_floor({ 3000, 1000 }))
    local v = {}
    for i = 1, 22 do v[i] = i end
    assert.equal(20, stats.p95_floor(v))
  end)

  it("averages with floor division and reports missing ratios as nil", function()
    assert.equal(787, stats.avg_floor(3150, 4))
    assert.is_nil(stats.avg_floor(0, 0))
    assert.is_nil(stats.ratio(1, 0))
    assert.equal(0.0, stats.ratio_or_zero(1, 0))
    assert.equal("float", math.type(stats.ratio_or_zero(0, 0)))
  end)

  it("parses unsigned integers like Rust's u64::from_str", function()
    assert.equal(5, stats.parse_u64("+5"))
    assert.equal(7, stats.parse_u64("007"))
    assert.equal(0, stats.parse_u64("0"))
    assert.is_nil(stats.parse_u64("-1"))
    assert.is_nil(stats.parse_u64(" 5"))
    assert.is_nil(stats.parse_u64("5x"))
    assert.is_nil(stats.parse_u64(""))
    assert.is_nil(stats.parse_u64(nil))
    assert.is_nil(stats.parse_u64("99999999999999999999"))
  end)
end)
