--- `cx log-tail [N]`: the last N non-blank rows of the run log, each pretty-printed when it is JSON
--- and printed as it is otherwise. Only the end of the log is read, whatever its size.
local args = require "cx.args"
local json = require "cx.json"
local runlog = require("cx.core").runlog

local M = { summary = "print the last N rows of the run log" }

local DEFAULT_N = 10

function M.parser()
  local p = args.parser("log-tail",
    "Print the last N non-blank rows of the run log (.codex/cxlogs/runs.jsonl), each pretty-printed "
      .. "when it is JSON, as it is otherwise.")
  p:argument("N", "How many rows (default " .. DEFAULT_N .. ")."):args("?")
  p:flag("--json", "Print one JSON array of the rows (lines that are not JSON as strings).")
  p:option("--log", "Read this run log instead of .codex/cxlogs/runs.jsonl."):argname("<path>")
  p:flag("--strict", "Exit 1 when the log has no rows (a missing log always exits 1).")
  return p
end

local function exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

--- The directory holding `.git`, walking up from dir, or nil.
local function git_root(dir)
  while dir and dir ~= "" do
    if exists(dir .. "/.git") then return dir end
    if dir == "/" then return nil end
    dir = dir:match("^(.*)/[^/]*$")
    if dir == "" then dir = "/" end
  end
  return nil
end

--- The run log's path: from cx.paths when it is there, else the repository's (or $HOME's) .codex.
local function log_path()
  local ok, paths = pcall(require, "cx.paths")
  if ok and type(paths) == "table" and type(paths.resolve) == "function" then
    local fine, resolved = pcall(paths.resolve)
    if fine and type(resolved) == "table" and type(resolved.log_file) == "string" then
      return resolved.log_file
    end
  end
  local base = git_root(os.getenv("PWD")) or os.getenv("HOME")
  if not base then return nil end
  return base .. "/.codex/cxlogs/runs.jsonl"
end

local function fail(message)
  io.stderr:write("cx log-tail: ", message, "\n")
  return 1
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  local n = DEFAULT_N
  if opts.N then
    local err
    n, err = args.count(opts.N, "N", { min = 0 })
    if not n then
      io.stderr:write("cx log-tail: ", err, "\n")
      return 2
    end
  end
  local path = opts.log or log_path()
  if not path then return fail("unable to resolve the log file (no git repository and no HOME)") end
  local lines, err, class = runlog.tail(path, n)
  if not lines then
    if class == "not_found" then return fail("no log file at " .. path) end
    return fail(err)
  end
  if opts.strict and #lines == 0 and n > 0 then return fail("the run log " .. path .. " has no rows (--strict)") end
  local out = {}
  for i, line in ipairs(lines) do
    local value = json.decode(line)
    if opts.json then
      out[i] = value == nil and line or value
    else
      out[i] = value == nil and line or json.pretty(value)
    end
  end
  if opts.json then
    io.stdout:write(json.pretty(json.array(out)), "\n")
  elseif #out > 0 then
    io.stdout:write(table.concat(out, "\n"), "\n")
  end
  return 0
end

return M
