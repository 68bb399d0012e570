--- `cx schema list [--json]`: the schemas structured commands use, from `.codex/schemas/` over the
--- builtins cx ships. Text and JSON as the reference prints them, plus a `source` per entry.
--- `cx schema validate <name> [FILE]`: check a document the way structured commands check answers.
local args = require "cx.args"
local fs = require "cx.localfs"
local json = require "cx.json"
local paths = require "cx.paths"
local printable = require "cx.printable"
local builtin = require "cx.schema.builtin"
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

-- The document: a user-named file (a symlink, FIFO or device such as /dev/stdin is fine: the user
-- chose it) or stdin, read up to fs.LIMITS.document bytes.
local function read_input(file)
  if not file or file == "-" then return fs.read_stream(io.stdin, fs.LIMITS.document, "stdin") end
  return fs.read(file, { max_bytes = fs.LIMITS.document, follow = true, any_type = true })
end

-- A name that is no schema is a usage error, like any bad argument; a schema file that is there but
-- broken is a failure.
local USAGE_CLASSES = { unknown_schema = true, invalid_name = true }

-- `validate`: exit 0 valid, 1 invalid (or a schema/document that cannot be read), 2 no such schema.
local function run_validate(opts)
  local schema, err, class = registry.load(schemas_dir(), opts.name)
  if not schema then
    if class == "unknown_schema" then
      err = string.format("unknown schema '%s' (%s; builtins: %s)", opts.name, err,
        table.concat(builtin.names(), ", "))
    end
    io.stderr:write("cx schema validate: ", printable.line(err), "\n")
    return USAGE_CLASSES[class] and 2 or 1
  end
  local text, rerr = read_input(opts.file)
  if not text then
    io.stderr:write("cx schema validate: ", rerr, "\n")
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
