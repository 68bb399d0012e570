local regex = require "cx.schema.regex"

-- pattern, subject, expected match
local CASES = {
  { "^[a-z]+$", "abc", true }, { "^[a-z]+$", "abC", false },
  { "^\\d{3}-\\d{4}$", "555-1234", true }, { "^\\d{3}-\\d{4}$", "55-1234", false },
  { "^(foo|bar)baz$", "barbaz", true }, { "^(foo|bar)baz$", "quxbaz", false },
  { "a.c", "xxabcxx", true }, { "a.c", "a\nc", false },
  { "^$", "", true }, { "^a*?b$", "aaab", true }, { "^(?:ab)+$", "abab", true },
  { "^é.$", "éx", true }, { "^.$", "é", true },
  { "^[^\\s]+$", "a b", false }, { "x{2,3}", "axxb", true }, { "^x{2,3}$", "xxxx", false },
  { "^x{2,}$", "xxxxx", true }, { "\\bfoo\\b", "a foo b", true }, { "\\bfoo\\b", "afoo", false },
  { "a{", "a{", true }, { "^[-a]+$", "-a-", true }, { "[\\]]", "]", true },
  { "^\\w+@\\w+\\.com$", "me@x.com", true }, { "^\\w+@\\w+\\.com$", "me@x_com", false },
  { "^(?<year>\\d{4})-\\d\\d$", "2024-01", true }, { "^\\u00e9$", "é", true }, { "^\\x41$", "A", true },
  { "colou?r", "my color", true },
}

describe("pattern regex subset", function()
  for _, c in ipairs(CASES) do
    it(string.format("%s on %q -> %s", c[1], c[2], tostring(c[3])), function()
      local re = assert(regex.compile(c[1]))
      assert.equal(c[3], regex.test(re, c[2]))
    end)
  end

  it("rejects what it does not implement, and malformed patterns, with a position", function()
    local bad_patterns = { "(?=a)", "(?!a)", "(?<=a)b", "(a)\\1", "\\p{L}", "(a", "a)", "*a", "[a", "[z-a]", "a{3,1}" }
    for _, bad in ipairs(bad_patterns) do
      local re, err = regex.compile(bad)
      assert.is_nil(re, bad)
      assert.matches("at offset %d+$", err)
    end
  end)

  it("gives up on catastrophic backtracking instead of hanging", function()
    local re = assert(regex.compile("^(a+)+$"))
    local ok, err = regex.test(re, string.rep("a", 40) .. "!")
    assert.is_nil(ok)
    assert.matches("budget", err)
  end)
end)
