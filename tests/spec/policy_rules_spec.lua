-- cx.policy_rules: composing a shipped rule policy with a repository override (add, replace, tune,
-- disable, replace wholesale), the shape checks with file:line messages, and rule results.
local h = require "helpers.cli"
local policy_rules = require "cx.policy_rules"

local shipped_text = [[
return {
  thresholds = { limit = 10, label = "x" },
  rules = {
    { id = "over_limit",
      severity = "warning",
      check = function(input, t)
        if input.value > t.limit then
          return { reason = "over_limit:" .. input.value, evidence = input.rows }
        end
      end,
      action = { rationale = "Value {value} is over the limit.", command = "cx diag --window {W}" } },
    { id = "always", severity = "ok", check = function() return true end },
  },
}
]]

describe("cx.policy_rules", function()
  local shipped, repo

  local function write(dir, name, text)
    h.write(dir .. "/" .. name .. ".lua", text)
  end

  local function eval(input, opts)
    opts = opts or {}
    opts.shipped_dir = opts.shipped_dir or shipped
    opts.policies_dir = opts.policies_dir or repo
    return policy_rules.evaluate("p", input, opts)
  end

  local function ids(list)
    local out = {}
    for i, x in ipairs(list) do out[i] = x.id end
    return out
  end

  local base_input = { value = 12, rows = { { execution_id = "e1", line = 3 } }, vars = { W = 50, value = 12 } }

  before_each(function()
    shipped, repo = h.tmpdir(), h.tmpdir()
    write(shipped, "p", shipped_text)
  end)

  after_each(function()
    h.rm(shipped)
    h.rm(repo)
  end)

  it("evaluates the shipped policy: findings, evidence, actions with placeholders, severity", function()
    local r = assert(eval(base_input))
    assert.same({ "over_limit", "always" }, ids(r.findings))
    local f = r.findings[1]
    assert.equal("over_limit:12", f.reason)
    assert.equal("warning", f.severity)
    assert.same({ { execution_id = "e1", line = 3 } }, f.evidence)
    assert.same({ { id = "over_limit", severity = "warning", rationale = "Value 12 is over the limit.",
      command = "cx diag --window 50" } }, r.actions)
    assert.equal("warning", r.severity)
    assert.equal(shipped .. "/p.lua", f.policy)
    assert.same({ "over_limit", "always" }, ids(r.rules))
    assert.is_true(r.rules[1].fired)
  end)

  it("adds a rule from the repository with no change to cx", function()
    write(repo, "p", [[
return {
  extends = true,
  rules = {
    { id = "my_rule", severity = "critical",
      check = function(input) return input.value == 12 and { reason = "twelve" } end,
      action = { rationale = "Twelve.", command = "cx optimize 200 --json" } },
  },
}
]])
    local r = assert(eval(base_input))
    assert.same({ "over_limit", "always", "my_rule" }, ids(r.findings))
    assert.same({ "over_limit", "my_rule" }, ids(r.actions))
    assert.equal("critical", r.severity)
    assert.equal(repo .. "/p.lua", r.findings[3].policy)
    assert.same({ { path = shipped .. "/p.lua", origin = "shipped" }, { path = repo .. "/p.lua", origin = "repo" } },
      r.policy.files)
  end)

  it("changes a threshold, which changes what fires and the severity", function()
    write(repo, "p", "return { extends = true, thresholds = { limit = 20 } }")
    local r = assert(eval(base_input))
    assert.same({ "always" }, ids(r.findings))
    assert.equal("ok", r.severity)
    assert.equal(20, r.thresholds.limit)
    assert.equal("x", r.thresholds.label)
    -- thresholds given by the caller (the environment) apply last
    r = assert(eval(base_input, { thresholds = { limit = 5 } }))
    assert.equal("warning", r.severity)
  end)

  it("replaces a rule field by field and disables one", function()
    write(repo, "p", [[
return {
  extends = true,
  rules = {
    { id = "over_limit", severity = "critical" },
    { id = "always", disabled = true },
  },
}
]])
    local r = assert(eval(base_input))
    assert.same({ "over_limit" }, ids(r.findings))
    assert.equal("critical", r.findings[1].severity)
    assert.equal("critical", r.actions[1].severity) -- the action follows its finding
    assert.is_true(r.rules[2].disabled)
  end)

  it("replaces the shipped policy wholesale without extends", function()
    write(repo, "p", "return { rules = { { id = 'only', check = function() return { reason = 'mine' } end } } }")
    local r = assert(eval(base_input))
    assert.same({ "only" }, ids(r.findings))
    assert.same({}, r.actions)
  end)

  it("lets the policy's severity() decide the gate", function()
    write(repo, "p",
      "return { extends = true, severity = function(findings) return #findings > 1 and 'critical' or 'ok' end }")
    assert.equal("critical", assert(eval(base_input)).severity)
  end)

  it("refuses extends without a shipped policy", function()
    assert.is_nil(policy_rules.evaluate("nosuch", {}, { shipped_dir = shipped, file = repo .. "/x.lua" }))
    h.write(repo .. "/x.lua", "return {\n  extends = true,\n}")
    local r, err, class = policy_rules.evaluate("nosuch", {}, { shipped_dir = shipped, file = repo .. "/x.lua" })
    assert.is_nil(r)
    assert.equal("invalid", class)
    assert.equal(repo .. "/x.lua:2: extends = true, but cx ships no policy named 'nosuch'", err)
  end)

  for _, case in ipairs({
    { "an unknown rule field", "return { extends = true, rules = {\n  { id = 'r', chek = function() end },\n} }",
      ":2: rule 'r': unknown field 'chek'" },
    { "a bad severity",
      "return { extends = true, rules = {\n\n  { id = 'r', severity = 'high', check = function() end },\n} }",
      ":3: rule 'r': severity must be \"ok\", \"warning\" or \"critical\" (got high)" },
    { "duplicate ids", "return { extends = true, rules = {\n  { id = 'r', check = function() end },\n" ..
      "  { id = 'r', check = function() end },\n} }", ":2: rule 'r': duplicate id (also rule #1)" },
    { "a threshold of the wrong type", "return { extends = true, thresholds = {\n  limit = 'ten',\n} }",
      ":2: threshold 'limit' must be a number like the shipped one (got string)" },
    { "a new rule without check", "return { extends = true, rules = {\n  { id = 'r' },\n} }",
      ":2: rule 'r': check is missing" },
    { "an unknown top-level key", "return {\n  extends = true,\n  rule = {},\n}",
      ":3: unknown key 'rule' (a rule policy has extends, thresholds, rules, severity, description)" },
    { "a check returning a number",
      "return { extends = true, rules = {\n  { id = 'r',\n    check = function() return 42 end },\n} }",
      ":3: rule 'r': check returned a number; expected nil, false, true or a table" },
    { "an unknown about",
      "return { extends = true, rules = {\n  { id = 'r', about = 'nowhere', check = function() return true end },\n} }",
      ":2: rule 'r': about = 'nowhere' names no rows of this input (known: all)" },
    { "an unknown placeholder",
      "return { extends = true, rules = {\n  { id = 'r', check = function() return true end,\n" ..
      "    action = { rationale = 'x', command = 'cx diag {Q}' } },\n} }",
      ":2: rule 'r': action uses the unknown placeholder {Q}" },
    { "an error in a check", "return { extends = true, rules = {\n  { id = 'r', check = function(input)\n" ..
      "    return input.nothing.here\n  end },\n} }", ":3: attempt to index a nil value (field 'nothing')" },
    { "a result that is not a table", "return 42", ": a rule policy must return a table (got number)" },
  }) do
    it("reports " .. case[1] .. " as <file>:<line>: <message>", function()
      write(repo, "p", case[2])
      local r, err, class = eval(base_input)
      assert.is_nil(r)
      assert.equal(repo .. "/p.lua" .. case[3], err)
      assert.truthy(class == "invalid" or class == "runtime", class)
    end)
  end

  it("stops a runaway rule and names its line", function()
    write(repo, "p", "return { extends = true, rules = {\n  { id = 'spin', check = function()\n" ..
      "    while true do end\n  end },\n} }")
    local r, err, class = eval(base_input, { limits = { instructions = 200000 } })
    assert.is_nil(r)
    assert.equal("timeout", class)
    assert.matches("^" .. repo:gsub("%p", "%%%0") .. "/p%.lua:3: policy stopped", err)
  end)

  it("checks a policy without running its rules", function()
    write(repo, "p", "return { extends = true, rules = { { id = 'boom', check = function() error('x') end } } }")
    local r = assert(policy_rules.check("p", { shipped_dir = shipped, policies_dir = repo }))
    assert.same({ "over_limit", "always", "boom" }, ids(r.rules))
    assert.equal(10, r.thresholds.limit)
  end)

  it("caps evidence and counts the rest", function()
    local rows = {}
    for i = 1, 50 do rows[i] = { execution_id = "e" .. i, line = i } end
    local r = assert(eval({ value = 11, rows = rows, vars = { W = 1, value = 11 } }))
    assert.equal(policy_rules.EVIDENCE_MAX, #r.findings[1].evidence)
    assert.equal(50, r.findings[1].evidence_count)
  end)
end)
