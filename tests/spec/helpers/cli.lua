--- Test helper: run the cx binary (or any argv) with env, cwd and stdin, capturing stdout, stderr
--- and the exit code. CX_TEST_BIN selects another binary (make asan uses the sanitized one).
local M = {}

local root = os.getenv("PWD")
M.root = root
M.bin = os.getenv("CX_TEST_BIN") or (root .. "/bin/cx")

local function q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.quote = q

local function slurp(path)
  local f = io.open(path, "rb")
  if not f then return "" end
  local s = f:read("a")
  f:close()
  return s
end
M.slurp = slurp

function M.write(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
end

--- A fresh temporary directory.
function M.tmpdir()
  local p = io.popen("mktemp -d /tmp/cxspec.XXXXXX")
  local d = p:read("l")
  p:close()
  return d
end

--- A temporary git repository (just `.git`, which is all cx needs to find the root).
function M.tmprepo()
  local d = M.tmpdir()
  assert(os.execute("git init -q " .. q(d)))
  return d
end

function M.rm(path)
  os.execute("rm -rf " .. q(path))
end

--- Run argv (a list); opts: env (table, values false to unset), cwd, stdin (string), bin (argv[0]).
--- Returns { code, stdout, stderr }.
--- The shell words that run argv with opts (cwd, env, bin) and no redirections, as a list;
--- `exec = true` puts `exec` before `env` (the shell becomes the program).
function M.command_words(argv, opts)
  local parts = {}
  if opts.cwd then parts[#parts + 1] = "cd " .. q(opts.cwd) .. " &&" end
  parts[#parts + 1] = opts.exec and "exec env" or "env"
  -- env takes its -u options before any assignment
  for k, v in pairs(opts.env or {}) do
    if v == false then parts[#parts + 1] = "-u " .. q(k) end
  end
  for k, v in pairs(opts.env or {}) do
    if v ~= false then parts[#parts + 1] = q(k .. "=" .. v) end
  end
  parts[#parts + 1] = q(opts.bin or M.bin)
  for _, a in ipairs(argv) do parts[#parts + 1] = q(a) end
  return parts
end

function M.run(argv, opts)
  opts = opts or {}
  local tmp = os.tmpname()
  local parts = M.command_words(argv, opts)
  if opts.stdin then
    M.write(tmp .. ".in", opts.stdin)
    parts[#parts + 1] = "<" .. q(tmp .. ".in")
  else
    parts[#parts + 1] = "</dev/null"
  end
  parts[#parts + 1] = ">" .. q(tmp .. ".out") .. " 2>" .. q(tmp .. ".err")
  local _, _, code = os.execute(table.concat(parts, " "))
  local r = { code = code, stdout = slurp(tmp .. ".out"), stderr = slurp(tmp .. ".err") }
  os.remove(tmp)
  os.remove(tmp .. ".in")
  os.remove(tmp .. ".out")
  os.remove(tmp .. ".err")
  return r
end

--- Run `cx` with args in a directory.
function M.cx(args, opts)
  return M.run(args, opts)
end

return M
