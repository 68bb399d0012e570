-- `cx state show|get|set` end to end, and how `set` reads values (reference commands.md §4).
local h = require "helpers.cli"
local lr = require "helpers.log_repo"
local json = require "cx.json"
local state_cmd = require "cx.commands.state"

teardown(lr.cleanup)

describe("state set values", function()
  it("parse like the reference (reference parse_cli_value_handles_primitives)", function()
    local p = state_cmd.parse_value
    assert.equal(true, p("true"))
    assert.equal(true, p("TRUE"))
    assert.equal(false, p("False"))
    assert.equal(json.null, p("null"))
    assert.equal(json.null, p("NULL"))
    assert.equal(42, p("42"))
    assert.equal("integer", math.type(p("42")))
    assert.equal(7, p("007"))
    assert.equal(5, p("+5"))
    assert.equal(3.5, p("3.5"))
    assert.equal(1e20, p("99999999999999999999"))
    assert.same({ 1, 2 }, p("  [1,2]"))
    assert.same({ a = 1 }, p('{"a":1}'))
    assert.equal("quoted", p('"quoted"'))
    assert.equal("hello world", p("hello world"))
    assert.equal("NaN", p("NaN"))
    assert.equal("inf", p("inf"))
    assert.equal("0x10", p("0x10"))
  end)
end)

describe("cx state", function()
  it("shows the default skeleton without creating the file", function()
    local dir = lr.repo(nil)
    local r = lr.cx(dir, { "state" })
    assert.equal(0, r.code, r.stderr)
    assert.same(require("cx.state").default(), lr.json(r))
    assert.matches('^{\n  "alert_overrides": {},\n', r.stdout)
    assert.is_nil(io.open(dir .. "/.codex/state.json"))
  end)

  it("sets and gets nested paths (reference set_and_get_nested_path)", function()
    local dir = lr.repo(nil)
    local s = lr.cx(dir, { "state", "set", "a.b.c", "7" })
    assert.equal(0, s.code, s.stderr)
    assert.equal("ok\n", s.stdout)
    assert.equal("7\n", lr.cx(dir, { "state", "get", "a.b.c" }).stdout)
    assert.equal('{"b":{"c":7}}\n', lr.cx(dir, { "state", "get", "a" }).stdout)
    assert.equal("7\n", lr.cx(dir, { "state", "get", ".a..b.c." }).stdout)
    lr.cx(dir, { "state", "set", "preferences.conventional_commits", "true" })
    lr.cx(dir, { "state", "set", "preferences.pr_summary_format", "bullets" })
    assert.equal("true\n", lr.cx(dir, { "cxstate", "get", "preferences.conventional_commits" }).stdout)
    assert.equal("bullets\n", lr.cx(dir, { "state", "get", "preferences.pr_summary_format" }).stdout)
    assert.equal("null\n", lr.cx(dir, { "state", "get", "last_model" }).stdout)
    local text = h.slurp(dir .. "/.codex/state.json")
    assert.matches('\n  "preferences": {\n    "conventional_commits": true,\n', text)
    assert.equal("\n", text:sub(-1))
  end)

  it("reports a missing key with the file, exit 1", function()
    local dir = lr.repo(nil)
    local r = lr.cx(dir, { "state", "get", "preferences.nope" })
    assert.equal(1, r.code)
    assert.equal("", r.stdout)
    assert.equal("cx state get: key not found: preferences.nope\nstate_file: " .. dir .. "/.codex/state.json\n",
      r.stderr)
  end)

  it("refuses to write through a scalar or an array instead of clobbering it", function()
    local dir = lr.repo(nil)
    lr.cx(dir, { "state", "set", "a", "5" })
    lr.cx(dir, { "state", "set", "list", "[1,2]" })
    local r = lr.cx(dir, { "state", "set", "a.b", "1" })
    assert.equal(1, r.code)
    assert.equal("cx state set: cannot set a.b: a is a number, not an object\n", r.stderr)
    r = lr.cx(dir, { "state", "set", "list.x", "1" })
    assert.equal("cx state set: cannot set list.x: list is an array, not an object\n", r.stderr)
    assert.equal("5\n", lr.cx(dir, { "state", "get", "a" }).stdout)
    -- a null on the way is replaced by an object, as the reference does
    lr.cx(dir, { "state", "set", "n", "null" })
    assert.equal(0, lr.cx(dir, { "state", "set", "n.m", "1" }).code)
  end)

  it("reports a broken state file and leaves it alone", function()
    local dir = lr.repo(nil)
    os.execute("mkdir -p " .. dir .. "/.codex")
    h.write(dir .. "/.codex/state.json", "{broken")
    for _, args in ipairs({ { "state" }, { "state", "get", "a" }, { "state", "set", "a", "1" } }) do
      local r = lr.cx(dir, args)
      assert.equal(1, r.code)
      assert.matches("^cx state %a+: invalid state JSON " .. dir:gsub("%p", "%%%0"), r.stderr)
    end
    assert.equal("{broken", h.slurp(dir .. "/.codex/state.json"))
  end)

  for _, case in ipairs({
    { { "state", "get" }, 2, "^cx state get: missing <key>" },
    { { "state", "set", "k" }, 2, "^cx state set: missing <key> or <value>" },
    { { "state", "set", "k", "v", "w" }, 2, "^cx state set: unexpected argument 'w'" },
    { { "state", "set", "..", "v" }, 1, "^cx state set: key cannot be empty" },
    { { "state", "sho" }, 2, "^cx state: unknown subcommand 'sho' %(did you mean 'show'%?%)" },
  }) do
    it("rejects " .. table.concat(case[1], " "), function()
      local r = lr.cx(lr.repo(nil), case[1])
      assert.equal(case[2], r.code)
      assert.matches(case[3], r.stderr)
    end)
  end
end)
