-- The rule engine's trusted driver. It runs INSIDE the policy sandbox (cx.policy.evaluate), after
-- the policy chunks: `driver(modules, input, host)`. It composes the shipped rule policy with the
-- repository override, checks the shape (naming file and line), runs every active rule over its
-- view of the input and returns findings, actions and the severity as plain data.
--
-- input = { name = <policy name>, mode = "evaluate" | "check",
--           parts = { { role = "shipped" | "override" }, ... } (one per chunk, same order),
--           data = <what the rules receive>, thresholds = <overrides applied last>, evidence_max = N }
-- It is not a module: cx reads this file's text and hands it to the sandbox (cx.policy_rules).
local modules, input, host = ...

local SEVERITIES = { ok = 0, warning = 1, critical = 2 }
local ACTION_SEVERITIES = { warning = true, critical = true }
local TOP_KEYS = { extends = true, thresholds = true, rules = true, severity = true, description = true }
local RULE_KEYS = { id = true, about = true, kind = true, severity = true, check = true, action = true, disabled = true,
  description = true }
local ACTION_KEYS = { id = true, severity = true, rationale = true, command = true }

local function text_line(i, pattern)
  local n = 0
  for line in (host.texts[i] .. "\n"):gmatch("([^\n]*)\n") do
    n = n + 1
    if line:find(pattern) then return n end
  end
  return 0
end

local function where(i, line)
  if line and line > 0 then return host.paths[i] .. ":" .. line .. ": " end
  return host.paths[i] .. ": "
end

local function escape(s)
  return (tostring(s):gsub("[%^%$%(%)%%%.%[%]%*%+%-%?]", "%%%0"))
end

-- The line of rule `id` in chunk i: where its id is written, else where its check is defined.
local function rule_line(i, rule)
  if type(rule) == "table" and type(rule.id) == "string" then
    local n = text_line(i, "id%s*=%s*[\"']" .. escape(rule.id) .. "[\"']")
    if n > 0 then return n end
  end
  if type(rule) == "table" and type(rule.check) == "function" then
    local _, line = host.defined(rule.check)
    return line
  end
  return 0
end

local function invalid(i, line, msg)
  host.invalid(where(i, line) .. msg)
end

local function rule_invalid(i, rule, msg)
  local id = type(rule) == "table" and type(rule.id) == "string" and rule.id or "?"
  invalid(i, rule_line(i, rule), "rule '" .. id .. "': " .. msg)
end

local function check_action(i, rule, a)
  if a == nil or a == false then return end
  if type(a) ~= "table" then rule_invalid(i, rule, "action must be a table or false") end
  for k in pairs(a) do
    if not ACTION_KEYS[k] then rule_invalid(i, rule, "unknown action field '" .. tostring(k) .. "'") end
  end
  if a.id ~= nil and (type(a.id) ~= "string" or not a.id:match("^[%w_.%-]+$")) then
    rule_invalid(i, rule, "action.id must be letters, digits, '_', '.' or '-'")
  end
  if a.severity ~= nil and not ACTION_SEVERITIES[a.severity] then
    rule_invalid(i, rule, "action.severity must be \"warning\" or \"critical\" (got " .. tostring(a.severity) .. ")")
  end
  for _, k in ipairs({ "rationale", "command" }) do
    if a[k] ~= nil and type(a[k]) ~= "string" then rule_invalid(i, rule, "action." .. k .. " must be a string") end
  end
end

-- One rule table of chunk i (partial = an override of an existing id: check may be absent).
local function check_rule(i, rule, partial)
  if type(rule) ~= "table" then invalid(i, 0, "every entry of rules must be a table (got " .. type(rule) .. ")") end
  for k in pairs(rule) do
    if not RULE_KEYS[k] then rule_invalid(i, rule, "unknown field '" .. tostring(k) .. "'") end
  end
  if type(rule.id) ~= "string" or not rule.id:match("^[%w_.%-]+$") then
    rule_invalid(i, rule, "id must be a string of letters, digits, '_', '.' or '-'")
  end
  if rule.disabled ~= nil and type(rule.disabled) ~= "boolean" then
    rule_invalid(i, rule, "disabled must be a boolean")
  end
  if rule.check ~= nil and type(rule.check) ~= "function" then rule_invalid(i, rule, "check must be a function") end
  if rule.check == nil and not partial and not rule.disabled then rule_invalid(i, rule, "check is missing") end
  if rule.severity ~= nil and SEVERITIES[rule.severity] == nil then
    rule_invalid(i, rule, "severity must be \"ok\", \"warning\" or \"critical\" (got " ..
      tostring(rule.severity) .. ")")
  end
  for _, k in ipairs({ "about", "kind", "description" }) do
    if rule[k] ~= nil and type(rule[k]) ~= "string" then rule_invalid(i, rule, k .. " must be a string") end
  end
  check_action(i, rule, rule.action)
end

local function threshold_type(v)
  local t = type(v)
  if t == "number" or t == "string" or t == "boolean" then return t end
  return nil
