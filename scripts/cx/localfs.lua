--- File access for cx's Lua modules: the native `cx.core.fs` binding (read_file, write_atomic,
--- copy_file, mkdir_p, list_dir, exists, is_dir, pid, random_hex ...) plus the read bounds cx uses
--- and `read`, the one way a module reads a whole file. The rules come from native/fs.h and are
--- documented in docs/security.md: nothing under `.codex/` is followed through a symlink, only
--- regular files are opened (a FIFO, device or directory is an error naming it, never a hang), and
--- every read is bounded.
local native = require("cx.core").fs

local fs = setmetatable({}, { __index = native })

local MiB = 1 << 20

--- The largest file cx reads, by kind (bytes). A larger file is an error naming it ("too_large").
fs.LIMITS = {
  state = 1 * MiB, -- .codex/state.json
  schema = 1 * MiB, -- .codex/schemas/*.schema.json
  policy = 1 * MiB, -- .codex/policies/*.lua
  quarantine = 64 * MiB, -- .codex/quarantine/*.json (prompts and raw replies of two attempts)
  tasks = 256 * MiB, -- .codex/tasks.json (cx.tasks.store.MAX_BYTES)
  document = 16 * MiB, -- a user-named input document (`schema validate FILE`, stdin)
}

--- Read a whole file. opts (all optional): max_bytes (default LIMITS.document), follow (a
--- user-named file outside .codex/ may be a symlink), any_type (a user-named input may be a FIFO
--- or device, e.g. /dev/stdin; never a directory), tail (the last max_bytes of a longer file).
--- Returns the text, or nil, a message naming the path, and a class: not_found | permission |
--- symlink | not_regular | too_large | io | nomem | invalid.
function fs.read(path, opts)
  opts = opts or {}
  if opts.max_bytes == nil then
    local o = { max_bytes = fs.LIMITS.document }
    for k, v in pairs(opts) do o[k] = v end
    opts = o
  end
  return native.read_file(path, opts)
end

--- The reason part of a message from this module ("cannot open <path>: <reason>" -> "<reason>"),
--- for callers that name the path in their own prefix.
function fs.reason(message, path)
  message = tostring(message)
  local at = message:find(path .. ": ", 1, true)
  if at then return message:sub(at + #path + 2) end
  return message
end

--- Read a bounded amount of a stream (stdin): the text, or nil, message, "too_large" past max_bytes.
function fs.read_stream(file, max_bytes, name)
  local text = file:read(max_bytes + 1) or ""
  if #text > max_bytes then
    return nil, string.format("cannot read %s: it is larger than the %d-byte limit", name, max_bytes), "too_large"
  end
  return text
end

return fs
