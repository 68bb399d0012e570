-- The promptlint policy: when `cx promptlint` recommends work on prompts. Rule policy shape
-- (docs/policies.md): thresholds a repository may tune, and ordered rules. Override per repository in
-- .codex/policies/promptlint.lua (`extends = true` to change a threshold or add, replace, disable rules).
--
-- input = { window = N,
--   heavy = { {tool, avg, evidence}, ... }         avg effective input tokens per tool, highest first
--   drift = { {tool, first, second, delta, evidence}, ... }   second-half minus first-half avg, highest first
--   cache = { {tool, pct, evidence}, ... } }       cache-hit percent per tool with input tokens, lowest first
-- A rule returns nil or { reason, evidence }; the reasons are the lines under "Recommendations:".

return {
  thresholds = {
    heavy_avg_tokens = 3000,  -- a tool whose prompts average more effective input tokens is heavy
    drift_delta_tokens = 300, -- a tool whose average grew by more than this between halves drifts
    low_cache_hit_pct = 40,   -- a tool whose cache-hit percent is below this is listed and flagged
  },
  rules = {
    {
      id = "heavy_prompts", severity = "warning",
      check = function(input, t)
        local top = input.heavy[1]
        if not top or top.avg <= t.heavy_avg_tokens then return nil end
        return { reason = string.format(
          "%s prompts are heavy (%d); reduce embedded context and enforce schema-only outputs.", top.tool, top.avg),
          evidence = top.evidence }
      end,
    },
    {
      id = "token_drift", severity = "warning",
      check = function(input, t)
        local top = input.drift[1]
        if not top or top.delta <= t.drift_delta_tokens then return nil end
        return { reason = string.format(
          "%s shows token drift (+%d); stabilize prompt templates and prompt_preview content.", top.tool, top.delta),
          evidence = top.evidence }
      end,
    },
    {
      id = "low_cache_hit", severity = "warning",
      check = function(input, t)
        local low = input.cache[1]
        if not low or low.pct >= t.low_cache_hit_pct then return nil end
        return { reason = string.format(
          "%s cache hit is low (%d%%); reduce prompt variability and reuse stable instruction blocks.", low.tool,
          low.pct), evidence = low.evidence }
      end,
    },
  },
}
