-- The rock's `cx` launcher (tools/cx-launcher.lua) behaves like the native binary. The rock's
-- install tree is laid out here as LuaRocks lays it out (modules under <lua>/cx/, the shipped
-- policies as cx.policies.* modules, cx.core as <lib>/cx/core.so), without running luarocks.
-- .ci/run installs the real rock and checks the same.
local h = require "helpers.cli"
local json = require "cx.json"

describe("the rock's cx launcher", function()
  local tree, repo

  setup(function()
    tree = h.tmpdir()
    local q = h.quote
    assert(os.execute(table.concat({
      "mkdir -p " .. q(tree .. "/lua/cx/policies") .. " " .. q(tree .. "/lib/cx"),
      "cp -R " .. q(h.root .. "/scripts/cx") .. "/. " .. q(tree .. "/lua/cx/"),
      "cp " .. q(h.root) .. "/policies/*.lua " .. q(tree .. "/lua/cx/policies/"),
      "cp " .. q(h.root .. "/build/lib/cx/core.so") .. " " .. q(tree .. "/lib/cx/core.so"),
    }, " && ")))
    repo = h.tmprepo()
    os.execute("mkdir -p " .. q(repo .. "/.codex/cxlogs"))
    os.execute("cp " .. q(h.root .. "/policies/tests/retry_storm.jsonl") .. " " ..
      q(repo .. "/.codex/cxlogs/runs.jsonl"))
  end)

  teardown(function()
    h.rm(tree)
    h.rm(repo)
  end)

  local function both(args)
    local env = { HOME = repo, LUA_PATH = tree .. "/lua/?.lua;" .. tree .. "/lua/?/init.lua;;",
      LUA_CPATH = tree .. "/lib/?.so;;", CX_PROVIDER_ADAPTER = "mock" }
    local argv = { h.root .. "/tools/cx-launcher.lua" }
    for _, a in ipairs(args) do argv[#argv + 1] = a end
    local launcher = h.run(argv, { cwd = repo, env = env, bin = "lua5.4" })
    local binary = h.run(args, { cwd = repo, env = { HOME = repo, CX_PROVIDER_ADAPTER = "mock" } })
    return launcher, binary
  end

  it("lists and checks the shipped policies, installed as modules", function()
    local l, b = both({ "policy", "list", "--json" })
    assert.equal(0, l.code, l.stderr)
    local names = {}
    for _, p in ipairs(assert(json.decode(l.stdout)).policies) do
      names[#names + 1] = p.name .. ":" .. p.origin
      assert.truthy(p.path:find(tree .. "/lua/cx/policies/", 1, true), p.path)
    end
    assert.same({ "alert:shipped", "command_safety:shipped", "optimize:shipped", "promptlint:shipped",
      "scheduler:shipped", "telemetry:shipped" }, names)
    assert.equal(#assert(json.decode(b.stdout)).policies, #names)
    l = both({ "policy", "check" })
    assert.equal(0, l.code, l.stdout .. l.stderr)
  end)

  for _, args in ipairs({
    { "diag", "--json", "--actions", "--strict" },
    { "scheduler", "--json", "--strict", "--severity", "critical" },
    { "optimize", "--json", "--actions" },
    { "policy", "run", "scheduler", "--json" },
    { "policy", "check", "command_safety", "rm", "-rf", "x" },
    { "log-tail", "2", "--json" },
    { "telemetry", "--json", "--strict" },
    { "cxo", "echo", "hi" },
    { "no-such-command" },
    { "diag", "--window", "x" },
  }) do
    it("gives the binary's exit code and output for cx " .. table.concat(args, " "), function()
      local l, b = both(args)
      assert.equal(b.code, l.code, l.stderr)
      local lj, bj = json.decode(l.stdout), json.decode(b.stdout)
      if bj and type(bj) == "table" and bj.severity then
        assert.equal(bj.severity, lj.severity)
        assert.same(bj.severity_reasons, lj.severity_reasons)
      elseif not bj then
        assert.equal(b.stdout, l.stdout)
      end
      assert.equal(b.stderr:match("^[^\n]*"), l.stderr:match("^[^\n]*"))
    end)
  end
end)
