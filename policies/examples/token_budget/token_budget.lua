-- Example: a rule policy of your own, not tied to a command. Run it in CI:
--   cx policy run policies/examples/token_budget/token_budget.lua --log runs.jsonl --strict
-- It receives the same input as every rule policy (docs/policies.md): rows, metrics, scoreboard.
return {
  thresholds = { max_effective_input_tokens = 20000 },
  rules = {
    {
      id = "token_budget_exceeded",
      severity = "critical",
      check = function(input, t)
        local over = {}
        for _, row in ipairs(input.rows) do
          local n = row.effective_input_tokens
          if math.type(n) == "integer" and n > t.max_effective_input_tokens then over[#over + 1] = row end
        end
        if #over == 0 then return nil end
        return {
          message = string.format("%d run(s) sent more than %d effective input tokens.", #over,
            t.max_effective_input_tokens),
          evidence = over,
        }
      end,
      action = {
        rationale = "Prompts exceed the token budget; narrow the captured context.",
        command = "cx optimize 200 --json --actions",
      },
    },
  },
}
