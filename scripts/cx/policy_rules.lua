--- The rule engine: rule policies (diagnostics, telemetry, alerts ...) evaluated in the sandbox.
---
--- A rule policy is `policies/<name>.lua` (shipped) composed with the repository's
--- `.codex/policies/<name>.lua`: with `extends = true` the override adds rules, replaces them field
--- by field, disables them and changes thresholds; without it, it replaces the shipped policy.
--- The composition, the shape checks and every rule run inside ONE sandboxed evaluation (the
--- trusted driver scripts/cx/policy_rules_driver.lua), so a broken or hostile rule is stopped
--- like any policy code, and reported as `<file>:<line>: <message>`. Shapes: docs/policies.md.
local paths = require "cx.paths"
local policy = require "cx.policy"

local rules = {}

rules.EVIDENCE_MAX = 20 -- evidence items kept per finding (evidence_count has the total)
rules.RANK = { ok = 0, warning = 1, critical = 2 }

local driver_text

-- The driver's text, read once from beside this module (a checkout, an install or the rock).
local function driver()
  if driver_text then return driver_text end
  local src = debug.getinfo(1, "S").source
  local path = src:sub(1, 1) == "@" and src:sub(2):gsub("[^/]*$", "policy_rules_driver.lua") or nil
  local f = path and io.open(path, "rb")
  if not f then return nil, "the rule engine's driver is missing (policy_rules_driver.lua beside " .. src .. ")" end
  driver_text = f:read("a")
  f:close()
  return driver_text
end

local function override_path(name, opts)
  if opts.file then return opts.file, "file" end
  local dir = opts.policies_dir
  if dir == nil then
    local p = paths.resolve()
    dir = p and p.policies_dir
  end
  if not dir then return nil end
  local path, origin = policy.find(name, { policies_dir = dir, shipped_dir = "/nonexistent" })
  if origin == "repo" then return path, "repo" end
  return nil
end

-- The chunks to evaluate and the role of each: the shipped file, then the override (if any).
local function sources(name, opts)
  local chunks, parts, files = {}, {}, {}
  local function add(path, role, origin)
    local text, err, class = policy.read(path)
    if not text then return nil, err, class end
    chunks[#chunks + 1] = { path = path, text = text }
    parts[#parts + 1] = { role = role }
    files[#files + 1] = { path = path, origin = origin }
    return true
  end
  local shipped = opts.no_shipped ~= true and policy.find_shipped(name, opts) or nil
  if shipped then
    local ok, err, class = add(shipped, "shipped", "shipped")
    if not ok then return nil, err, class end
  end
  local over, origin = override_path(name, opts)
  if over then
    local ok, err, class = add(over, "override", origin)
    if not ok then return nil, err, class end
  end
  if #chunks == 0 then
    return nil, "no rule policy named '" .. name .. "' (shipped or in .codex/policies)", "not_found"
  end
  return chunks, parts, files
end

local function run(name, mode, data, opts)
  opts = opts or {}
  if type(name) ~= "string" or not name:match("^[%w_%-]+$") then
    return nil, "invalid policy name: " .. tostring(name), "usage"
  end
  local chunks, parts, files = sources(name, opts)
  if not chunks then return nil, parts, files end
  local text, derr = driver()
  if not text then return nil, derr, "io" end
  local r, err, class = policy.evaluate({
    chunks = chunks,
    driver = text,
    driver_path = "=(rule engine)",
    input = {
      name = name,
      mode = mode,
      parts = parts,
      data = data,
      thresholds = opts.thresholds,
      evidence_max = rules.EVIDENCE_MAX,
    },
    limits = opts.limits,
  })
  if not r then return nil, err, class end
  r.policy = { name = name, files = files }
  return r
end

--- Evaluate rule policy `name` over `input` (plain data; docs/policies.md lists the conventional
--- keys: rows, window, log_file, metrics, classes, vars ...). opts: policies_dir (default: this
--- repository's .codex/policies), shipped_dir, file (use this file as the override), no_shipped
--- (evaluate the override alone), thresholds (applied over the policy's), limits.
--- Returns { policy = {name, files}, thresholds, severity, findings, actions, rules } or nil,
--- message, class.
function rules.evaluate(name, input, opts)
  return run(name, "evaluate", input or {}, opts)
end

--- Compose and check rule policy `name` without running its rules (cx policy check): returns
--- { policy, thresholds, rules } or nil, message ("<file>:<line>: ..."), class.
function rules.check(name, opts)
  return run(name, "check", {}, opts)
end

--- The rank of a severity (unknown strings rank 0, as in the reference).
function rules.rank(severity)
  return rules.RANK[severity] or 0
end

--- The higher of two severities.
function rules.max(a, b)
  if rules.rank(b) > rules.rank(a) then return b end
  return a
end

--- The highest severity of a list of findings or actions ("ok" for none).
function rules.highest(list)
  local top = "ok"
  for _, x in ipairs(list or {}) do top = rules.max(top, x.severity) end
  return top
end

--- Whether a gate fails: `severity` reaches `floor` ("warning" by default) and is not ok.
function rules.fails(severity, floor)
  return rules.rank(severity) > 0 and rules.rank(severity) >= rules.rank(floor or "warning")
end

return rules
