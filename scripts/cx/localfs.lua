--- The few file operations the schema, quarantine and policy modules need. They come from the native
--- binding (`require("cx.core").fs`) when this build has it; otherwise from the portable fallbacks
--- below, so these modules also work on a cx.core built without the fs binding.
--- Every function returns its value, or nil, a message naming the path, and a class.
local ok_core, core = pcall(require, "cx.core")
local native = ok_core and type(core) == "table" and core.fs or nil

local fallback = {}

local function q(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end

local function shell_ok(cmd)
  local ok, _, code = os.execute(cmd)
  return ok == true and code == 0
end

function fallback.is_dir(path)
  return shell_ok("test -d " .. q(path))
end

function fallback.exists(path)
  return shell_ok("test -e " .. q(path))
end

function fallback.list_dir(path)
  if not fallback.is_dir(path) then
    if fallback.exists(path) then return nil, path .. ": Not a directory", "invalid" end
    return nil, path .. ": No such file or directory", "not_found"
  end
  local p = io.popen("ls -1A -- " .. q(path) .. " 2>/dev/null")
  local names = {}
  for line in p:lines() do names[#names + 1] = line end
  p:close()
  table.sort(names)
  return names
end

function fallback.mkdir_p(path)
  if shell_ok("mkdir -p -- " .. q(path) .. " 2>/dev/null") then return true end
  return nil, "cannot create directory " .. path, "io"
end

function fallback.random_hex(n)
  local f = io.open("/dev/urandom", "rb")
  if not f then return nil, "cannot open /dev/urandom", "io" end
  local bytes = f:read(n)
  f:close()
  return (bytes:gsub(".", function(c) return string.format("%02x", c:byte()) end))
end

function fallback.pid()
  local f = io.open("/proc/self/stat", "r")
  if f then
    local line = f:read("l")
    f:close()
    local pid = line and math.tointeger(tonumber(line:match("^(%d+)")))
    if pid then return pid end
  end
  return 0
end

function fallback.write_atomic(path, data)
  local tmp = path .. ".tmp." .. fallback.random_hex(6)
  local f, err = io.open(tmp, "wb")
  if not f then return nil, err, "io" end
  local ok, werr = f:write(data)
  f:close()
  if not ok then
    os.remove(tmp)
    return nil, werr, "io"
  end
  local renamed, rerr = os.rename(tmp, path)
  if not renamed then
    os.remove(tmp)
    return nil, rerr, "io"
  end
  return true
end

local fs = {}
for _, name in ipairs({ "is_dir", "exists", "list_dir", "mkdir_p", "random_hex", "pid", "write_atomic" }) do
  fs[name] = native and native[name] or fallback[name]
end
fs.fallback = fallback

--- Read a whole file. Returns the text, or nil and `<os message>` (io.open's, which names the path).
function fs.read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text, rerr = f:read("a")
  f:close()
  if not text then return nil, path .. ": " .. tostring(rerr) end
  return text
end

return fs