end

-- The top-level table of chunk i; base = the shipped policy it extends (or nil).
local function check_policy(i, p, base)
  if type(p) ~= "table" then invalid(i, 0, "a rule policy must return a table (got " .. type(p) .. ")") end
  for k in pairs(p) do
    if not TOP_KEYS[k] then
      invalid(i, text_line(i, "%f[%w_]" .. escape(k) .. "%s*="), "unknown key '" .. tostring(k) ..
        "' (a rule policy has extends, thresholds, rules, severity, description)")
    end
  end
  if p.extends ~= nil and p.extends ~= true and p.extends ~= false then
    invalid(i, text_line(i, "extends%s*="), "extends must be true or false")
  end
  if p.severity ~= nil and type(p.severity) ~= "function" then
    invalid(i, text_line(i, "severity%s*="), "severity must be a function(findings, thresholds)")
  end
  if p.thresholds ~= nil then
    if type(p.thresholds) ~= "table" then invalid(i, text_line(i, "thresholds%s*="), "thresholds must be a table") end
    for k, v in pairs(p.thresholds) do
      -- the line is looked up only to report an error: scanning the text costs
      local function line() return text_line(i, "%f[%w_]" .. escape(tostring(k)) .. "%s*=") end
      if type(k) ~= "string" then invalid(i, line(), "threshold names must be strings") end
      local t = threshold_type(v)
      if not t then
        invalid(i, line(), "threshold '" .. k .. "' must be a number, string or boolean (got " .. type(v) .. ")")
      end
      local shipped = base and base.thresholds and base.thresholds[k]
      if shipped ~= nil and threshold_type(shipped) ~= t then
        invalid(i, line(), "threshold '" .. k .. "' must be a " .. threshold_type(shipped) ..
          " like the shipped one (got " .. t .. ")")
      end
    end
  end
  local seen = {}
  if p.rules ~= nil then
    if type(p.rules) ~= "table" then invalid(i, text_line(i, "rules%s*="), "rules must be a list of tables") end
    for n, rule in ipairs(p.rules) do
      local known = base ~= nil and type(rule) == "table" and base.index and base.index[rule.id] ~= nil
      check_rule(i, rule, known)
      if seen[rule.id] then rule_invalid(i, rule, "duplicate id (also rule #" .. seen[rule.id] .. ")") end
      seen[rule.id] = n
    end
    for k in pairs(p.rules) do
      if math.type(k) ~= "integer" or k < 1 or k > #p.rules then
        invalid(i, text_line(i, "rules%s*="), "rules must be a list (found key " .. tostring(k) .. ")")
      end
    end
  end
end

