--- JSON Schema (draft 2020-12) validation of decoded JSON values, for structured commands.
---
--- compile(schema) checks every keyword once: a keyword this module does not implement is reported
--- with its JSON pointer instead of being ignored (a silently ignored `format` or `if` would let wrong
--- output through). validate(compiled, value) returns the errors in the reference's message shapes
--- (jsonschema-rs: `"commands" is a required property`, `[] has less than 1 item`, ...), each with the
--- instance path as a JSON pointer. Keywords are evaluated in sorted order, as the reference does.
local json = require "cx.json"
local regex = require "cx.schema.regex"

local validator = {}

local MAX_DEPTH = 256
local STEP_BUDGET = 1000000

-- Keywords that carry no assertion: accepted and skipped.
local ANNOTATIONS = {
  ["$schema"] = true, ["$id"] = true, ["$comment"] = true,
  title = true, description = true, default = true, examples = true,
  deprecated = true, readOnly = true, writeOnly = true,
}

local TYPE_NAMES = {
  array = true, boolean = true, integer = true, null = true, number = true, object = true, string = true,
}

---------------------------------------------------------------------------------------------------
-- Value helpers

local function is_object(v) return type(v) == "table" and not json.is_array(v) end
local function is_array(v) return type(v) == "table" and json.is_array(v) end

local function type_of(v)
  if v == json.null then return "null" end
  local t = type(v)
  if t == "table" then return json.is_array(v) and "array" or "object" end
  if t == "number" then return math.type(v) == "integer" and "integer" or "number" end
  return t
end

-- "integer" follows the spec: any number with a zero fractional part (1.0 included).
local function has_type(v, name)
  local t = type_of(v)
  if t == name then return true end
  if name == "number" then return t == "integer" end
  if name == "integer" and t == "number" then
    return v == v and v ~= math.huge and v ~= -math.huge and v == math.floor(v)
  end
  return false
end

local function show(v)
  local ok, text = pcall(json.encode, v)
  if ok then return text end
  return tostring(v)
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- JSON equality: numbers by value (1 == 1.0), arrays by position, objects by key set.
local function equal(a, b)
  local ta, tb = type_of(a), type_of(b)
  if (ta == "integer" or ta == "number") and (tb == "integer" or tb == "number") then return a == b end
  if ta ~= tb then return false end
  if ta == "array" then
    if #a ~= #b then return false end
    for i = 1, #a do
      if not equal(a[i], b[i]) then return false end
    end
    return true
  end
  if ta == "object" then
    for k, v in pairs(a) do
      if b[k] == nil or not equal(v, b[k]) then return false end
    end
    for k in pairs(b) do
      if a[k] == nil then return false end
    end
    return true
  end
  return a == b
end
validator.equal = equal

local function char_len(s)
  return utf8.len(s) or #s
end

local function plural(n, one, many)
  return n == 1 and one or many
end

local function escape_pointer(token)
  return (tostring(token):gsub("~", "~0"):gsub("/", "~1"))
end

local function unescape_pointer(token)
  return (token:gsub("~1", "/"):gsub("~0", "~"))
end

---------------------------------------------------------------------------------------------------
-- Compilation: schema table -> node { ptr, bool | keyword values, compiled children }

local Compiler = {}
Compiler.__index = Compiler

