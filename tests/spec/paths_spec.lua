-- cx.paths: the .codex layout, found by walking up to `.git` without running git.
local h = require "helpers.cli"
local sub = require "helpers.sub"
local paths = require "cx.paths"

describe("cx.paths", function()
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function() h.rm(dir) end)

  it("finds the repository root from a subdirectory and lays out .codex", function()
    os.execute("mkdir -p " .. h.quote(dir .. "/repo/.git") .. " " .. h.quote(dir .. "/repo/a/b"))
    local p = paths.for_dir(dir .. "/repo/a/b", "/home/nobody")
    assert.equal(dir .. "/repo", p.root)
    assert.equal("repo", p.scope)
    assert.equal(dir .. "/repo/a/b", p.cwd)
    assert.equal(dir .. "/repo/.codex", p.base)
    assert.equal(dir .. "/repo/.codex/cxlogs/runs.jsonl", p.log_file)
    assert.equal(dir .. "/repo/.codex/cxlogs/schema_failures.jsonl", p.schema_failures_file)
    assert.equal(dir .. "/repo/.codex/quarantine", p.quarantine_dir)
    assert.equal(dir .. "/repo/.codex/schemas", p.schemas_dir)
    assert.equal(dir .. "/repo/.codex/state.json", p.state_file)
    assert.equal(dir .. "/repo/.codex/tasks.json", p.tasks_file)
    assert.equal(dir .. "/repo/.codex/policies", p.policies_dir)
  end)

  it("accepts a .git file, as in worktrees", function()
    os.execute("mkdir -p " .. h.quote(dir .. "/wt/x"))
    h.write(dir .. "/wt/.git", "gitdir: /elsewhere\n")
    assert.equal(dir .. "/wt", paths.for_dir(dir .. "/wt/x", nil).root)
  end)

  it("falls back to $HOME/.codex outside a repository, without a tasks file", function()
    local p = paths.for_dir(dir, "/home/someone")
    assert.is_nil(p.root)
    assert.equal("global", p.scope)
    assert.equal("/home/someone/.codex/cxlogs/runs.jsonl", p.log_file)
    assert.equal("/home/someone/.codex/state.json", p.state_file)
    assert.is_nil(p.tasks_file)
  end)

  it("fails with neither a repository nor HOME", function()
    local p, err = paths.for_dir(dir, nil)
    assert.is_nil(p)
    assert.equal("unable to resolve log file", err)
    assert.is_nil((paths.for_dir(dir, "")))
  end)

  it("resolve() uses the process cwd and HOME, and ignores CX_REPO_ROOT", function()
    os.execute("mkdir -p " .. h.quote(dir .. "/r/.git") .. " " .. h.quote(dir .. "/other/.git"))
    local v, r = sub.lua("return require('cx.paths').resolve()",
      { CX_REPO_ROOT = dir .. "/other", HOME = "/home/x" }, dir .. "/r")
    assert.equal(0, r.code, r.stderr)
    assert.equal(dir .. "/r", v.root)
    assert.equal(dir .. "/r/.codex/cxlogs/runs.jsonl", v.log_file)
  end)

  it("resolve() without repo and HOME returns nil and the message", function()
    local v, r = sub.lua("local p, e = require('cx.paths').resolve(); return { p = p or false, e = e }",
      { HOME = false }, dir)
    assert.equal(0, r.code, r.stderr)
    assert.is_false(v.p)
    assert.equal("unable to resolve log file", v.e)
  end)

  it("caches per process unless CX_NO_CACHE=1", function()
    local code = "local paths = require('cx.paths'); return paths.resolve() == paths.resolve()"
    assert.is_true((sub.lua(code, { HOME = "/h" }, dir)))
    assert.is_false((sub.lua(code, { HOME = "/h", CX_NO_CACHE = "1" }, dir)))
  end)

  it("dirname", function()
    assert.equal("/a/b", paths.dirname("/a/b/c"))
    assert.equal("/", paths.dirname("/a"))
    assert.equal(".", paths.dirname("file"))
  end)
end)
