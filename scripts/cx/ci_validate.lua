--- `ci validate`: the CI gate over a repository's cx setup, with no network — its schemas (repository
--- files must parse and compile; missing ones fall back to the builtin schemas), its policy overrides
--- (each must load in the sandbox; a rule policy must also compose and pass the shape checks), the
--- run log against its contract, the context budget, and with strict, the quarantine directory and
--- the presence of a run log. Returns a report; renders nothing.
local core = require "cx.core"
local policy = require "cx.policy"
local policy_rules = require "cx.policy_rules"
local registry = require "cx.schema.registry"
local validate = require "cx.logs.validate"

local ci = {}

ci.SCHEMAS = { "commitjson", "diffsum", "next", "fixrun" }
ci.CLIP_MODES = { smart = true, head = true, tail = true }

-- The reference's wording for a schema that cannot be used.
local function schema_error(msg, path)
  if msg:find("failed to compile schema", 1, true) then
    return string.format("schema failed to compile (%s): %s", path, msg:match(": (.*)$") or msg)
  end
  return "schema unreadable/invalid json: " .. path
end

local function check_schemas(r, dir)
  local checked = {}
  for _, name in ipairs(ci.SCHEMAS) do
    local path = dir .. "/" .. name .. ".schema.json"
    checked[name .. ".schema.json"] = true
    if core.fs.exists(path) then
      local s, err = registry.load(dir, name)
      if not s then r.errors[#r.errors + 1] = schema_error(err, path) end
    end
  end
  -- Any other schema file in the registry must be usable too.
  local list, err = registry.list(core.fs.is_dir(dir) and dir or nil)
  if not list then
    r.errors[#r.errors + 1] = "schema unreadable/invalid json: " .. (err:match("JSON (%S+):") or err)
    return
  end
  for _, e in ipairs(list) do
    if e.source == "repo" and not checked[e.name] then
      local s, lerr = registry.load(dir, e.name)
      if not s then r.errors[#r.errors + 1] = schema_error(lerr, e.path) end
    end
  end
end

local function check_policies(r, dir)
  for _, p in ipairs(policy.list({ policies_dir = dir })) do
    if p.origin == "repo" then
      local h, err = policy.load(p.name, { policies_dir = dir })
      if not h then
        r.errors[#r.errors + 1] = "policy failed to load: " .. err
      elseif h.kind == "rules" then -- composed with the shipped one and shape-checked, as cx evaluates it
        local ok, cerr = policy_rules.check(p.name, { policies_dir = dir })
        if not ok then r.errors[#r.errors + 1] = "policy invalid: " .. cerr end
      end
    end
  end
end

-- Run-log findings kept for the report (the command shows the first 20 of each list).
local KEPT_ISSUES = 200

local function check_log(r, file, strict, legacy_ok)
  local st = core.fs.stat(file)
  if not st then
    local msg = "no log file at " .. file
    if strict then r.errors[#r.errors + 1] = msg else r.warnings[#r.warnings + 1] = msg end
    return
  end
  -- The first findings of each class are enough for a report; the summary counts them all.
  local run, err = validate.open(file, { legacy_ok = legacy_ok, keep_per_class = KEPT_ISSUES })
  if not run then
    r.errors[#r.errors + 1] = "cannot read " .. file .. ": " .. tostring(err)
    return
  end
  local issues, warnings = {}, {}
  while true do
    local f, ferr = run:next()
    if not f then
      if ferr then r.errors[#r.errors + 1] = "cannot read " .. file .. ": " .. tostring(ferr) end
      break
    end
    local list = f.severity == "warning" and warnings or issues
    if #list < KEPT_ISSUES then list[#list + 1] = string.format("line %d: %s", f.line, f.message) end
  end
  local v = run:summary()
  run:close()
  if strict and v.entries_scanned == 0 and v.issue_count == 0 then
    r.errors[#r.errors + 1] = "log file is empty: " .. file
  end
  local into = (legacy_ok and v.invalid_json_entries == 0) and r.warnings or r.errors
  for _, message in ipairs(issues) do into[#into + 1] = message end
  if v.issue_count > #issues then
    into[#into + 1] = string.format("%d more run-log issues (run 'cx logs validate')", v.issue_count - #issues)
  end
  for _, message in ipairs(warnings) do r.warnings[#r.warnings + 1] = message end
end

--- Run the checks. opts: repo_root, schemas_dir, quarantine_dir, policies_dir, log_file (nil when it
--- cannot be resolved), strict, legacy_ok, budget {chars, lines, mode}. Returns the report (the
--- reference's JSON keys).
function ci.run(opts)
  local r = {
    repo_root = opts.repo_root, schema_dir = opts.schemas_dir, log_file = opts.log_file,
    strict = opts.strict, legacy_ok = opts.legacy_ok,
    budget_chars = opts.budget.chars, budget_lines = opts.budget.lines, clip_mode = opts.budget.mode,
    errors = {}, warnings = {},
  }
  check_schemas(r, opts.schemas_dir)
  check_policies(r, opts.policies_dir)
  if opts.log_file then
    check_log(r, opts.log_file, opts.strict, opts.legacy_ok)
  else
    r.errors[#r.errors + 1] = "unable to resolve log file"
  end
  if opts.budget.chars <= 0 then r.errors[#r.errors + 1] = "budget_chars must be > 0" end
  if opts.budget.lines <= 0 then r.errors[#r.errors + 1] = "budget_lines must be > 0" end
  if not ci.CLIP_MODES[opts.budget.mode] then
    r.warnings[#r.warnings + 1] = string.format("clip_mode '%s' not recognized; expected smart|head|tail",
      opts.budget.mode)
  end
  if opts.strict then
    local st = core.fs.stat(opts.quarantine_dir)
    if st and st.type ~= "dir" then
      r.errors[#r.errors + 1] = "quarantine path exists but is not a dir: " .. opts.quarantine_dir
    end
  end
  r.ok = #r.errors == 0
  return r
end

return ci