function Compiler:problem(ptr, msg)
  self.problems[#self.problems + 1] = { pointer = ptr, message = msg }
end

local function non_negative_int(v)
  return math.type(v) == "integer" and v >= 0 or (math.type(v) == "float" and v >= 0 and v == math.floor(v))
end

local function number(v) return math.type(v) ~= nil end

-- Keyword checks: each returns the compiled value, or nil after recording a problem.
local KEYWORDS = {}

local function expect(pred, what)
  return function(self, value, ptr)
    if pred(value) then return value end
    self:problem(ptr, "expected " .. what)
    return nil
  end
end

KEYWORDS.minLength = expect(non_negative_int, "a non-negative integer")
KEYWORDS.maxLength = KEYWORDS.minLength
KEYWORDS.minItems = KEYWORDS.minLength
KEYWORDS.maxItems = KEYWORDS.minLength
KEYWORDS.minProperties = KEYWORDS.minLength
KEYWORDS.maxProperties = KEYWORDS.minLength
KEYWORDS.minimum = expect(number, "a number")
KEYWORDS.maximum = KEYWORDS.minimum
KEYWORDS.exclusiveMinimum = KEYWORDS.minimum
KEYWORDS.exclusiveMaximum = KEYWORDS.minimum
KEYWORDS.multipleOf = expect(function(v) return number(v) and v > 0 end, "a number greater than 0")
KEYWORDS.uniqueItems = expect(function(v) return type(v) == "boolean" end, "a boolean")
KEYWORDS.const = function(_, value) return { value = value } end
KEYWORDS.enum = expect(is_array, "an array")

function KEYWORDS.type(self, value, ptr)
  local names = type(value) == "string" and { value } or value
  if not (type(value) == "string" or is_array(value)) then
    self:problem(ptr, "expected a type name or an array of type names")
    return nil
  end
  for _, n in ipairs(names) do
    if not TYPE_NAMES[n] then
      self:problem(ptr, "unknown type " .. show(n))
      return nil
    end
  end
  local sorted = {}
  for i, n in ipairs(names) do sorted[i] = n end
  table.sort(sorted)
  return { names = sorted }
end

function KEYWORDS.required(self, value, ptr)
  if not is_array(value) then
    self:problem(ptr, "expected an array of strings")
    return nil
  end
  for _, n in ipairs(value) do
    if type(n) ~= "string" then
      self:problem(ptr, "expected an array of strings")
      return nil
    end
  end
  return value
end

function KEYWORDS.dependentRequired(self, value, ptr)
  if not is_object(value) then
    self:problem(ptr, "expected an object of string arrays")
    return nil
  end
  for k, v in pairs(value) do
    KEYWORDS.required(self, v, ptr .. "/" .. escape_pointer(k))
  end
  return value
end

function KEYWORDS.pattern(self, value, ptr)
  if type(value) ~= "string" then
    self:problem(ptr, "expected a string")
    return nil
  end
  local re, err = regex.compile(value)
  if not re then
    self:problem(ptr, "unsupported or invalid regular expression " .. show(value) .. ": " .. err)
    return nil
  end
  return re
end

local function schema_map(self, value, ptr)
  if not is_object(value) then
    self:problem(ptr, "expected an object of schemas")
    return nil
  end
  local out = {}
  for _, k in ipairs(sorted_keys(value)) do
    out[k] = self:compile(value[k], ptr .. "/" .. escape_pointer(k))
  end
  return out
end
KEYWORDS.properties = schema_map
KEYWORDS["$defs"] = schema_map
KEYWORDS.definitions = schema_map

function KEYWORDS.patternProperties(self, value, ptr)
  local map = schema_map(self, value, ptr)
  if not map then return nil end
  local out = {}
  for _, k in ipairs(sorted_keys(map)) do
    local re = KEYWORDS.pattern(self, k, ptr .. "/" .. escape_pointer(k))
    if re then out[#out + 1] = { re = re, node = map[k] } end
  end
  return out
end

local function one_schema(self, value, ptr)
  return self:compile(value, ptr)
end
KEYWORDS.additionalProperties = one_schema
KEYWORDS.items = function(self, value, ptr)
  if is_array(value) then
    self:problem(ptr, "expected a schema (draft 2020-12 uses prefixItems for tuples)")
    return nil
  end
  return self:compile(value, ptr)
end
KEYWORDS["not"] = one_schema
KEYWORDS.contains = one_schema
KEYWORDS.propertyNames = one_schema
KEYWORDS["if"] = one_schema
KEYWORDS["then"] = one_schema
KEYWORDS["else"] = one_schema

local function schema_list(self, value, ptr)
  if not is_array(value) or #value == 0 then
    self:problem(ptr, "expected a non-empty array of schemas")
    return nil
  end
  local out = {}
  for i, s in ipairs(value) do out[i] = self:compile(s, ptr .. "/" .. (i - 1)) end
  return out
end
KEYWORDS.allOf = schema_list
KEYWORDS.anyOf = schema_list
KEYWORDS.oneOf = schema_list
KEYWORDS.prefixItems = schema_list

function KEYWORDS.minContains(self, value, ptr) return KEYWORDS.minLength(self, value, ptr) end
KEYWORDS.maxContains = KEYWORDS.minContains

KEYWORDS["$ref"] = function(self, value, ptr)
  if type(value) ~= "string" or not (value == "#" or value:sub(1, 2) == "#/") then
    self:problem(ptr, "only local references (\"#\", \"#/$defs/...\") are supported, got " .. show(value))
    return nil
  end
  self.refs[#self.refs + 1] = { target = value:sub(2), ptr = ptr }
  return { target = value:sub(2) }
end

function Compiler:compile(schema, ptr)
  if self.nodes[ptr] then return self.nodes[ptr] end
  local node = { ptr = ptr }
  self.nodes[ptr] = node
  if type(schema) == "boolean" then
    node.bool = schema
    return node
  end
  if not is_object(schema) then
    self:problem(ptr, "a schema must be an object or a boolean")
    node.bool = true
    return node
  end
  node.kw = {}
  for _, k in ipairs(sorted_keys(schema)) do
    local kptr = ptr .. "/" .. escape_pointer(k)
    if KEYWORDS[k] then
      node.kw[k] = KEYWORDS[k](self, schema[k], kptr)
    elseif not ANNOTATIONS[k] then
      self.unsupported[#self.unsupported + 1] = { keyword = k, pointer = kptr }
    end
  end
  node.raw = schema
  return node
end

local function resolve_pointer(root, pointer)
  local cur = root
  for token in pointer:gmatch("/([^/]*)") do
    token = unescape_pointer(token)
    if type(cur) ~= "table" then return nil end
    if is_array(cur) then
      local i = math.tointeger(tonumber(token))
      cur = i and cur[i + 1]
    else
      cur = cur[token]
    end
    if cur == nil then return nil end
  end
  return cur
end

-- Keywords that apply a subschema to the same value. A cycle made of them alone ({"$ref": "#"},
-- {"not": {"$ref": "#"}}, two $defs referring to each other) never reaches a smaller value: every
-- answer would fail with "maximum validation depth exceeded". Recursion through properties, items
-- and the like descends into the value and is fine.
local IN_PLACE = { "$ref", "allOf", "anyOf", "oneOf", "not", "if", "then", "else" }

-- The in-place children of a node: { node, pointer of the keyword that leads there }.
local function in_place_edges(node, nodes)
  local out = {}
  for _, k in ipairs(IN_PLACE) do
    local v = node.kw and node.kw[k]
    local kptr = node.ptr .. "/" .. escape_pointer(k)
    if v and k == "$ref" then
      if nodes[v.target] then out[#out + 1] = { nodes[v.target], kptr } end
    elseif v and v.ptr then
      out[#out + 1] = { v, kptr }
    elseif v then
      for i, n in ipairs(v) do out[#out + 1] = { n, kptr .. "/" .. (i - 1) } end
    end
  end
  return out
end

-- The pointer of the keyword that closes a cycle of in-place keywords, or nil (iterative DFS).
local function in_place_cycle(nodes)
  local ptrs = sorted_keys(nodes)
  local state = {} -- node -> "open" | "done"
  for _, p in ipairs(ptrs) do
    local start = nodes[p]
    if not state[start] then
      state[start] = "open"
      local stack = { { start, in_place_edges(start, nodes), 0 } }
      while #stack > 0 do
        local top = stack[#stack]
        top[3] = top[3] + 1
        local edge = top[2][top[3]]
        if not edge then
          state[top[1]] = "done"
          stack[#stack] = nil
        elseif state[edge[1]] == "open" then
          return edge[2]
        elseif not state[edge[1]] then
          state[edge[1]] = "open"
          stack[#stack + 1] = { edge[1], in_place_edges(edge[1], nodes), 0 }
        end
      end
    end
  end
  return nil
end

--- Compile a decoded schema. Returns the compiled schema, or nil, a one-line message, and the list
--- of problems { pointer, keyword?, message } (unsupported keywords, malformed keyword values, and
--- references that lead back to the same value without descending into it).
function validator.compile(schema)
  local c = setmetatable({ nodes = {}, refs = {}, problems = {}, unsupported = {} }, Compiler)
  local root = c:compile(schema, "")
  local i = 1
  while i <= #c.refs do -- resolving may compile new nodes, which may add references
    local ref = c.refs[i]
    local target = resolve_pointer(schema, ref.target)
    if target == nil then
      c:problem(ref.ptr, "unresolvable reference \"#" .. ref.target .. "\"")
    else
      c:compile(target, ref.target)
    end
    i = i + 1
  end
  local cycle = in_place_cycle(c.nodes)
  if cycle then
    c:problem(cycle, "reference cycle: the schema applies itself to the same value without ever descending "
      .. "into it, so no value could be checked")
  end
  local problems = {}
  for _, u in ipairs(c.unsupported) do
    problems[#problems + 1] = { pointer = u.pointer, keyword = u.keyword, message = "unsupported keyword" }
  end
  for _, p in ipairs(c.problems) do problems[#problems + 1] = p end
  if #problems > 0 then
    -- One line whatever the schema's keys hold: keywords and pointers are shown JSON-escaped.
    local function at(ptr) return ptr == "" and "/" or json.encode(ptr):sub(2, -2) end
    local parts = {}
    for _, p in ipairs(problems) do
      if p.keyword then
        parts[#parts + 1] = string.format("unsupported keyword %s at %s", show(p.keyword), at(p.pointer))
      else
        parts[#parts + 1] = string.format("%s at %s", p.message, at(p.pointer))
      end
    end
    return nil, table.concat(parts, "; "), problems
  end
  return { root = root, nodes = c.nodes }
end

---------------------------------------------------------------------------------------------------
-- Validation

local Run = {}
Run.__index = Run

function Run:add(path, keyword, schema_ptr, message)
  self.errors[#self.errors + 1] = { path = path, keyword = keyword, schema_path = schema_ptr, message = message }
end

-- Validate inst against node; errors land in self.errors.
function Run:check(node, inst, path, depth)
  local budget = self.budget -- shared with sub-runs: schemas can multiply work (allOf of $refs ...)
  if budget.over then return end
  budget.steps = budget.steps + 1
  if budget.steps > STEP_BUDGET then
    budget.over = true
    return
  end
  if depth > MAX_DEPTH then
    self:add(path, "$ref", node.ptr, "maximum validation depth exceeded (recursive $ref?)")
    return
  end
  if node.bool ~= nil then
    if not node.bool then
      self:add(path, "false", node.ptr, "False schema does not allow " .. show(inst))
    end
    return
  end
  local kw = node.kw
  for _, k in ipairs(node.order) do
    local fn = Run["k_" .. k]
    if fn then fn(self, kw[k], inst, path, node, depth) end
  end
end

-- Does inst satisfy node? (a sub-run that only counts)
function Run:valid(node, inst, path, depth)
  local sub = setmetatable({ errors = {}, compiled = self.compiled, budget = self.budget }, Run)
  sub:check(node, inst, path, depth)
  return #sub.errors == 0, sub.errors
end

local function kptr(node, k) return node.ptr .. "/" .. escape_pointer(k) end

function Run:k_type(v, inst, path, node)
  for _, n in ipairs(v.names) do
    if has_type(inst, n) then return end
  end
  local msg
  if #v.names == 1 then
    msg = string.format('%s is not of type "%s"', show(inst), v.names[1])
  else
    msg = string.format('%s is not of types "%s"', show(inst), table.concat(v.names, '", "'))
  end
  self:add(path, "type", kptr(node, "type"), msg)
end

function Run:k_required(v, inst, path, node)
  if not is_object(inst) then return end
  for _, name in ipairs(v) do
    if inst[name] == nil then
      self:add(path, "required", kptr(node, "required"), show(name) .. " is a required property")
    end
  end
end

function Run:k_dependentRequired(v, inst, path, node)
  if not is_object(inst) then return end
  for _, key in ipairs(sorted_keys(v)) do
    if inst[key] ~= nil then
      for _, name in ipairs(v[key]) do
        if inst[name] == nil then
          self:add(path, "dependentRequired", kptr(node, "dependentRequired"),
            show(name) .. " is a required property")
        end
      end
    end
  end
end

local function child(path, key) return path .. "/" .. escape_pointer(key) end

-- properties, patternProperties and additionalProperties act together (an "additional" property is
-- one neither of the others names); like the reference, property errors come in instance-key order,
-- then the additional-properties error.
function Run:object_members(inst, path, node, depth)
  if not is_object(inst) then return end
  local kw = node.kw
  local props, pats, addl = kw.properties, kw.patternProperties, kw.additionalProperties
  local unexpected = {}
  for _, key in ipairs(sorted_keys(inst)) do
    local matched = false
    if props and props[key] then
      matched = true
      self:check(props[key], inst[key], child(path, key), depth + 1)
    end
    for _, pp in ipairs(pats or {}) do
      if type(key) == "string" and regex.test(pp.re, key) then
        matched = true
        self:check(pp.node, inst[key], child(path, key), depth + 1)
      end
    end
    if not matched and addl then
      if addl.bool == false then
        unexpected[#unexpected + 1] = "'" .. tostring(key) .. "'"
      else
        self:check(addl, inst[key], child(path, key), depth + 1)
      end
    end
  end
  if #unexpected > 0 then
    self:add(path, "additionalProperties", kptr(node, "additionalProperties"),
      string.format("Additional properties are not allowed (%s %s unexpected)", table.concat(unexpected, ", "),
        #unexpected == 1 and "was" or "were"))
  end
end

function Run:k_additionalProperties(_, inst, path, node, depth)
  self:object_members(inst, path, node, depth)
end
function Run:k_properties(_, inst, path, node, depth)
  if node.kw.additionalProperties == nil then self:object_members(inst, path, node, depth) end
end
function Run:k_patternProperties(_, inst, path, node, depth)
  if node.kw.additionalProperties == nil and node.kw.properties == nil then
    self:object_members(inst, path, node, depth)
  end
end

function Run:k_propertyNames(v, inst, path, _, depth)
  if not is_object(inst) then return end
  for _, key in ipairs(sorted_keys(inst)) do self:check(v, key, child(path, key), depth + 1) end
end

function Run:k_minProperties(v, inst, path, node)
  if not is_object(inst) then return end
  local n = #sorted_keys(inst)
  if n < v then
    self:add(path, "minProperties", kptr(node, "minProperties"), show(inst) .. " does not have enough properties")
  end
end
function Run:k_maxProperties(v, inst, path, node)
  if not is_object(inst) then return end
  if #sorted_keys(inst) > v then
    self:add(path, "maxProperties", kptr(node, "maxProperties"), show(inst) .. " has too many properties")
  end
end

function Run:k_prefixItems(v, inst, path, _, depth)
  if not is_array(inst) then return end
  for i = 1, math.min(#v, #inst) do self:check(v[i], inst[i], path .. "/" .. (i - 1), depth + 1) end
end

function Run:k_items(v, inst, path, node, depth)
  if not is_array(inst) then return end
  local first = (node.kw.prefixItems and #node.kw.prefixItems or 0) + 1
  if v.bool == false and node.kw.prefixItems then
    if #inst >= first then
      local extra = {}
      for i = first, #inst do extra[#extra + 1] = show(inst[i]) end
      self:add(path, "items", kptr(node, "items"), string.format("Additional items are not allowed (%s %s unexpected)",
        table.concat(extra, ", "), #extra == 1 and "was" or "were"))
    end
    return
  end
  for i = first, #inst do self:check(v, inst[i], path .. "/" .. (i - 1), depth + 1) end
end

function Run:k_contains(v, inst, path, node, depth)
  if not is_array(inst) then return end
  local count = 0
  for i = 1, #inst do
    if self:valid(v, inst[i], path .. "/" .. (i - 1), depth + 1) then count = count + 1 end
  end
  local min = node.kw.minContains or 1
  local max = node.kw.maxContains
  if count < min then
    if min == 1 then
      self:add(path, "contains", kptr(node, "contains"),
        "None of " .. show(inst) .. " are valid under the given schema")
    else
      self:add(path, "minContains", kptr(node, "minContains"),
        string.format("%s contains fewer than %d matching items", show(inst), min))
    end
  elseif max and count > max then
    self:add(path, "maxContains", kptr(node, "maxContains"),
      string.format("%s contains more than %d matching items", show(inst), max))
  end
end

function Run:k_minItems(v, inst, path, node)
  if is_array(inst) and #inst < v then
    self:add(path, "minItems", kptr(node, "minItems"),
      string.format("%s has less than %d %s", show(inst), v, plural(v, "item", "items")))
  end
end
function Run:k_maxItems(v, inst, path, node)
  if is_array(inst) and #inst > v then
    self:add(path, "maxItems", kptr(node, "maxItems"),
      string.format("%s has more than %d %s", show(inst), v, plural(v, "item", "items")))
  end
end

function Run:k_uniqueItems(v, inst, path, node)
  if not v or not is_array(inst) then return end
  for i = 1, #inst do
    for j = i + 1, #inst do
      if equal(inst[i], inst[j]) then
        self:add(path, "uniqueItems", kptr(node, "uniqueItems"), show(inst) .. " has non-unique elements")
        return
      end
    end
  end
end

function Run:k_minLength(v, inst, path, node)
  if type(inst) == "string" and char_len(inst) < v then
    self:add(path, "minLength", kptr(node, "minLength"),
      string.format("%s is shorter than %d %s", show(inst), v, plural(v, "character", "characters")))
  end
end
function Run:k_maxLength(v, inst, path, node)
  if type(inst) == "string" and char_len(inst) > v then
    self:add(path, "maxLength", kptr(node, "maxLength"),
      string.format("%s is longer than %d %s", show(inst), v, plural(v, "character", "characters")))
  end
end

function Run:k_pattern(re, inst, path, node)
  if type(inst) ~= "string" then return end
  local ok, err = regex.test(re, inst)
  if ok then return end
  local msg = string.format('%s does not match "%s"', show(inst), re.source)
  if err then msg = msg .. " (" .. err .. ")" end
  self:add(path, "pattern", kptr(node, "pattern"), msg)
end

local function numeric(inst)
  return type(inst) == "number"
end

function Run:k_minimum(v, inst, path, node)
  if numeric(inst) and inst < v then
    self:add(path, "minimum", kptr(node, "minimum"), show(inst) .. " is less than the minimum of " .. show(v))
  end
end
function Run:k_maximum(v, inst, path, node)
  if numeric(inst) and inst > v then
    self:add(path, "maximum", kptr(node, "maximum"), show(inst) .. " is greater than the maximum of " .. show(v))
  end
end
function Run:k_exclusiveMinimum(v, inst, path, node)
  if numeric(inst) and inst <= v then
    self:add(path, "exclusiveMinimum", kptr(node, "exclusiveMinimum"),
      show(inst) .. " is less than or equal to the minimum of " .. show(v))
  end
end
function Run:k_exclusiveMaximum(v, inst, path, node)
  if numeric(inst) and inst >= v then
    self:add(path, "exclusiveMaximum", kptr(node, "exclusiveMaximum"),
      show(inst) .. " is greater than or equal to the maximum of " .. show(v))
  end
end
function Run:k_multipleOf(v, inst, path, node)
  if not numeric(inst) then return end
  local ok
  if math.type(inst) == "integer" and math.type(v) == "integer" then
    ok = inst % v == 0
  else
    local q = inst / v
    ok = q == math.floor(q) and q ~= math.huge
  end
  if not ok then
    self:add(path, "multipleOf", kptr(node, "multipleOf"), show(inst) .. " is not a multiple of " .. show(v))
  end
end

function Run:k_enum(v, inst, path, node)
  for _, option in ipairs(v) do
    if equal(inst, option) then return end
  end
  self:add(path, "enum", kptr(node, "enum"), show(inst) .. " is not one of " .. show(v))
end

function Run:k_const(v, inst, path, node)
  if not equal(inst, v.value) then
    self:add(path, "const", kptr(node, "const"), show(v.value) .. " was expected")
  end
end

function Run:k_allOf(v, inst, path, _, depth)
  for _, sub in ipairs(v) do self:check(sub, inst, path, depth + 1) end
end

function Run:k_anyOf(v, inst, path, node, depth)
  for _, sub in ipairs(v) do
    if self:valid(sub, inst, path, depth + 1) then return end
  end
  self:add(path, "anyOf", kptr(node, "anyOf"), show(inst) .. " is not valid under any of the given schemas")
end

function Run:k_oneOf(v, inst, path, node, depth)
  local n = 0
  for _, sub in ipairs(v) do
    if self:valid(sub, inst, path, depth + 1) then n = n + 1 end
  end
  if n == 0 then
    self:add(path, "oneOf", kptr(node, "oneOf"), show(inst) .. " is not valid under any of the given schemas")
  elseif n > 1 then
    self:add(path, "oneOf", kptr(node, "oneOf"),
      show(inst) .. " is valid under more than one of the given schemas")
  end
end

function Run:k_not(v, inst, path, node, depth)
  if self:valid(v, inst, path, depth + 1) then
    self:add(path, "not", kptr(node, "not"), show(node.raw["not"]) .. " is not allowed for " .. show(inst))
  end
end

Run["k_if"] = function(self, v, inst, path, node, depth)
  local branch
  if self:valid(v, inst, path, depth + 1) then branch = node.kw["then"] else branch = node.kw["else"] end
  if branch then self:check(branch, inst, path, depth + 1) end
end

Run["k_$ref"] = function(self, v, inst, path, _, depth)
  local target = self.compiled.nodes[v.target]
  if target then self:check(target, inst, path, depth + 1) end
end

-- The evaluation order of a node's keywords, fixed once per node (sorted, as the reference's map is).
local function order_nodes(compiled)
  for _, node in pairs(compiled.nodes) do
    if node.kw and not node.order then
      node.order = sorted_keys(node.kw)
    end
  end
end

--- Validate a decoded value. Returns true, or false and the list of errors
--- { path = "/commands/0", message = ..., keyword = ..., schema_path = ... }.
function validator.validate(compiled, value)
  if not compiled.ordered then
    order_nodes(compiled)
    compiled.ordered = true
  end
  local run = setmetatable({ errors = {}, compiled = compiled, budget = { steps = 0 } }, Run)
  run:check(compiled.root, value, "", 0)
  if run.budget.over then
    return false, { { path = "", keyword = "budget", schema_path = "", message = "validation exceeded its "
      .. "budget of " .. STEP_BUDGET .. " schema applications: the schema is too expensive to evaluate" } }
  end
  if #run.errors == 0 then return true end
  return false, run.errors
end

--- The failure reason structured commands record: the first three messages joined by " | ".
function validator.reason(errors)
  local parts = {}
  for i = 1, math.min(3, #errors) do parts[i] = errors[i].message end
  if #parts == 0 then return "schema_validation_failed" end
  return "schema_validation_failed: " .. table.concat(parts, " | ")
end

return validator
