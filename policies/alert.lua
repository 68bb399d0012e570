-- The alert policy: which runs `cx alert` counts as slow or token-heavy. Rule policy shape
-- (docs/policies.md): thresholds a repository may tune, and ordered rules. Override per repository in
-- .codex/policies/alert.lua (`extends = true` to change a threshold or add, replace, disable rules).
-- CXALERT_MAX_MS and CXALERT_MAX_EFF_IN still override the thresholds for one run.
--
-- input = { window = N, runs = { { execution_id, tool, ts, duration_ms, effective_input_tokens }, ... } }
-- (absent numbers are absent, not 0). A rule returns nil or { reason, evidence } (one item per run
-- it judged: the count of violations is the count of evidence items).

local function over(runs, field, limit)
  local evidence = {}
  for _, r in ipairs(runs) do
    if (r[field] or 0) > limit then evidence[#evidence + 1] = { execution_id = r.execution_id } end
  end
  return evidence
end

return {
  thresholds = {
    max_ms = 12000,      -- a run slower than this is a slow threshold violation
    max_eff_in = 8000,   -- a run with more effective input tokens is a token threshold violation
  },
  rules = {
    {
      id = "slow_runs", severity = "warning",
      check = function(input, t)
        local ev = over(input.runs, "duration_ms", t.max_ms)
        if #ev == 0 then return nil end
        return { reason = string.format("%d of %d runs took longer than %d ms", #ev, #input.runs, t.max_ms),
          evidence = ev }
      end,
      action = { rationale = "Some runs are slow; see which tools and when.", command = "cx profile 50" },
    },
    {
      id = "token_heavy_runs", severity = "warning",
      check = function(input, t)
        local ev = over(input.runs, "effective_input_tokens", t.max_eff_in)
        if #ev == 0 then return nil end
        return { reason = string.format("%d of %d runs sent more than %d effective input tokens", #ev,
          #input.runs, t.max_eff_in), evidence = ev }
      end,
      action = { rationale = "Some prompts are heavy; lint them.", command = "cx promptlint 200" },
    },
  },
}
