--- `cx schema list [--json]`: the schemas structured commands use, from `.codex/schemas/` over the
--- builtins cx ships. Text and JSON as the reference prints them, plus a `source` per entry.
--- `cx schema validate <name> [FILE]`: check a document the way structured commands check answers.
local args = require "cx.args"
local json = require "cx.json"
local paths = require "cx.paths"
local registry = require "cx.schema.registry"
local structured = require "cx.structured"

local M = { summary = "list the JSON schemas, or validate a document" }

function M.parser()
  local p = args.parser("schema", "Inspect the JSON schemas structured commands validate against.",
    "A file .codex/schemas/<name>.schema.json overrides the builtin schema of the same name.")
  local list = p:command("list", "List the schemas (repository files and builtins).")
  list:flag("--json", "Print one compact JSON object.")
  local check = p:command("validate", "Validate a JSON document (a file, or stdin) against a schema; "
    .. "also reports keywords cx does not support in the schema.")
  check:argument("name", "The schema (next, or next.schema.json).")
  check:argument("file", "The JSON document (default: stdin)."):args("?")
  check:flag("--json", "Print one JSON object.")
  return p
end

local function schemas_dir()
  local p = paths.resolve()
  return p and p.schemas_dir or nil
end

local function read_input(file)
  if not file or file == "-" then return io.stdin:read("a") or "" end
  local f, err = io.open(file, "rb")
  if not f then return nil, err end
  local text = f:read("a")
  f:close()
  return text or ""
end

-- `validate`: exit 0 valid, 1 invalid (or a schema/document that cannot be read).
local function run_validate(opts)
  local schema, err = registry.load(schemas_dir(), opts.name)
  if not schema then
    io.stderr:write("cx schema validate: ", err, "\n")
    return 1
  end
  local text, rerr = read_input(opts.file)
  if not text then
    io.stderr:write("cx schema validate: failed to read ", tostring(rerr), "\n")
    return 1
  end
  local value, reason, errors = structured.check(schema, text)
  if opts.json then
    local list = {}
    for i, e in ipairs(errors or {}) do list[i] = { path = e.path, message = e.message, keyword = e.keyword } end
    io.stdout:write(json.encode({ schema = schema.path, valid = value ~= nil, reason = reason or json.null,
      errors = json.array(list) }), "\n")
  elseif value ~= nil then
    io.stdout:write("valid (", schema.path, ")\n")
  else
    io.stdout:write("invalid: ", reason, "\n")
    for _, e in ipairs(errors or {}) do
      io.stdout:write("- ", e.path == "" and "/" or e.path, ": ", e.message, "\n")
    end
  end
  return value ~= nil and 0 or 1
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  if opts.validate then return run_validate(opts) end
  local dir = schemas_dir()
  local entries, err = registry.list(dir)
  if not entries then
    io.stderr:write("cx schema: ", err, "\n")
    return 1
  end
  if opts.json then
    local list = {}
    for i, e in ipairs(entries) do
      list[i] = { name = e.name, path = e.path, id = e.id or json.null, source = e.source }
    end
    io.stdout:write(json.encode({ schema_dir = dir or json.null, file_count = #entries, schemas = json.array(list) }),
      "\n")
    return 0
  end
  local lines = { "schema_dir: " .. (dir or "<none>"), "file_count: " .. #entries }
  for _, e in ipairs(entries) do
    lines[#lines + 1] = string.format("- %s (%s) [%s]", e.name, e.path, e.id or "<no $id>")
  end
  io.stdout:write(table.concat(lines, "\n"), "\n")
  return 0
end

return M
