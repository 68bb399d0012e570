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
      local text, err = fs.read(path, { max_bytes = fs.LIMITS.schema })
      if not text then return nil, "failed to read " .. path .. ": " .. fs.reason(err, path) end
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
--- sha256 (of text), schema (decoded), compiled }, or nil, `failed to read <path>: ...` /
--- `invalid schema JSON <path>: ...` / `failed to compile schema <path>: ...` / `invalid schema
--- name: ...`, and a class: unknown_schema (no file, no builtin) | invalid_name | unreadable (a
--- FIFO, symlink, directory, or a file over fs.LIMITS.schema) | invalid (does not parse or compile).
function registry.load(schemas_dir, name)
  local fname, base = file_name(name), base_name(name)
  if fname:find("/", 1, true) or base == "" or base == "." or base == ".." then
    return nil, "invalid schema name: " .. name, "invalid_name"
  end
  local path = join(schemas_dir or ".codex/schemas", fname)
  local source = "repo"
  local text, err, class = nil, nil, "not_found"
  if schemas_dir then text, err, class = fs.read(path, { max_bytes = fs.LIMITS.schema }) end
  if not text and class ~= "not_found" then -- present but unreadable (a FIFO, a symlink, too large): say so
    return nil, "failed to read " .. path .. ": " .. fs.reason(err, path), "unreadable"
  end
  if not text then
    if builtin.texts[base] then
      text, path, source = builtin.texts[base], "builtin:" .. base, "builtin"
    else
      return nil, "failed to read " .. path .. ": No such file or directory", "unknown_schema"
    end
  end
  local schema, derr = decode_schema(text, path)
  if schema == nil then return nil, derr, "invalid" end
  local compiled, cerr = validator.compile(schema)
  if not compiled then return nil, "failed to compile schema " .. path .. ": " .. cerr, "invalid" end
  return loaded(fname, base, path, source, schema, compiled)
end

--- The loaded form of a schema given as a table (a command's inline schema, such as the
--- convergence judge's): the shape registry.load returns, with source "inline". Returns nil,
--- `failed to compile schema inline:<name>: ...` and class invalid for a schema that does not compile.
function registry.inline(name, schema)
  local fname, base = file_name(name), base_name(name)
  local compiled, cerr = validator.compile(schema)
  if not compiled then return nil, "failed to compile schema inline:" .. fname .. ": " .. cerr, "invalid" end
  return loaded(fname, base, "inline:" .. fname, "inline", schema, compiled)
end

return registry
