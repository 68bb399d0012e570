-- Example: a team that pins a model on every capture run, tolerates a few scheduled rows without a
-- queue wait, and adds its own keys to rows on purpose.
-- Install: cp policies/examples/telemetry_expectations/telemetry.lua .codex/policies/telemetry.lua
return {
  extends = true,
  thresholds = {
    -- Expectations are thresholds: this list replaces the shipped one for successful capture rows
    -- (`cx policy show telemetry` prints it), with llm_model added.
    ["expect.capture.ok"] = "capture_provider system_output_len_raw system_output_len_clipped "
      .. "system_output_lines_raw prompt_sha256 llm_model",
    complete_min_pct = 95, -- a field 95% of the rows carry is complete (shipped: 100)
    queue_missing_max = 2, -- up to 2 scheduled rows without queue_ms pass (shipped: 0)
  },
  rules = {
    -- Our wrappers add `team_*` keys to rows: not a surprise.
    { id = "unknown_key_appeared", disabled = true },
  },
}
