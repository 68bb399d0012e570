--- The schema registry: `<schemas_dir>/<name>.schema.json` files, over the builtin schemas cx ships.
--- A repository file overrides the builtin of the same name; a repository file that does not parse
--- is an error naming the file (never a silent fall back to the builtin).
local core = require "cx.core"
local json = require "cx.json"
local fs = require "cx.localfs"
local builtin = require "cx.schema.builtin"
local validator = require "cx.schema.validator"

local registry = {}

local SUFFIX = ".schema.json"

local function file_name(name)
  if name:sub(-#SUFFIX) == SUFFIX then return name end
  return name .. SUFFIX
end

local function base_name(name)
  if name:sub(-#SUFFIX) == SUFFIX then return name:sub(1, -#SUFFIX - 1) end
  return name
end

local function join(dir, name)
  if dir:sub(-1) == "/" then return dir .. name end
  return dir .. "/" .. name
end

-- io.open's message starts with the path; the callers put the path in their own prefix.
local function os_message(err, path)
  err = tostring(err)
  if err:sub(1, #path + 2) == path .. ": " then return err:sub(#path + 3) end
  return err
end

local function decode_schema(text, path)
  local schema, err = json.decode(text)
  if schema == nil then return nil, "invalid schema JSON " .. path .. ": " .. err end
  return schema
end

local function schema_id(schema)
  if type(schema) == "table" and type(schema["$id"]) == "string" then return schema["$id"] end
  return nil
end

--- The schemas visible from schemas_dir (nil or missing = builtins only), sorted by file name:
--- { { name = "next.schema.json", path = <file> | "builtin:next", id = <$id> | nil,
---     source = "repo" | "builtin" }, ... }. Returns nil and a message for a file that does not parse.
function registry.list(schemas_dir)
  local by_name = {}
  for _, n in ipairs(builtin.names()) do
    local schema = assert(json.decode(builtin.texts[n]))
    by_name[file_name(n)] = { name = file_name(n), path = "builtin:" .. n, id = schema_id(schema), source = "builtin" }
  end
  local names = schemas_dir and fs.list_dir(schemas_dir) or {}
  for _, entry in ipairs(names or {}) do
    if entry:sub(-#SUFFIX) == SUFFIX and #entry > #SUFFIX then
      local path = join(schemas_dir, entry)
      local text, err = fs.read(path)
      if not text then return nil, "failed to read " .. path .. ": " .. os_message(err, path) end
      local schema, derr = decode_schema(text, path)
      if schema == nil then return nil, derr end
      by_name[entry] = { name = entry, path = path, id = schema_id(schema), source = "repo" }
    end
  end
  local out = {}
  for _, e in pairs(by_name) do out[#out + 1] = e end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

-- The loaded form: the sorted pretty text (what prompts embed), its digest, the compiled schema.
local function loaded(fname, base, path, source, schema, compiled)
  local pretty = json.pretty(schema)
  return {
    name = fname,
    base = base,
    path = path,
    source = source,
    id = schema_id(schema),
    text = pretty,
    sha256 = core.digest.sha256_hex(pretty),
    schema = schema,
    compiled = compiled,
  }
end

--- Load one schema by name (`next` or `next.schema.json`): the repository file if present, else the
--- builtin. Returns { name, base, path, source, id, text (sorted pretty JSON, what prompts embed),
--- sha256 (of text), schema (decoded), compiled }, or nil and `failed to read <path>: ...` /
--- `invalid schema JSON <path>: ...` / `failed to compile schema <path>: ...`.
function registry.load(schemas_dir, name)
  local fname, base = file_name(name), base_name(name)
  if fname:find("/", 1, true) or base == "" or base == "." or base == ".." then
    return nil, "invalid schema name: " .. name
  end
  local path = join(schemas_dir or ".codex/schemas", fname)
  local source = "repo"
  local text, err = nil, nil
  if schemas_dir then text, err = fs.read(path) end
  if not text and schemas_dir and fs.exists(path) then -- present but unreadable: say so
    return nil, "failed to read " .. path .. ": " .. os_message(err, path)
  end
  if not text then
    if builtin.texts[base] then
      text, path, source = builtin.texts[base], "builtin:" .. base, "builtin"
    else
      return nil, "failed to read " .. path .. ": " .. os_message(err or "No such file or directory", path)
    end
  end
  local schema, derr = decode_schema(text, path)
  if schema == nil then return nil, derr end
  local compiled, cerr = validator.compile(schema)
  if not compiled then return nil, "failed to compile schema " .. path .. ": " .. cerr end
  return loaded(fname, base, path, source, schema, compiled)
end

--- The loaded form of a schema given as a table (a command's inline schema, such as the
--- convergence judge's): the shape registry.load returns, with source "inline". Returns nil and
--- `failed to compile schema inline:<name>: ...` for a schema that does not compile.
function registry.inline(name, schema)
  local fname, base = file_name(name), base_name(name)
  local compiled, cerr = validator.compile(schema)
  if not compiled then return nil, "failed to compile schema inline:" .. fname .. ": " .. cerr end
  return loaded(fname, base, "inline:" .. fname, "inline", schema, compiled)
end

return registry
