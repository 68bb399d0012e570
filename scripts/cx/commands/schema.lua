--- `cx schema list [--json]`: the schemas structured commands use, from `.codex/schemas/` over the
--- builtins cx ships. Text and JSON as the reference prints them, plus a `source` per entry.
local args = require "cx.args"
local json = require "cx.json"
local paths = require "cx.paths"
local registry = require "cx.schema.registry"

local M = { summary = "list the JSON schemas of the structured commands" }

function M.parser()
  local p = args.parser("schema", "Inspect the JSON schemas structured commands validate against.",
    "A file .codex/schemas/<name>.schema.json overrides the builtin schema of the same name.")
  local list = p:command("list", "List the schemas (repository files and builtins).")
  list:flag("--json", "Print one compact JSON object.")
  return p
end

local function schemas_dir()
  local p = paths.resolve()
  return p and p.schemas_dir or nil
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
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
