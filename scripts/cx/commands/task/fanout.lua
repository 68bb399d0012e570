--- `cx task fanout <objective> [--from SRC]` (reference scheduler.md §2.7): a parent task and one
--- role-tagged child per chunk of the source (the worktree diff by default), at least three.
--- Every record printed is saved, padding children included (docs/compat.md).
local capture = require "cx.capture"
local common = require "cx.commands.task.common"
local config = require "cx.config"
local fanout = require "cx.tasks.fanout"
local localfs = require "cx.localfs"

local M = {}

M.USAGE = "cx task fanout <objective>"
M.USAGE_FROM = "cx task fanout <objective> [--from staged-diff|worktree|log|file:PATH]"

-- A user-named file is read up to this many bytes (a diff source, not a data store).
local MAX_FILE_BYTES = 64 * 1024 * 1024

local GIT = {
  worktree = { "git", "diff", "--no-color" },
  ["staged-diff"] = { "git", "diff", "--staged", "--no-color" },
  log = { "git", "log", "--oneline", "-n", "200" },
}

local function help()
  return common.help(M.USAGE_FROM, "Add a parent task (architect) and role-tagged children (implementer, "
    .. "reviewer, tester, doc, ...) that depend on it: one per chunk of the source text "
    .. "(CX_CONTEXT_BUDGET_CHARS per chunk, at most 6 chunks), at least 3 children.", {
      { "--from worktree", "git diff (default)" },
      { "--from staged-diff", "git diff --staged" },
      { "--from log", "git log --oneline -n 200" },
      { "--from file:PATH", "a file's contents (a missing file reads as empty)" },
    }, "Exit codes: 0 added, 1 store error, 2 usage error.")
end

-- The source text: git output (empty when git fails) or a file (empty when missing).
local function source_text(from)
  local argv = GIT[from]
  if argv then
    local out = capture.run(argv)
    if not out or out.exit_code ~= 0 then return "" end
    return out.stdout
  end
  local path = from:sub(6)
  local st = localfs.stat(path)
  if not st then return "" end
  if st.type ~= "file" then return nil, "--from " .. from .. ": not a regular file" end
  if st.size > MAX_FILE_BYTES then
    return nil, string.format("--from %s: larger than %d MiB", from, MAX_FILE_BYTES // (1024 * 1024))
  end
  local f = io.open(path, "rb")
  if not f then return "" end
  local text = f:read(MAX_FILE_BYTES) or ""
  f:close()
  return text
end

function M.run(argv)
  local h = common.maybe_help(argv, help)
  if h then return h end
  if #argv < 1 then return common.usage(M.USAGE) end
  local words, from = {}, "worktree"
  local i = 1
  while i <= #argv do
    if argv[i] == "--from" then
      if argv[i + 1] == nil then return common.usage(M.USAGE_FROM) end
      from = argv[i + 1]
      i = i + 1
    else
      words[#words + 1] = argv[i]
    end
    i = i + 1
  end
  local objective = table.concat(words, " "):match("^%s*(.-)%s*$")
  if objective == "" then return common.usage(M.USAGE) end
  if not (GIT[from] or from:match("^file:")) then
    return common.usage_error("fanout", "unsupported --from source '" .. from .. "'")
  end
  local s, code = common.open_store()
  if not s then return code end
  local text, err = source_text(from)
  if not text then return common.fail("fanout", err) end
  local budget = config.uint("CX_CONTEXT_BUDGET_CHARS", 12000)
  local made
  made, err = s:update(function(tasks)
    local parent, children = fanout.build(tasks, objective, text, budget)
    tasks[#tasks + 1] = parent
    for _, c in ipairs(children) do tasks[#tasks + 1] = c end
    return { parent = parent, children = children }
  end)
  if not made then return common.fail("fanout", err) end
  local rows = {}
  for k, c in ipairs(made.children) do rows[k] = { c.id, c.role, c.status, c.context_ref, c.objective } end
  local lines = common.table({ "id", "role", "status", "context_ref", "objective" }, rows)
  io.stdout:write("parent: ", made.parent.id, "\n", table.concat(lines, "\n"), "\n")
  return 0
end

return M
