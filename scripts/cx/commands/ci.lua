--- `cx ci validate [--strict] [--legacy-ok] [--json] [--log PATH]`: the CI gate — schemas, policy
--- overrides, the run-log contract, the context budget (and with --strict the quarantine directory
--- and a run log to check). Nothing reaches the network. Exit 0 when no check failed.
local args = require "cx.args"
local json = require "cx.json"
local capture = require "cx.capture"
local ci = require "cx.ci_validate"
local paths = require "cx.paths"
local registry = require "cx.registry"

local M = { summary = "CI gate: schemas, policies, run-log contract and budget (no network)" }

local USAGE = "Usage: cx ci validate [--strict] [--legacy-ok] [--json] [--log PATH]"

local HELP = USAGE .. [[


Check, inside a git repository, with no network:
  - schemas: .codex/schemas/{commitjson,diffsum,next,fixrun}.schema.json and any other schema file
    there must parse and compile (a missing one falls back to cx's builtin schema);
  - policies: every override in .codex/policies/ must load in the sandbox;
  - the run log (.codex/cxlogs/runs.jsonl, or --log PATH) against the row contract, as
    `cx logs validate`: issues are warnings in legacy mode (the default, or --legacy-ok) when no line
    is invalid JSON, errors otherwise;
  - the context budget (CX_CONTEXT_BUDGET_CHARS/LINES > 0, CX_CONTEXT_CLIP_MODE smart|head|tail);
  - with --strict: a missing or empty run log and a quarantine path that is not a directory are errors.
Exit codes: 0 ok, 1 a check failed, 2 usage error or not inside a git repository.
]]

local ERRORS_SHOWN, WARNINGS_SHOWN = 20, 10

local function usage_error(msg)
  io.stderr:write("cx ci: ", msg, " (", USAGE, ")\n")
  return 2
end

local function list_lines(L, label, items, limit)
  L[#L + 1] = label .. ": " .. #items
  for i = 1, math.min(limit, #items) do L[#L + 1] = "- " .. items[i] end
  if #items > limit then L[#L + 1] = "- ... and " .. (#items - limit) .. " more" end
end

local function parse(argv)
  local o, i = { strict = false, legacy = false, json = false }, 1
  while i <= #argv do
    local a = argv[i]
    if a == "--strict" then
      o.strict = true
    elseif a == "--legacy-ok" then
      o.legacy = true
    elseif a == "--json" then
      o.json = true
    elseif a == "--log" then
      if argv[i + 1] == nil or argv[i + 1] == "" then return nil, usage_error("--log needs a PATH") end
      o.log = argv[i + 1]
      i = i + 1
    elseif a:match("^%-%-log=") then
      o.log = a:sub(7)
    else
      return nil, usage_error("unknown argument '" .. a .. "'")
    end
    i = i + 1
  end
  return o
end

function M.run(argv)
  if args.asks_help(argv, true) then
    io.stdout:write(HELP)
    return 0
  end
  local rest = {}
  local sub = argv[1]
  if sub ~= nil and sub:sub(1, 1) ~= "-" then
    if sub ~= "validate" then
      return usage_error("unknown subcommand '" .. sub .. "'" .. registry.hint(sub, { "validate" }))
    end
    table.move(argv, 2, #argv, 1, rest)
  else
    rest = argv
  end
  local o, code = parse(rest)
  if not o then return code end
  local p = paths.resolve()
  if not p or not p.root then
    io.stderr:write("cx ci validate: not inside a git repository\n")
    return 2
  end
  local b = capture.budget()
  local r = ci.run({
    repo_root = p.root, schemas_dir = p.schemas_dir, quarantine_dir = p.quarantine_dir,
    policies_dir = p.policies_dir, log_file = o.log or p.log_file, strict = o.strict,
    legacy_ok = o.legacy or not o.strict, budget = b,
  })
  if o.json then
    local doc = {}
    for k, v in pairs(r) do doc[k] = v end
    doc.errors, doc.warnings = json.array(r.errors), json.array(r.warnings)
    doc.log_file = r.log_file or json.null
    io.stdout:write(json.pretty(doc), "\n")
    return r.ok and 0 or 1
  end
  local L = {
    "== cx ci validate ==",
    "repo_root: " .. r.repo_root,
    "schema_dir: " .. r.schema_dir,
    "log_file: " .. (r.log_file or "<unresolved>"),
    string.format("budget: chars=%d lines=%d mode=%s", r.budget_chars, r.budget_lines, r.clip_mode),
  }
  list_lines(L, "warnings", r.warnings, WARNINGS_SHOWN)
  if r.ok then
    L[#L + 1] = "status: ok"
  else
    list_lines(L, "errors", r.errors, ERRORS_SHOWN)
    L[#L + 1] = "status: fail"
  end
  io.stdout:write(table.concat(L, "\n"), "\n")
  return r.ok and 0 or 1
end

return M
