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

--- Like json.pretty, but the keys named in first_keys come first, in that order, in every object
--- (other keys follow, sorted): for outputs the reference printed in declaration order (`task
--- show`, `task run-plan --json`).
function json.pretty_ordered(value, first_keys)
  local rank = {}
  for i, k in ipairs(first_keys) do rank[k] = i end
  local function before(a, b)
    local ra, rb = rank[a], rank[b]
    if ra and rb then return ra < rb end
    if ra or rb then return ra ~= nil end
    return a < b
  end
  local out = {}
  local function emit(v, level)
    if type(v) ~= "table" then
      out[#out + 1] = json.encode(v)
      return
    end
    local pad = "\n" .. string.rep("  ", level + 1)
    if json.is_array(v) or v[1] ~= nil then
      if #v == 0 then
        out[#out + 1] = "[]"
        return
      end
      out[#out + 1] = "["
      for i = 1, #v do
        out[#out + 1] = (i > 1 and "," or "") .. pad
        emit(v[i], level + 1)
      end
      out[#out + 1] = "\n" .. string.rep("  ", level) .. "]"
      return
    end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    if #keys == 0 then
      out[#out + 1] = "{}"
      return
    end
    table.sort(keys, before)
    out[#out + 1] = "{"
    for i, k in ipairs(keys) do
      out[#out + 1] = (i > 1 and "," or "") .. pad .. json.encode(k) .. ": "
      emit(v[k], level + 1)
    end
    out[#out + 1] = "\n" .. string.rep("  ", level) .. "}"
  end
  emit(value, 0)
  return table.concat(out)
end

--- True when v is JSON null (or Lua nil).
function json.is_null(v)
  return v == nil or v == core.json.null
end

return json
