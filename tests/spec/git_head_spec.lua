-- cx.git_head against what git itself says, on repositories git made: loose and packed refs,
-- detached HEAD, worktrees, unborn branches; and the files it must refuse.
local h = require "helpers.cli"
local sub = require "helpers.sub"
local git_head = require "cx.git_head"
local context = require "cx.diag.context"

local function git(dir, args)
  local r = h.run(args, { bin = "git", cwd = dir,
    env = { GIT_AUTHOR_NAME = "t", GIT_AUTHOR_EMAIL = "t@localhost", GIT_COMMITTER_NAME = "t",
            GIT_COMMITTER_EMAIL = "t@localhost", GIT_CONFIG_NOSYSTEM = "1", HOME = dir } })
  assert.equal(0, r.code, r.stderr)
  return (r.stdout:gsub("%s+$", ""))
end

local function commit(dir, msg)
  git(dir, { "commit", "-q", "--allow-empty", "-m", msg })
  return git(dir, { "rev-parse", "HEAD" })
end

describe("cx.git_head", function()
  local dir
  before_each(function()
    dir = h.tmprepo()
    git(dir, { "checkout", "-q", "-b", "main" })
  end)
  after_each(function() h.rm(dir) end)

  it("reads a branch's loose ref, then the same ref packed", function()
    local sha = commit(dir, "one")
    local head = assert(git_head.read(dir))
    assert.same({ sha = sha, ref = "refs/heads/main", detached = false, root = dir }, head)
    assert.equal(git(dir, { "rev-parse", "--short", "HEAD" }), git_head.short(dir))
    git(dir, { "pack-refs", "--all", "--prune" })
    assert.is_nil(io.open(dir .. "/.git/refs/heads/main"))
    assert.equal(sha, git_head.read(dir).sha)
    -- a new commit is loose again, over the packed copy
    local sha2 = commit(dir, "two")
    assert.equal(sha2, git_head.read(dir).sha)
  end)

  it("reads a detached HEAD", function()
    local first = commit(dir, "one")
    commit(dir, "two")
    git(dir, { "checkout", "-q", "--detach", first })
    assert.same({ sha = first, detached = true, root = dir }, git_head.read(dir))
  end)

  it("finds the repository from a subdirectory, as git does", function()
    local sha = commit(dir, "one")
    os.execute("mkdir -p " .. h.quote(dir .. "/a/b"))
    assert.equal(sha, git_head.read(dir .. "/a/b").sha)
    local out = sub.lua([[return require("cx.git_head").short()]], nil, dir .. "/a")
    assert.equal(sha:sub(1, 7), out)
  end)

  it("reads a linked worktree's own HEAD and the shared refs", function()
    local main_sha = commit(dir, "one")
    git(dir, { "branch", "topic" })
    local wt = dir .. "-wt"
    git(dir, { "worktree", "add", "-q", wt, "topic" })
    local topic_sha = commit(wt, "on topic")
    assert.are_not.equal(main_sha, topic_sha)
    local head = assert(git_head.read(wt))
    assert.equal(topic_sha, head.sha)
    assert.equal("refs/heads/topic", head.ref)
    assert.equal(main_sha, git_head.read(dir).sha)
    git(dir, { "pack-refs", "--all", "--prune" })
    assert.equal(topic_sha, git_head.read(wt).sha)
    h.rm(wt)
  end)

  it("tells a branch with no commit yet apart from errors", function()
    local head = assert(git_head.read(dir))
    assert.same({ ref = "refs/heads/main", detached = false, root = dir }, head)
    local short, err, class = git_head.short(dir)
    assert.is_nil(short)
    assert.equal("unborn", class)
    assert.matches("no commit yet", err)
  end)

  it("reports a directory outside any repository", function()
    local plain = h.tmpdir()
    local head, err, class = git_head.read(plain)
    h.rm(plain)
    assert.is_nil(head)
    assert.equal("not_repo", class)
    assert.matches("not inside a git repository", err)
  end)

  it("refuses a corrupt, missing, symlinked or oversized HEAD with a message naming it", function()
    commit(dir, "one")
    local HEAD = dir .. "/.git/HEAD"
    local cases = {
      function() h.write(HEAD, "garbage\n") end,
      function() h.write(HEAD, "ref: refs/heads/../../../../etc/passwd\n") end,
      function() os.remove(HEAD) end,
      function() h.write(HEAD, string.rep("ref: refs/heads/main\n", 500)) end,
      function()
        h.write(dir .. "/.git/HEAD.real", "ref: refs/heads/main\n")
        os.execute("ln -sf HEAD.real " .. h.quote(HEAD))
      end,
    }
    for i, make in ipairs(cases) do
      os.remove(HEAD)
      make()
      local head, err, class = git_head.read(dir)
      assert.is_nil(head, "case " .. i)
      assert.equal("invalid", class, "case " .. i)
      assert.matches("HEAD", err, nil, true)
    end
  end)

  it("gives diag's version field the short HEAD without running git", function()
    local sha = commit(dir, "one")
    assert.equal(require("cx.core").version .. "+" .. sha:sub(1, 7), context.version(dir))
    -- with git off the PATH the answer is the same: nothing is started
    local r = h.run({ "diag", "--json", "--window", "1" }, { cwd = dir, env = { PATH = "/nonexistent" } })
    assert.equal(0, r.code, r.stderr)
    assert.equal(require("cx.core").version .. "+" .. sha:sub(1, 7), require("cx.json").decode(r.stdout).version)
  end)
end)
