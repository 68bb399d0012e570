--- The commit a repository's HEAD points at, read from its .git without running git (no child
--- process: `git rev-parse` through a shell cost a command 6-9 ms). The reading is native
--- (native/git_head.c): a .git directory or a worktree's `gitdir:` file, symbolic refs, loose refs
--- and packed-refs, a detached HEAD; every file bounded, regular, never read through a symlink.
local core = require "cx.core"

local git_head = {}

--- Hex digits of the short form (git's own default; it may use more in very large repositories).
git_head.SHORT_LEN = 7

-- The top directory of the repository enclosing dir (the nearest one holding `.git`, as git
-- finds it), dir defaulting to the current directory.
local function top_of(dir)
  dir = dir or core.fs.getcwd()
  if dir and dir:sub(1, 1) ~= "/" then dir = core.fs.realpath(dir) end -- walking up needs it absolute
  local root = dir and require("cx.paths").find_root(dir)
  if not root then return nil, "git: not inside a git repository", "not_repo" end
  return root
end

--- HEAD of the repository enclosing dir (any directory inside it; default: the current one).
--- Returns
---   { sha = <40 or 64 lowercase hex> | nil (a branch with no commit yet),
---     ref = "refs/heads/<branch>" | nil (detached), detached = boolean, root = <top directory> }
--- or nil, message, class: "not_repo", "invalid" (a malformed, oversized or symlinked file),
--- "unsupported" (the reftable ref storage), "io".
function git_head.read(dir)
  local root, err, class = top_of(dir)
  if not root then return nil, err, class end
  local head
  head, err, class = core.git.head(root)
  if not head then return nil, err, class end
  head.root = root
  return head
end

--- The full object name HEAD points at, or nil, message, class (as short).
function git_head.sha(dir)
  local head, err, class = git_head.read(dir)
  if not head then return nil, err, class end
  if not head.sha then return nil, "git: " .. tostring(head.ref) .. " has no commit yet", "unborn" end
  return head.sha
end

--- The first SHORT_LEN hex digits of HEAD's commit, or nil, message, class (as read; class
--- "unborn" for a branch with no commit yet).
function git_head.short(dir)
  local sha, err, class = git_head.sha(dir)
  if not sha then return nil, err, class end
  return sha:sub(1, git_head.SHORT_LEN)
end

return git_head
