--- A deterministic, schema-valid example instance for the mock adapter: when a structured command
--- asks the mock for JSON and no canned response is configured, the mock answers with the smallest
--- sensible document its schema accepts, so every structured command works on the default adapter.
local json = require "cx.json"

local M = {}

local function first_type(t)
  if type(t) == "table" then
    for _, x in ipairs(t) do
      if x ~= "null" then return x end
    end
    return t[1]
  end
  return t
end

local function sized_string(s, schema)
  local min, max = schema.minLength or 0, schema.maxLength
  while utf8.len(s) < min do s = s .. " mock" end
  if max and utf8.len(s) > max then s = s:sub(1, utf8.offset(s, max + 1) - 1) end
  return s
end

local function gen(schema, name, depth)
  if type(schema) ~= "table" or depth > 16 then return json.null end
  if schema.const ~= nil then return schema.const end
  if type(schema.enum) == "table" and schema.enum[1] ~= nil then return schema.enum[1] end
  if schema.default ~= nil then return schema.default end
  for _, k in ipairs({ "allOf", "anyOf", "oneOf" }) do
    if type(schema[k]) == "table" and schema[k][1] then return gen(schema[k][1], name, depth + 1) end
  end
  local t = first_type(schema.type)
  if t == nil then t = schema.properties and "object" or schema.items and "array" or "string" end
  if t == "object" then
    local out = {}
    local props = type(schema.properties) == "table" and schema.properties or {}
    for _, key in ipairs(type(schema.required) == "table" and schema.required or {}) do
      out[key] = gen(props[key] or {}, key, depth + 1)
    end
    return out
  elseif t == "array" then
    local out = json.array({})
    local n = math.max(schema.minItems or 1, 1)
    if schema.maxItems and schema.maxItems < n then n = schema.maxItems end
    for i = 1, n do out[i] = gen(schema.items or {}, name, depth + 1) end
    return out
  elseif t == "string" then
    return sized_string("mock " .. (name or "value"), schema)
  elseif t == "integer" then
    return math.tointeger(schema.minimum or 0) or 0
  elseif t == "number" then
    return schema.minimum or 0
  elseif t == "boolean" then
    return false
  end
  return json.null
end

--- An instance for a decoded schema.
function M.generate(schema)
  return gen(schema, nil, 0)
end

--- The schema embedded in a structured prompt (cx.schema.envelope_prompt), decoded, or nil.
function M.schema_of_prompt(prompt)
  local text = prompt:match("\nSchema:\n(.-)\n\nTask input:\n")
  if not text then return nil end
  return json.decode(text)
end

return M
