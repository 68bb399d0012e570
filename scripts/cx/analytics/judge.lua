--- The one place the analytics commands (alert, promptlint) evaluate their rule policies
--- (`policies/<name>.lua`, the shape of PLAN.md §4: thresholds + ordered rules with id, severity,
--- check, action; a repository's `.codex/policies/<name>.lua` with `extends = true` composes over the
--- shipped policy: thresholds merged key by key, a rule with a known id changed field by field or
--- `disabled`, a new id added; without `extends` it replaces the shipped policy). Findings carry
--- {id, severity, reason, evidence (at most EVIDENCE_MAX items), evidence_count}, as the engine's do.
---
--- SEAM: this is a minimal stand-in for `cx.policy_rules.evaluate` (pkg policies), built on the
--- sandbox of cx.policy (load/call). When cx.policy_rules lands, the body of judge.evaluate becomes
---     return require("cx.policy_rules").evaluate(name, input, opts)
--- and nothing else changes: callers use only the result { findings, actions, thresholds }.
local policy = require "cx.policy"
local paths = require "cx.paths"

local judge = {}

local SEVERITIES = { ok = true, warning = true, critical = true }

judge.EVIDENCE_MAX = 20

local function merge(into, from)
  for k, v in pairs(from or {}) do into[k] = v end
  return into
end

-- Rules of a loaded policy file, each remembering the handle whose sandbox defined it.
local function rules_of(h, optional)
  local out = {}
  local list = h.exports.rules
  if list == nil and optional then return out end
  if type(list) ~= "table" then return nil, h.path .. ": a rule policy must have a `rules` list", "invalid" end
  for i, r in ipairs(list) do
    if type(r) ~= "table" or type(r.id) ~= "string" then
      return nil, string.format("%s: rule %d needs a string id", h.path, i), "invalid"
    end
    out[#out + 1] = { rule = r, handle = h }
  end
  return out
end

-- The shipped policy, composed with the repository's override.
local function compose(name, opts)
  local base, err, class = policy.load(name, { shipped_dir = opts.shipped_dir })
  if not base then return nil, err, class end
  local rules
  rules, err, class = rules_of(base)
  if not rules then return nil, err, class end
  local thresholds = merge({}, base.exports.thresholds)
  local dir = opts.policies_dir
  if dir == nil then
    local p = paths.resolve()
    dir = p and p.policies_dir
  end
  local _, origin = policy.find(name, { policies_dir = dir, shipped_dir = opts.shipped_dir })
  if origin ~= "repo" then return rules, thresholds end
  local over
  over, err, class = policy.load(name, { policies_dir = dir, shipped_dir = opts.shipped_dir })
  if not over then return nil, err, class end
  local extra
  extra, err, class = rules_of(over, over.exports.extends)
  if not extra then return nil, err, class end
  if not over.exports.extends then return extra, merge({}, over.exports.thresholds) end
  merge(thresholds, over.exports.thresholds)
  for _, e in ipairs(extra) do
    local found
    for i, r in ipairs(rules) do
      if r.rule.id == e.rule.id then found = i end
    end
    if found then
      -- field by field: the check runs in the sandbox of the file that defined it
      local merged = {}
      for k, v in pairs(rules[found].rule) do merged[k] = v end
      for k, v in pairs(e.rule) do merged[k] = v end
      rules[found] = { rule = merged, handle = e.rule.check and e.handle or rules[found].handle }
    else
      rules[#rules + 1] = e
    end
  end
  return rules, thresholds
end

local function check_rules(rules)
  for _, e in ipairs(rules) do
    if not e.rule.disabled and type(e.rule.check) ~= "function" then
      return nil, string.format("%s: rule %s needs a check function", e.handle.path, e.rule.id), "invalid"
    end
  end
  return true
end

-- At most EVIDENCE_MAX {execution_id, line} items, and how many there were.
local function evidence_of(list)
  local out, total = {}, 0
  for _, e in ipairs(type(list) == "table" and list or {}) do
    total = total + 1
    if total <= judge.EVIDENCE_MAX and type(e) == "table" then
      out[#out + 1] = { execution_id = e.execution_id, line = e.line }
    end
  end
  return out, total
end

-- Call one rule's check in the sandbox of the file that defined it.
local function check(entry, input, thresholds)
  local h = entry.handle
  local call_handle = { path = h.path, budget = h.budget, env = h.env, exports = { check = entry.rule.check } }
  return policy.call(call_handle, "check", input, thresholds)
end

--- Evaluate policy `name` over input. opts: thresholds (values that win over the policy's, e.g. from
--- environment variables), policies_dir (default: the repository's .codex/policies), shipped_dir.
--- Returns { findings = { {id, severity, reason, evidence, evidence_count} }, actions = { {id, severity,
--- rationale, command} }, thresholds } or nil, message (naming the policy file and line), class.
function judge.evaluate(name, input, opts)
  opts = opts or {}
  local rules, thresholds, class = compose(name, opts)
  if not rules then return nil, thresholds, class end
  local ok, err, eclass = check_rules(rules)
  if not ok then return nil, err, eclass end
  merge(thresholds, opts.thresholds)
  local out = { findings = {}, actions = {}, thresholds = thresholds }
  for _, e in ipairs(rules) do
    local r = e.rule
    if not r.disabled then
      local f, ferr, fclass = check(e, input, thresholds)
      if f == nil and ferr then return nil, ferr, fclass end
      if type(f) == "table" then
        local severity = SEVERITIES[f.severity] and f.severity or (SEVERITIES[r.severity] and r.severity or "warning")
        local evidence, total = evidence_of(f.evidence)
        local finding = { id = r.id, severity = severity, reason = tostring(f.reason or r.id), evidence = evidence,
          evidence_count = total }
        out.findings[#out.findings + 1] = finding
        if type(r.action) == "table" and type(r.action.command) == "string" then
          out.actions[#out.actions + 1] = { id = r.id, severity = severity,
            rationale = tostring(r.action.rationale or finding.reason), command = r.action.command }
        end
      end
    end
  end
  return out
end

return judge
