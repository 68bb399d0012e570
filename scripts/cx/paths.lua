--- Where cx keeps its data: the `.codex/` directory of the enclosing git repository, else
--- `$HOME/.codex`. The repository root is found by walking up from the current directory to one
--- holding `.git` (a directory, or a file as in worktrees and submodules), without running git.
--- CX_REPO_ROOT is deliberately ignored: it names cx's own checkout, not the user's data.
local core = require "cx.core"

local fs = core.fs
local paths = {}

local cached -- the resolved table for this process (CX_NO_CACHE=1 disables)

local function parent_of(dir)
  if dir == "/" then return nil end
  local p = dir:match("^(.*)/[^/]*$")
  if p == nil then return nil end
  if p == "" then return "/" end
  return p
end

local function join(dir, name)
  if dir:sub(-1) == "/" then return dir .. name end
  return dir .. "/" .. name
end

--- The nearest directory at or above dir that contains `.git`, or nil.
function paths.find_root(dir)
  while dir do
    if fs.exists(join(dir, ".git")) then return dir end
    dir = parent_of(dir)
  end
  return nil
end

--- The layout for a working directory and a home directory (either may be nil). Returns the table
--- described in docs/logs.md, or nil and "unable to resolve log file" with neither repo nor home.
function paths.for_dir(cwd, home)
  local root = cwd and paths.find_root(cwd) or nil
  local base, scope
  if root then
    base, scope = join(root, ".codex"), "repo"
  elseif home and home ~= "" then
    base, scope = join(home, ".codex"), "global"
  else
    return nil, "unable to resolve log file", "no_base"
  end
  local logs = join(base, "cxlogs")
  return {
    cwd = cwd or "",
    root = root,
    scope = scope,
    base = base,
    logs_dir = logs,
    log_file = join(logs, "runs.jsonl"),
    schema_failures_file = join(logs, "schema_failures.jsonl"),
    quarantine_dir = join(base, "quarantine"),
    schemas_dir = join(base, "schemas"),
    state_file = join(base, "state.json"),
    tasks_file = root and join(root, ".codex/tasks.json") or nil,
    policies_dir = join(base, "policies"),
  }
end

local function cache_enabled()
  return os.getenv("CX_NO_CACHE") ~= "1"
end

--- The layout for this process (cwd and HOME), cached unless CX_NO_CACHE=1.
function paths.resolve()
  if cached and cache_enabled() then return cached end
  local cwd = fs.getcwd() -- nil when the cwd was removed: then only HOME can help
  local p, err, class = paths.for_dir(cwd, os.getenv("HOME"))
  if not p then return nil, err, class end
  if cache_enabled() then cached = p end
  return p
end

--- Forget the cached layout (tests, and long-lived embedders that change directory).
function paths.reset()
  cached = nil
end

--- The directory part of a path ("." for a bare name).
function paths.dirname(path)
  return parent_of(path) or (path:sub(1, 1) == "/" and "/" or ".")
end

paths.join = join

return paths
