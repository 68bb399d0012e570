--- File access for the schema, quarantine and policy modules: the native `cx.core.fs` binding
--- (mkdir_p, write_atomic, list_dir, exists, is_dir, pid, random_hex) plus reading a whole file.
local native = require("cx.core").fs

local fs = setmetatable({}, { __index = native })

--- Read a whole file. Returns the text, or nil and io.open's message (which names the path).
function fs.read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text, rerr = f:read("a")
  f:close()
  if not text then return nil, path .. ": " .. tostring(rerr) end
  return text
end

return fs
