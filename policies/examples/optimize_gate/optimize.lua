-- Example: make `cx optimize --strict --actions` gate what this repository cares about.
-- Install: cp policies/examples/optimize_gate/optimize.lua .codex/policies/optimize.lua
return {
  extends = true,
  thresholds = {
    latency_hotspot_ms = 30000, -- LLM calls of up to 30 s on average are normal here
    timeout_rate = 0.10, -- timeouts become actionable above 10% of runs
  },
  rules = {
    -- Any timeout action is critical: `--strict --severity critical` fails on it.
    { id = "timeout_frequency", severity = "critical" },
    -- This repository has no prompt cache: the cache advice is noise.
    { id = "cache_hit_degradation", disabled = true },
  },
}
