--- Test helper: deterministic hostile inputs for the hostile-input suite (tests/spec/hostile_input_spec.lua).
--- A seeded generator (xorshift64*: the same seed gives the same cases on every machine and Lua build),
--- grammar-based generators of JSON values, state files, schemas, run-log rows and command lines, and
--- byte-level mutators of valid texts (flip, insert, delete, duplicate, truncate, splice, control bytes).
---
---   local hostile = require "helpers.hostile"
---   local g = hostile.new(seed)
---   g:int(1, 6)  g:pick(list)  g:json(depth)  g:mutate(text)  g:state_file()  g:schema()  g:log_line()  g:argv()
local contract = require "cx.log_contract"
local json = require "cx.json"

local M = {}

local Gen = {}
Gen.__index = Gen

--- A generator for seed (an integer).
function M.new(seed)
  local s = (seed * 0x9E3779B97F4A7C15) ~ 0x2545F4914F6CDD1D
  if s == 0 then s = 1 end
  return setmetatable({ s = s }, Gen)
end

function Gen:next()
  local x = self.s
  x = x ~ (x >> 12)
  x = x ~ (x << 25)
  x = x ~ (x >> 27)
  self.s = x
  return (x * 0x2545F4914F6CDD1D) >> 1 -- non-negative
end

--- An integer in [lo, hi].
function Gen:int(lo, hi)
  return lo + self:next() % (hi - lo + 1)
end

function Gen:chance(p)
  return self:int(1, 1000) <= p * 1000
end

