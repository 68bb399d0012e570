-- Example: switch off rules that do not fit a repository (one backend, one worker by design).
-- Install: cp policies/examples/disable_rules/scheduler.lua .codex/policies/scheduler.lua
return {
  extends = true,
  rules = {
    { id = "backend_skew_high", disabled = true },
    { id = "worker_spread_low", disabled = true },
  },
}
