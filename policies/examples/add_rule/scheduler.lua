-- Example: add a rule to the scheduler policy (cx diag, cx scheduler) without touching cx.
-- Install: cp policies/examples/add_rule/scheduler.lua .codex/policies/scheduler.lua
-- Try:     cx policy run .codex/policies/scheduler.lua --log .codex/cxlogs/runs.jsonl
return {
  extends = true, -- keep every shipped rule; add and tune on top
  thresholds = {
    slow_task_ms = 60000, -- a new threshold for the new rule
  },
  rules = {
    {
      id = "slow_tasks",
      about = "scheduled", -- only rows the scheduler wrote
      severity = "warning",
      check = function(input, t)
        local slow = {}
        for _, row in ipairs(input.rows) do
          if math.type(row.duration_ms) == "integer" and row.duration_ms > t.slow_task_ms then slow[#slow + 1] = row end
        end
        if #slow == 0 then return nil end
        return {
          reason = "slow_tasks:" .. #slow,
          message = string.format("%d scheduled task run(s) took longer than %d ms.", #slow, t.slow_task_ms),
          evidence = slow, -- the rows: their log lines and execution ids are reported
        }
      end,
      action = {
        rationale = "Some tasks run longer than a minute; split them or raise their timeouts.",
        command = "cx optimize 200 --json --actions",
      },
    },
  },
}
