--- The one place the analytics commands (alert, promptlint) evaluate their rule policies
--- (`policies/<name>.lua` composed with the repository's `.codex/policies/<name>.lua`): the rule
--- engine, cx.policy_rules (docs/policies.md). Callers use the result's findings, actions and
--- thresholds.
local policy_rules = require "cx.policy_rules"

local judge = {}

judge.EVIDENCE_MAX = policy_rules.EVIDENCE_MAX

--- Evaluate policy `name` over input. opts: thresholds (values that win over the policy's, e.g. from
--- environment variables), policies_dir (default: the repository's .codex/policies), shipped_dir.
--- Returns { findings = { {id, severity, reason, evidence, evidence_count, ...} }, actions = { {id,
--- severity, rationale, command} }, thresholds, ... } or nil, message (naming the policy file and
--- line), class.
function judge.evaluate(name, input, opts)
  return policy_rules.evaluate(name, input, opts)
end

return judge
