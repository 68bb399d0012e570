local json = require "cx.json"
local optimize = require "cx.diag.optimize"
local report = require "cx.diag.report"
local rules = require "helpers.rules"

local th = { max_ms = 12000, max_eff = 8000 }

-- The four rows of the reference's optimize_json_includes_retry_health_metrics.
local function retry_rows()
  local function r(dur, task, attempt, timed_out)
    return { tool = "cxo", capture_provider = "native", duration_ms = dur, task_id = task, retry_attempt = attempt,
      timed_out = timed_out }
  end
  return { r(1000, "task_001", 1, true), r(800, "task_001", 2, false), r(700, "task_002", 1, true),
    r(650, "task_002", 2, true) }
end

describe("cx.diag.optimize", function()
  it("reproduces the reference's worked example byte for byte", function()
    local doc = report.optimize(retry_rows(), { window = 10, log_file = "/r/.codex/cxlogs/runs.jsonl",
      rules = { policies_dir = "/nonexistent" } })
    -- `findings` (which rule fired, on which rows) is cx's additive key; the rest is the reference's.
    assert.equal("timeout_frequency_elevated", doc.findings[1].id)
    doc.findings = nil
    local expected = '{"anomalies":["Timeout frequency elevated: 75% of runs","Retry pressure elevated: 50% of runs ' ..
      'are attempt>1","Retry recovery weak: only 50% of timed-out tasks recover"],"contract_version":"optimize.v1",' ..
      '"log_file":"/r/.codex/cxlogs/runs.jsonl","recommendations":["cxo exceeds average token threshold (0); ' ..
      'recommend lean mode.","Timeouts detected around \'unknown\'; increase CX_CMD_TIMEOUT_SECS/CX_TIMEOUT_* or ' ..
      'reduce prompt/capture scope.","Retry attempt volume is high (50% rows with attempt>1); reduce flaky commands ' ..
      'and narrow captured context per task.","Retry recovery is low (50%); tune timeout overrides per command ' ..
      'label ' ..
      'and split heavy objectives into smaller tasks."],"runs":4,"scoreboard":{"alerts":0,"alerts_pct":0.0,' ..
      '"budget_clipping_frequency":{"captured_runs":0,"clipped_runs":0,"rate":null},"cache_hit_rate":null,' ..
      '"cache_hit_trend":{"delta":null,"first_half":null,"second_half":null},"capture_provider_compression":' ..
      '[{"clipped_over_raw":null,"clipped_sum":0,"processed_over_raw":null,"processed_sum":0,"provider":"native",' ..
      '"raw_sum":0,"runs":4}],"retry_health":{"attempt_histogram":[[1,2],[2,2]],"rows_after_retry":2,' ..
      '"rows_after_retry_rate":0.5,"rows_after_retry_success":1,"rows_after_retry_success_rate":0.5,' ..
      '"tasks_recovered":1,"tasks_recovery_rate":0.5,"tasks_with_timeout":2},"runs":4,"schema_failure_frequency":' ..
      '{"rate":null,"schema_failures":0,"schema_runs":0},"timeout_frequency":{"rate":0.75,"timeout_runs":3,' ..
      '"top_labels":[["unknown",3]]},"top_avg_duration_ms":[["cxo",787]],"top_avg_effective_input_tokens":' ..
      '[["cxo",0]]},"window":10}'
    assert.equal(expected, json.encode(doc))
  end)

  it("ranks tools by average, highest first, ties by name, at most 5", function()
    local rows = {}
    for i, t in ipairs({ "a", "b", "c", "d", "e", "f", "g" }) do
      rows[#rows + 1] = { tool = t, duration_ms = (i <= 2) and 100 or i * 10, effective_input_tokens = i }
    end
    rows[#rows + 1] = { duration_ms = 1 }
    local sb = optimize.scoreboard(rows, th)
    assert.same({ { "a", 100 }, { "b", 100 }, { "g", 70 }, { "f", 60 }, { "e", 50 } }, sb.top_avg_duration_ms)
    assert.same({ "g", 7 }, sb.top_avg_effective_input_tokens[1])
  end)

  it("splits the cache trend at max(len/2, 1)", function()
    local one = optimize.scoreboard({ { input_tokens = 10, cached_input_tokens = 5 } }, th)
    assert.same({ first_half = 0.5 }, one.cache_hit_trend)
    local three = optimize.scoreboard({
      { input_tokens = 10, cached_input_tokens = 10 },
      { input_tokens = 10, cached_input_tokens = 0 },
      { input_tokens = 10, cached_input_tokens = 5 },
    }, th)
    assert.equal(1.0, three.cache_hit_trend.first_half)
    assert.equal(0.25, three.cache_hit_trend.second_half)
    assert.equal(-0.75, three.cache_hit_trend.delta)
    assert.equal(0.5, three.cache_hit_rate)
  end)

  it("counts alerts above either threshold, strictly", function()
    local sb = optimize.scoreboard({
      { duration_ms = 12000 }, { duration_ms = 12001 }, { effective_input_tokens = 8001 }, {},
    }, th)
    assert.equal(2, sb.alerts)
    assert.equal(50.0, sb.alerts_pct)
  end)

  it("sorts providers by processed/raw, unknown ratio as 1.0", function()
    local sb = optimize.scoreboard({
      { capture_provider = "none" },
      { capture_provider = "rtk", system_output_len_raw = 100, system_output_len_processed = 150 },
      { capture_provider = "native", system_output_len_raw = 100, system_output_len_processed = 40,
        system_output_len_clipped = 20 },
    }, th)
    local order = {}
    for i, c in ipairs(sb.capture_provider_compression) do order[i] = c.provider end
    assert.same({ "native", "none", "rtk" }, order)
    assert.equal(0.2, sb.capture_provider_compression[1].clipped_over_raw)
  end)

  it("tracks tasks only on rows with retry metadata", function()
    local sb = optimize.scoreboard({
      { task_id = "t", timed_out = true },
      { task_id = "t", retry_attempt = 2 },
    }, th)
    assert.equal(0, sb.retry_health.tasks_with_timeout)
    assert.is_nil(sb.retry_health.tasks_recovery_rate)
  end)

  it("recommends in the reference's order", function()
    local rows = {
      { tool = "x", effective_input_tokens = 10, schema_enforced = true, schema_valid = false,
        timed_out = true, command_label = "build", input_tokens = 10, cached_input_tokens = 10 },
      { tool = "x", input_tokens = 10, cached_input_tokens = 0 },
    }
    assert.same({
      "x exceeds average token threshold (5); recommend lean mode.",
      "Cache hit rate degraded; inspect prompt drift.",
      "Schema failures detected for x; enforce deterministic mode.",
      "Timeouts detected around 'build'; increase CX_CMD_TIMEOUT_SECS/CX_TIMEOUT_* or reduce prompt/capture scope.",
    }, rules.of_kind(rules.optimize(rows, th), "recommendation"))
    assert.same({}, rules.of_kind(rules.optimize({}, th), "recommendation"))
  end)

  it("reads thresholds from the environment with fallback", function()
    local env = { CXALERT_MAX_MS = "+500", CXALERT_MAX_EFF_IN = "lots" }
    assert.same({ max_ms = 500, max_eff = 8000 }, optimize.thresholds(function(k) return env[k] end))
  end)
end)
