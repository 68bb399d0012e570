-- Example: replace a shipped rule's check (same id: the fields given replace the shipped ones;
-- its action stays). Here queue_p95_high judges the average wait instead of the p95.
-- Install: cp policies/examples/replace_rule/scheduler.lua .codex/policies/scheduler.lua
return {
  extends = true,
  thresholds = { queue_avg_ms = 1500 },
  rules = {
    {
      id = "queue_p95_high",
      check = function(input, t)
        local s = input.metrics.scheduler
        if s.queue_rows < t.queue_min_rows or (s.queue_ms_avg or 0) < t.queue_avg_ms then return nil end
        return {
          reason = "queue_avg_high:" .. s.queue_ms_avg,
          message = string.format("The average queue wait is %d ms (threshold %d ms).", s.queue_ms_avg, t.queue_avg_ms),
          evidence = input.rows,
        }
      end,
    },
  },
}
