--- The commit a git checkout is at, read from its files (`.git/HEAD`, the ref it names, or
--- `packed-refs`) instead of running `git rev-parse`: no child process, no shell. Handles a `.git`
--- file (worktrees, submodules: `gitdir: <path>`) and a worktree's `commondir`. Every read is
--- bounded: these are tiny files, and a hostile checkout must not make cx read gigabytes.
local git_head = {}

local MAX_SMALL = 4096          -- HEAD, a loose ref, a .git file, commondir
local MAX_PACKED = 16 * 1048576 -- packed-refs is scanned line by line up to this many bytes

local function read_small(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local text = f:read(MAX_SMALL)
  f:close()
  if not text then return nil end
  return (text:gsub("%s+$", ""))
end

local function is_dir(path)
  local f = io.open(path .. "/HEAD", "rb")
  if f then f:close() end
  return f ~= nil
end

local function absolute(base, path)
  if path:sub(1, 1) == "/" then return path end
  return base .. "/" .. path
end

--- The git directory of a checkout rooted at root (the `.git` directory, or the one a `.git` file
--- points to), or nil.
function git_head.git_dir(root)
  local dot = root .. "/.git"
  if is_dir(dot) then return dot end
  local text = read_small(dot)
  local target = text and text:match("^gitdir:%s*(.-)%s*$")
  if target and target ~= "" then
    local dir = absolute(root, target)
    if is_dir(dir) then return dir end
  end
  return nil
end

local function packed_ref(dir, ref)
  local f = io.open(dir .. "/packed-refs", "rb")
  if not f then return nil end
  local read = 0
  for line in f:lines() do
    read = read + #line + 1
    if read > MAX_PACKED then break end
    local sha, name = line:match("^(%x+) (%S+)$")
    if name == ref then
      f:close()
      return sha
    end
  end
  f:close()
  return nil
end

local function valid_sha(s)
  if s and #s >= 40 and s:match("^%x+$") then return s:lower() end
  return nil
end

--- The full commit id HEAD points at, or nil (not a checkout, no commit yet, unreadable).
function git_head.sha(root)
  local dir = root and git_head.git_dir(root)
  if not dir then return nil end
  local head = read_small(dir .. "/HEAD")
  if not head then return nil end
  local ref = head:match("^ref:%s*(%S+)$")
  if not ref then return valid_sha(head) end
  if ref:find("..", 1, true) then return nil end
  local common = read_small(dir .. "/commondir")
  local dirs = { dir }
  if common and common ~= "" then dirs[#dirs + 1] = absolute(dir, common) end
  for _, d in ipairs(dirs) do
    local sha = valid_sha(read_small(d .. "/" .. ref)) or valid_sha(packed_ref(d, ref))
    if sha then return sha end
  end
  return nil
end

--- The abbreviated commit id (7 hex digits, as `git rev-parse --short` prints for a small
--- repository), or nil.
function git_head.short(root)
  local sha = git_head.sha(root)
  return sha and sha:sub(1, 7) or nil
end

return git_head
