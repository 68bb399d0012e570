-- cx.analytics.judge: the rule-policy evaluation of alert and promptlint (the seam to
-- cx.policy_rules): composition of shipped and repository policies, thresholds, evidence, errors.
local h = require "helpers.cli"
local judge = require "cx.analytics.judge"

local dirs = {}
teardown(function()
  for _, d in ipairs(dirs) do h.rm(d) end
end)

local function override(text)
  local d = h.tmpdir()
  dirs[#dirs + 1] = d
  h.write(d .. "/alert.lua", text)
  return d
end

local function runs(n, dur)
  local out = {}
  for i = 1, n do out[i] = { execution_id = "e" .. i, tool = "t", duration_ms = dur, effective_input_tokens = 1 } end
  return { window = n, runs = out }
end

local NONE = "/nonexistent-cx-policies"

describe("judge.evaluate", function()
  it("runs the shipped alert policy with its thresholds", function()
    local r = assert(judge.evaluate("alert", runs(3, 20000), { policies_dir = NONE }))
    assert.same({ max_ms = 12000, max_eff_in = 8000 }, r.thresholds)
    assert.equal(1, #r.findings)
    local f = r.findings[1]
    assert.same({ "slow_runs", "warning", 3 }, { f.id, f.severity, f.evidence_count })
    assert.same({ execution_id = "e1" }, f.evidence[1])
    assert.equal("3 of 3 runs took longer than 12000 ms", f.reason)
    assert.same({ id = "slow_runs", severity = "warning", rationale = "Some runs are slow; see which tools and when.",
      command = "cx profile 50" }, r.actions[1])
  end)

  it("lets opts.thresholds win and caps evidence at EVIDENCE_MAX with the full count", function()
    local r = assert(judge.evaluate("alert", runs(30, 50), { policies_dir = NONE, thresholds = { max_ms = 10 } }))
    assert.equal(30, r.findings[1].evidence_count)
    assert.equal(judge.EVIDENCE_MAX, #r.findings[1].evidence)
  end)

  it("composes an extending override: thresholds by key, rules field by field, disabled, added", function()
    local dir = override([[
return {
  extends = true,
  thresholds = { max_eff_in = 0 },
  rules = {
    { id = "slow_runs", severity = "critical" },
    { id = "token_heavy_runs", disabled = true },
    { id = "many", check = function(input) if #input.runs > 2 then return { reason = "many runs" } end end },
  },
}
]])
    local r = assert(judge.evaluate("alert", runs(3, 20000), { policies_dir = dir }))
    assert.same({ max_ms = 12000, max_eff_in = 0 }, r.thresholds)
    assert.same({ "slow_runs", "many" }, { r.findings[1].id, r.findings[2].id })
    assert.equal("critical", r.findings[1].severity)
    assert.equal("warning", r.findings[2].severity)
    assert.equal(0, r.findings[2].evidence_count)
  end)

  it("replaces the shipped policy without extends", function()
    local dir = override([[
return { thresholds = { x = 1 }, rules = { { id = "only", check = function() return {} end } } }]])
    local r = assert(judge.evaluate("alert", runs(3, 20000), { policies_dir = dir }))
    assert.same({ x = 1 }, r.thresholds)
    assert.same({ "only" }, { r.findings[1].id })
  end)

  it("reports broken policies as file:line, with a class", function()
    local dir = override("return { extends = true, rules = { { id = 'x', check = function(i)\n"
      .. " return i.nope.x end } } }")
    local r, err, class = judge.evaluate("alert", runs(1, 1), { policies_dir = dir })
    assert.is_nil(r)
    assert.equal("runtime", class)
    assert.matches("alert%.lua:2:", err)
    dir = override("return { extends = true, rules = { { id = 'y' } } }")
    r, err, class = judge.evaluate("alert", runs(1, 1), { policies_dir = dir })
    assert.is_nil(r)
    assert.equal("invalid", class)
    assert.matches("alert%.lua:1: rule 'y': check is missing", err) -- the rule engine's wording
    dir = override("return { rules = 5 }")
    assert.is_nil((judge.evaluate("alert", runs(1, 1), { policies_dir = dir })))
  end)
end)
