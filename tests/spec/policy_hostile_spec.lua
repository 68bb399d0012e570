-- Hostile policies through the CLI (issue 12 item 2, issue 8 acceptance): each is stopped with a
-- clear one-line error naming the policy file and line, exit 1, no traceback, no raw control
-- bytes, and cx stays in charge (limits hold inside single library calls).
local h = require "helpers.cli"
local json = require "cx.json"

local repos = {}

teardown(function()
  for _, d in ipairs(repos) do h.rm(d) end
end)

local function repo()
  local d = h.tmprepo()
  repos[#repos + 1] = d
  os.execute("mkdir -p " .. h.quote(d .. "/.codex/policies") .. " " .. h.quote(d .. "/.codex/cxlogs"))
  h.write(d .. "/.codex/cxlogs/runs.jsonl", json.encode({ tool = "cxo", worker_id = "w1", queue_ms = 5 }) .. "\n")
  return d
end

-- A scheduler override whose one rule runs `body` (placed on line 3 of the file).
local function rule_policy(body)
  return "return { extends = true, rules = {\n  { id = 'hostile', check = function(input)\n" .. body ..
    "\n  end },\n} }\n"
end

-- A command_safety override whose check(cmd) runs `body` (line 3).
local function check_policy(body)
  return "return {\n  check = function(cmd)\n" .. body .. "\n  end,\n}\n"
end

local function assert_one_clean_line(r)
  assert.equal(1, r.code, r.stdout .. r.stderr)
  assert.equal(1, select(2, r.stderr:gsub("\n", "")), "one line: " .. r.stderr)
  assert.is_true(#r.stderr <= 400, "bounded: " .. #r.stderr)
  assert.is_nil(r.stderr:find("[%z\1-\9\11-\31\127]"), "no raw control bytes")
  assert.is_nil(r.stderr:find("traceback", 1, true))
end

-- Each case gets the limit it is about, generously above what the others need, so which limit
-- stops it never depends on the machine's speed.
local MEM = { CX_POLICY_MEMORY_MB = "16", CX_POLICY_TIMEOUT_MS = "60000" }
local LOOP = { CX_POLICY_INSTRUCTIONS = "1000000", CX_POLICY_TIMEOUT_MS = "60000" }
local WALL = { CX_POLICY_TIMEOUT_MS = "1500" } -- the wall clock is what stops a runaway C call

local CASES = {
  { "an endless loop", "    while true do end", LOOP, "policy stopped: it exceeded its budget of 1000000" },
  { "string doubling", "    local s = 'x'\n    while true do s = s .. s end", MEM, "policy stopped: it used more" },
  { "a huge string.rep", "    return { reason = ('x'):rep(1e9) }", MEM, "policy stopped: it used more" },
  { "gsub with %0 repeated", "    local s = ('x'):rep(100000)\n    while true do s = s:gsub('x+', '%0%0%0%0') end",
    MEM, "policy stopped: it used more" },
  { "string.format of many %s", "    local s, t = ('y'):rep(1e5), {}\n    for i = 1, 200 do t[i] = s end\n" ..
    "    return string.format(('%s'):rep(200), table.unpack(t))", MEM, "policy stopped: it used more" },
  { "table.concat", "    local s, t = ('z'):rep(4000), {}\n    for i = 1, 2500 do t[i] = s end\n" ..
    "    return table.concat(t)", MEM, "policy stopped: it used more" },
  { "a catastrophic pattern", "    return ('a'):rep(5000):find('.-.-.-.-.-.-.-b')", WALL,
    "policy stopped: it ran longer than 1500 ms" },
  { "an os.execute call", "    return os.execute('touch pwned')", {}, "attempt to index a nil value %(global 'os'%)" },
  { "a load call", "    return load('return 1')()", {}, "attempt to call a nil value %(global 'load'%)" },
  { "a huge error message", "    error(('e'):rep(16 * 1024 * 1024))", {}, "eeee%.%.%.$" },
  { "an escape-laden error message", "    error('\\27[2J\\27]0;pwned\\7\\n\\r')", {}, "\\x1b%[2J\\x1b%]0;pwned" },
}

describe("a hostile rule in .codex/policies/scheduler.lua", function()
  for _, case in ipairs(CASES) do
    it("is stopped: " .. case[1], function()
      local dir = repo()
      h.write(dir .. "/.codex/policies/scheduler.lua", rule_policy(case[2]))
      local r = h.cx({ "diag", "--json" }, { cwd = dir, env = case[3] })
      assert_one_clean_line(r)
      local where = dir .. "/.codex/policies/scheduler.lua:"
      assert.equal("cx diag: " .. where, r.stderr:sub(1, #where + 9))
      assert.matches(case[4], r.stderr:sub(1, -2))
      assert.equal("", r.stdout)
      assert.is_nil(io.open(dir .. "/pwned"))
    end)
  end
end)

describe("a hostile command_safety check", function()
  for _, case in ipairs(CASES) do
    it("is stopped: " .. case[1], function()
      local dir = repo()
      h.write(dir .. "/.codex/policies/command_safety.lua", check_policy(case[2]))
      local r = h.cx({ "policy", "check", "command_safety", "ls" }, { cwd = dir, env = case[3] })
      assert_one_clean_line(r)
      assert.matches("^cx policy check: " .. dir:gsub("%p", "%%%0") .. "/%.codex/policies/command_safety%.lua:%d+: ",
        r.stderr)
      assert.matches(case[4], r.stderr:sub(1, -2))
    end)
  end

  it("is stopped: 200,000-deep nesting in its answer, naming the policy", function()
    local dir = repo()
    h.write(dir .. "/.codex/policies/command_safety.lua",
      check_policy("    local t = {}\n    for i = 1, 200000 do t = { t } end\n    return t"))
    local r = h.cx({ "policy", "check", "command_safety", "ls" }, { cwd = dir })
    assert_one_clean_line(r)
    assert.equal("cx policy check: " .. dir .. "/.codex/policies/command_safety.lua:2: the policy result is nested "
      .. "too deep\n", r.stderr)
  end)

  it("is refused: a bytecode file, naming the file", function()
    local dir = repo()
    h.write(dir .. "/.codex/policies/command_safety.lua", string.dump(function() return {} end))
    local r = h.cx({ "policy", "check", "command_safety", "ls" }, { cwd = dir })
    assert_one_clean_line(r)
    assert.equal("cx policy check: " .. dir .. "/.codex/policies/command_safety.lua: precompiled (binary) chunks "
      .. "are refused; a policy must be Lua source text\n", r.stderr)
  end)
end)
