--- JSON for the Lua side: decode keeps integers apart from floats; encode sorts keys the way the
--- reference's serializer does (compact by default, 2-space pretty on request).
local core = require "cx.core"

local json = {
  null = core.json.null,
  array = core.json.array,
  is_array = core.json.is_array,
}

--- Decode a JSON text. Returns the value, or nil and a message with line and column.
function json.decode(text)
  return core.json.decode(text)
end

--- Encode a value compactly (one line, no spaces). Errors on values JSON cannot hold.
function json.encode(value)
  local out, err = core.json.encode(value, false)
  if not out then error("json.encode: " .. err, 2) end
  return out
end

--- Encode a value with 2-space indentation and sorted keys, no trailing newline.
function json.pretty(value)
  local out, err = core.json.encode(value, true)
  if not out then error("json.encode: " .. err, 2) end
  return out
end

--- True when v is JSON null (or Lua nil).
function json.is_null(v)
  return v == nil or v == core.json.null
end

return json