-- Compose: the shipped policy, then an override that extends it (or replaces it).
local function compose()
  local policy = { thresholds = {}, rules = {}, index = {} }
  local function add_rule(i, rule)
    local r = {}
    for k, v in pairs(rule) do r[k] = v end
    r.chunk = i
    policy.rules[#policy.rules + 1] = r
    policy.index[r.id] = r
  end
  local function take(i, p)
    for k, v in pairs(p.thresholds or {}) do policy.thresholds[k] = v end
    for _, rule in ipairs(p.rules or {}) do
      local old = policy.index[rule.id]
      if old then
        for k, v in pairs(rule) do
          if k == "action" and type(v) == "table" and type(old.action) == "table" then
            local a = {}
            for ak, av in pairs(old.action) do a[ak] = av end
            for ak, av in pairs(v) do a[ak] = av end -- an action is tuned field by field too
            old.action = a
          else
            old[k] = v -- field by field: the override's fields win (action = false removes it)
          end
        end
        old.chunk = i
      else
        add_rule(i, rule)
      end
    end
    if p.severity then policy.severity, policy.severity_chunk = p.severity, i end
  end
  for i, part in ipairs(input.parts) do
    local p = modules[i]
    if part.role == "shipped" then
      check_policy(i, p, nil)
      take(i, p)
    elseif p ~= nil and type(p) == "table" and p.extends == true then
      if i == 1 then
        invalid(i, text_line(i, "extends%s*="), "extends = true, but cx ships no policy named '" .. input.name .. "'")
      end
      check_policy(i, p, policy)
      take(i, p)
    else
      check_policy(i, p, nil)
      policy = { thresholds = {}, rules = {}, index = {} } -- replaces whatever came before
      take(i, p)
    end
  end
  for k, v in pairs(input.thresholds or {}) do policy.thresholds[k] = v end
  return policy
end

local function copy_evidence(i, rule, list)
  local out, total = array(), 0
  if list == nil then return out, 0 end
  if type(list) ~= "table" then rule_invalid(i, rule, "evidence must be a list") end
  for _, e in ipairs(list) do
    if type(e) ~= "table" then rule_invalid(i, rule, "evidence items must be rows or {execution_id=, line=}") end
    total = total + 1
    if total <= input.evidence_max then
      local item = {}
      if type(e.execution_id) == "string" then item.execution_id = e.execution_id end
      if math.type(e.line) == "integer" then item.line = e.line end
      if math.type(e.offset) == "integer" then item.offset = e.offset end
      out[#out + 1] = item
    end
  end
  return out, total
end

local function expand(i, rule, text, vars)
  return (text:gsub("{([%w_]+)}", function(k)
    local v = vars[k]
    if v == nil then rule_invalid(i, rule, "action uses the unknown placeholder {" .. k .. "}") end
    return tostring(v)
  end))
end

local function views_of(data)
  local views = { all = data }
  for name, class in pairs(data.classes or {}) do
    local v = {}
    for k, x in pairs(data) do v[k] = x end
    for k, x in pairs(class) do v[k] = x end
    v.about, v.all = name, data
    views[name] = v
  end
  return views
end

local function known_views(views)
  local names = {}
  for k in pairs(views) do names[#names + 1] = k end
  table.sort(names)
  return table.concat(names, ", ")
end

-- Run one rule; returns its finding and action (or nil).
local function run_rule(rule, views, thresholds)
  local i = rule.chunk
  local view = views[rule.about or "all"]
  if view == nil then
    rule_invalid(i, rule, "about = '" .. rule.about .. "' names no rows of this input (known: " ..
      known_views(views) .. ")")
  end
  local t = {}
  for k, v in pairs(thresholds) do t[k] = v end -- a rule cannot change what the next one sees
  local r = rule.check(view, t)
  if r == nil or r == false then return nil end
  if r == true then r = {} end
  if type(r) ~= "table" then
    local _, line = host.defined(rule.check)
    invalid(i, line, "rule '" .. rule.id .. "': check returned a " .. type(r) ..
      "; expected nil, false, true or a table")
  end
  local severity = r.severity or rule.severity or "warning"
  if SEVERITIES[severity] == nil then
    rule_invalid(i, rule, "check returned severity " .. tostring(severity) .. "; expected ok, warning or critical")
  end
  for _, k in ipairs({ "reason", "message" }) do
    if r[k] ~= nil and type(r[k]) ~= "string" then rule_invalid(i, rule, "check returned a non-string " .. k) end
  end
  if r.vars ~= nil and type(r.vars) ~= "table" then
    rule_invalid(i, rule, "check returned vars that are not a table")
  end
  local evidence, total = copy_evidence(i, rule, r.evidence)
  local finding = {
    id = rule.id,
    kind = rule.kind or "finding",
    about = rule.about or "all",
    severity = severity,
    reason = r.reason or rule.id,
    evidence = evidence,
    evidence_count = total,
    policy = host.paths[i],
  }
  finding.message = r.message or finding.reason
  local template = rule.action
  if not template or r.action == false then return finding, nil end
  if r.action ~= nil then check_action(i, rule, r.action) end
  local a = {}
  for k, v in pairs(template) do a[k] = v end
  for k, v in pairs(type(r.action) == "table" and r.action or {}) do a[k] = v end
  local vars = {}
  for k, v in pairs(input.data.vars or {}) do vars[k] = v end
  for k, v in pairs(r.vars or {}) do vars[k] = v end
  vars.reason, vars.message, vars.id = finding.reason, finding.message, rule.id
  local action_severity = a.severity or (ACTION_SEVERITIES[severity] and severity) or "warning"
  local action = {
    id = a.id or rule.id,
    severity = action_severity,
    rationale = expand(i, rule, a.rationale or finding.message, vars),
    command = expand(i, rule, a.command or "", vars),
  }
  if action.command == "" then rule_invalid(i, rule, "action.command is missing") end
  return finding, action
end

local function highest(findings)
  local top = "ok"
  for _, f in ipairs(findings) do
    if SEVERITIES[f.severity] > SEVERITIES[top] then top = f.severity end
  end
  return top
end

local policy = compose()
local summary = array()
for _, rule in ipairs(policy.rules) do
  summary[#summary + 1] = {
    id = rule.id,
    kind = rule.kind or "finding",
    about = rule.about or "all",
    severity = rule.severity or "warning",
    disabled = rule.disabled == true,
    fired = false,
    policy = host.paths[rule.chunk],
  }
end
local result = { thresholds = policy.thresholds, rules = summary }
if input.mode == "check" then return result end

local views = views_of(input.data)
local findings, actions = array(), array()
for n, rule in ipairs(policy.rules) do
  if not rule.disabled then
    local finding, action = run_rule(rule, views, policy.thresholds)
    if finding then
      findings[#findings + 1] = finding
      summary[n].fired = true
      summary[n].severity = finding.severity
    end
    if action then actions[#actions + 1] = action end
  end
end
local severity = highest(findings)
if policy.severity then
  local i = policy.severity_chunk
  local _, line = host.defined(policy.severity)
  host.blame(i, line)
  severity = policy.severity(findings, policy.thresholds)
  if SEVERITIES[severity] == nil then
    invalid(i, line, "severity() returned " .. tostring(severity) .. "; expected ok, warning or critical")
  end
end
result.findings, result.actions, result.severity = findings, actions, severity
return result
