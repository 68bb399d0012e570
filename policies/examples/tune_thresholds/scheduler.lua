-- Example: tune the shipped scheduler rules for a team whose queue is slow by design.
-- Install: cp policies/examples/tune_thresholds/scheduler.lua .codex/policies/scheduler.lua
return {
  extends = true,
  thresholds = {
    queue_p95_ms = 10000, -- queue_p95_high only above 10 s (shipped: 2 s)
    spread_min_rows = 20, -- worker_spread_low only over 20+ scheduled rows (shipped: 6)
  },
  rules = {
    -- Raise a rule's severity: its finding, and its action (which follows the finding), are critical.
    { id = "retry_pressure_high", severity = "critical" },
    -- Tune one field of a shipped action: the rest of it stays.
    { id = "queue_p95_high", action = { rationale = "The task queue is slower than our 10 s budget." } },
  },
}