function Gen:pick(list)
  return list[self:int(1, #list)]
end

-- Strings that break naive code: control bytes, terminal escapes, invalid UTF-8, bidi overrides,
-- quotes, path tricks, huge and empty values.
M.NASTY_STRINGS = {
  "", " ", "\0", "\27[2J\27[H", "\27]0;title\7", "a\rb", "\127", "\194\155", "\255\254", "\192\128",
  "\237\160\128", "\226\128\174txt", "\"", "\\", "'", "../../etc/passwd", "/dev/zero", "%s%s%n", "${HOME}",
  "$(id)", "`id`", "null", "NaN", "-1", "1e309", "\u{FEFF}", "日本語", "😀", "\n\n", "a\tb",
}

-- Numbers beyond what a row, a window or a count can hold.
M.NASTY_NUMBERS = {
  "0", "-0", "-1", "1.5", "-1.7e308", "1.7e308", "1e309", "-1e309", "99999999999999999999", "9223372036854775807",
  "9223372036854775808", "-9223372036854775808", "4294967296", "1E2", "0.0000001", "123456789012345678901234567890",
}

function Gen:string()
  local r = self:int(1, 10)
  if r <= 3 then return self:pick(M.NASTY_STRINGS) end
  if r == 4 then return string.rep(self:pick({ "a", "\27", "é", "\0" }), self:int(100, 5000)) end
  local n = self:int(0, 12)
  local out = {}
  for i = 1, n do out[i] = string.char(self:int(self:chance(0.2) and 0 or 32, self:chance(0.1) and 255 or 126)) end
  return table.concat(out)
end

-- JSON text of a string, made by hand so that invalid UTF-8 and NUL survive as they are.
local function quote(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    if c == '"' then return '\\"' end
    if c == "\\" then return "\\\\" end
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end
M.quote = quote

--- A JSON text generated from the grammar, depth-bounded (it may still contain invalid UTF-8).
function Gen:json(depth)
  depth = depth or 3
  local r = self:int(1, depth > 0 and 9 or 5)
  if r == 1 then return "null" end
  if r == 2 then return self:chance(0.5) and "true" or "false" end
  if r == 3 then return self:pick(M.NASTY_NUMBERS) end
  if r == 4 then return tostring(self:int(0, 1000)) end
  if r == 5 then return quote(self:string()) end
  if r <= 7 then
    local items = {}
    for i = 1, self:int(0, 4) do items[i] = self:json(depth - 1) end
    return "[" .. table.concat(items, ",") .. "]"
  end
  local items = {}
  for i = 1, self:int(0, 4) do items[i] = quote(self:string()) .. ":" .. self:json(depth - 1) end
  return "{" .. table.concat(items, ",") .. "}"
end

--- JSON nested n levels deep (arrays or objects).
function Gen:deep(n)
  if self:chance(0.5) then return string.rep("[", n) .. string.rep("]", n) end
  return string.rep('{"a":', n) .. "1" .. string.rep("}", n)
end

--- A byte-level mutation of text (one to three edits).
function Gen:mutate(text)
  for _ = 1, self:int(1, 3) do
    local n = #text
    local at = n > 0 and self:int(1, n) or 1
    local r = self:int(1, 8)
    if r == 1 and n > 0 then -- flip a byte
      text = text:sub(1, at - 1) .. string.char(self:int(0, 255)) .. text:sub(at + 1)
    elseif r == 2 then -- insert a control or high byte
      text = text:sub(1, at - 1) .. self:pick({ "\0", "\27", "\r", "\255", "\194\155", "\n", "\127" }) .. text:sub(at)
    elseif r == 3 and n > 0 then -- delete a range
      text = text:sub(1, at - 1) .. text:sub(at + self:int(1, 16))
    elseif r == 4 and n > 0 then -- duplicate a range
      local len = self:int(1, 32)
      text = text:sub(1, at + len) .. text:sub(at, at + len) .. text:sub(at + len + 1)
    elseif r == 5 then -- truncate
      text = text:sub(1, at - 1)
    elseif r == 6 then -- splice a nasty token
      text = text:sub(1, at - 1) .. self:pick(M.NASTY_NUMBERS) .. text:sub(at)
    elseif r == 7 then -- splice a generated value
      text = text:sub(1, at - 1) .. self:json(2) .. text:sub(at)
    else -- splice a structural character
      text = text:sub(1, at - 1) .. self:pick({ "{", "}", "[", "]", ",", ":", '"', "\\" }) .. text:sub(at)
    end
  end
  return text
end

--- Contents for .codex/state.json: grammar-made documents over the known sections, or mutations of
--- a valid one.
function Gen:state_file()
  local valid = json.pretty({ preferences = { llm_backend = "ollama", ollama_model = "llama3",
    conventional_commits = true, pr_summary_format = "standard" }, runtime = { current_task_id = "t1" },
    alert_overrides = {}, last_model = json.null })
  local r = self:int(1, 6)
  if r <= 3 then return self:mutate(valid) end
  if r == 4 then return self:deep(self:int(500, 3000)) end
  local sections = {}
  for _, k in ipairs({ "preferences", "runtime", "alert_overrides", "last_model" }) do
    if self:chance(0.7) then sections[#sections + 1] = quote(k) .. ":" .. self:json(2) end
  end
  return "{" .. table.concat(sections, ",") .. "}"
end

local SCHEMA_KEYWORDS = {
  "type", "properties", "required", "items", "prefixItems", "additionalProperties", "enum", "const", "minLength",
  "maxLength", "minimum", "maximum", "pattern", "allOf", "anyOf", "oneOf", "not", "if", "then", "else", "$ref",
  "$defs", "minItems", "maxItems", "uniqueItems", "multipleOf", "patternProperties", "propertyNames", "contains",
  "format", "$dynamicRef", "unevaluatedProperties",
}

local function schema_value(g, depth)
  local kw = g:pick(SCHEMA_KEYWORDS)
  local v
  if kw == "$ref" then
    v = quote(g:pick({ "#", "#/$defs/a", "#/$defs/b", "#/properties/x", "#/$defs/missing", "http://x/y", "#/items",
      "#/allOf/0" }))
  elseif kw == "type" then
    v = quote(g:pick({ "object", "array", "string", "integer", "number", "boolean", "null", "thing" }))
  elseif kw == "pattern" then
    v = quote(g:pick({ "^a+$", "(a+)+b", "[", "(?=x)", "\\p{L}", "a{2,1}", ".-.-.-b", "^(a|aa)*$" }))
  elseif kw == "properties" or kw == "$defs" or kw == "patternProperties" then
    local items = {}
    for i = 1, g:int(0, 3) do
      local sub = depth > 0 and g:schema(depth - 1) or "{}"
      items[i] = quote(g:pick({ "a", "b", "x", "commands", "^p" })) .. ":" .. sub
    end
    v = "{" .. table.concat(items, ",") .. "}"
  elseif kw == "allOf" or kw == "anyOf" or kw == "oneOf" or kw == "prefixItems" then
    local items = {}
    for i = 1, g:int(0, 3) do items[i] = depth > 0 and g:schema(depth - 1) or "true" end
    v = "[" .. table.concat(items, ",") .. "]"
  elseif kw == "required" then
    v = '["commands", ' .. quote(g:string()) .. "]"
  elseif depth > 0 and g:chance(0.4) then
    v = g:schema(depth - 1)
  else
    v = g:json(1)
  end
  return quote(kw) .. ":" .. v
end

--- A JSON Schema text from the keyword grammar (valid, unsupported, self-referential or malformed).
function Gen:schema(depth)
  depth = depth or 3
  if self:chance(0.1) then return self:pick({ "true", "false", "{}", "[]", "1" }) end
  local items = {}
  for i = 1, self:int(1, 4) do items[i] = schema_value(self, depth) end
  return "{" .. table.concat(items, ",") .. "}"
end

--- Contents for a schema file: grammar-made, or a mutation of a builtin schema text.
function Gen:schema_file(builtin_text)
  if self:chance(0.4) then return self:mutate(builtin_text) end
  return self:schema(3)
end

-- A value for a contract key: usually its type, sometimes not.
local function row_value(g, ty)
  if g:chance(0.15) then return g:json(2) end
  local base = ty:match("^%w+")
  if ty:find("null") and g:chance(0.2) then return "null" end
  if base == "str" then return quote(g:chance(0.7) and ("v" .. g:int(1, 50)) or g:string()) end
  if base == "bool" then return g:chance(0.5) and "true" or "false" end
  if base == "u64" or base == "u32" then
    return g:chance(0.8) and tostring(g:int(0, 100000)) or g:pick(M.NASTY_NUMBERS)
  end
  return g:json(2)
end

--- One run-log line: a row over the contract keys (some missing, some mistyped, hostile numbers),
--- or garbage, or a mutated row.
function Gen:log_line()
  local r = self:int(1, 10)
  if r == 1 then return self:json(3) end
  if r == 2 then return self:string() end
  local parts = {}
  for _, k in ipairs(contract.ROW_KEYS) do
    if self:chance(0.85) then parts[#parts + 1] = quote(k) .. ":" .. row_value(self, contract.TYPES[k]) end
  end
  local line = "{" .. table.concat(parts, ",") .. "}"
  if r <= 4 then line = self:mutate(line) end
  return (line:gsub("\n", " "))
end

--- A whole log: n lines, sometimes without a final newline, sometimes with blank lines.
function Gen:log(n)
  local lines = {}
  for i = 1, n do lines[i] = self:chance(0.05) and "" or self:log_line() end
  return table.concat(lines, "\n") .. (self:chance(0.8) and "\n" or "")
end

-- Commands that only read or report (none runs a command line of ours), with their flags.
M.COMMANDS = {
  { "diag", { "--json", "--strict", "--actions", "--window", "--severity" } },
  { "scheduler", { "--json", "--strict", "--window", "--severity" } },
  { "optimize", { "--json", "--strict", "--actions", "--severity" } },
  { "log-tail", { "--json" } },
  { "logs", { "validate", "stats", "--json", "--strict", "--legacy-ok" } },
  { "telemetry", { "--json", "--strict", "--severity" } },
  { "quarantine", { "list", "show", "--json" } },
  { "schema", { "list", "validate", "next", "--json" } },
  { "llm", { "show", "--json", "frob" } },
  { "replay", {} },
  { "version", { "--json" } },
  { "help", { "diag", "nope" } },
  { "doctor", { "--no-ping", "--json", "--timeout" } },
  { "where", { "diag", "nope" } },
  { "core", {} },
  { "state", { "show", "get", "set", "preferences.llm_backend", "a.b" } },
  { "metrics", { "--log", "--json", "5" } },
  { "profile", { "--log", "5" } },
  { "alert", { "--log", "5" } },
  { "worklog", { "--log", "5" } },
  { "budget", { "--log", "5" } },
  { "chunk", { "--chars" } },
}

--- A command line (argv without the program) from the grammar: a command, then flags, values and
--- numbers, some mutated.
function Gen:argv()
  local c = self:pick(M.COMMANDS)
  local argv = { c[1] }
  if self:chance(0.05) then argv[1] = (self:mutate(c[1]):gsub("%z", "")) end
  for _ = 1, self:int(0, 4) do
    local r = self:int(1, 6)
    local tok
    if r <= 2 and #c[2] > 0 then
      tok = self:pick(c[2])
    elseif r == 3 then
      tok = self:pick(M.NASTY_NUMBERS)
    elseif r == 4 then
      tok = self:pick(M.NASTY_STRINGS)
    elseif r == 5 and #c[2] > 0 then
      tok = self:mutate(self:pick(c[2]))
    else
      tok = "--" .. self:pick({ "window", "json", "strict", "x", "", "window=-1", "severity=warn", "timeout=0" })
    end
    argv[#argv + 1] = (tok:gsub("%z", "")) -- an argv string cannot hold NUL
  end
  if self:chance(0.1) then argv = { "doctor", "--no-ping", "--timeout", self:pick(M.NASTY_NUMBERS) } end
  return argv
end

return M
