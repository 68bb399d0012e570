--- The run-log row contract (`runs.jsonl`): the reference's 82 keys in declaration order with their
--- types, the 33 keys `logs validate --strict` and `logs stats` require, the legacy key pairs, and
--- the keys cx adds. New keys are additive: rows cx writes carry 94 keys, the 82 plus the 12 of
--- ADDED below.
local M = {}

--- The reference's 82 keys in declaration order (the order `logs migrate` writes) and each key's
--- type: str, u64, u32, bool, any, with `|null` when null is allowed.
local DECLARED = {
  { "execution_id", "str" },
  { "timestamp", "str" },
  { "ts", "str" },
  { "command", "str" },
  { "tool", "str" },
  { "cwd", "str" },
  { "scope", "str" },
  { "repo_root", "str" },
  { "backend_used", "str" },
  { "llm_backend", "str" },
  { "llm_model", "str|null" },
  { "adapter_type", "str|null" },
  { "provider_transport", "str|null" },
  { "provider_status", "str|null" },
  { "http_provider_format", "str|null" },
  { "http_parser_mode", "str|null" },
  { "backend_selected", "str|null" },
  { "model_selected", "str|null" },
  { "route_policy", "str|null" },
  { "route_reason", "str|null" },
  { "worker_id", "str|null" },
  { "replica_index", "u32|null" },
  { "replica_count", "u32|null" },
  { "converge_mode", "str|null" },
  { "converge_winner", "str|null" },
  { "converge_votes", "any|null" },
  { "queue_ms", "u64|null" },
  { "capture_provider", "str|null" },
  { "execution_mode", "str" },
  { "duration_ms", "u64|null" },
  { "schema_enforced", "bool" },
  { "schema_name", "str|null" },
  { "schema_valid", "bool" },
  { "schema_ok", "bool" },
  { "schema_reason", "str|null" },
  { "quarantine_id", "str|null" },
  { "task_id", "str|null" },
  { "task_parent_id", "str|null" },
  { "input_tokens", "u64|null" },
  { "cached_input_tokens", "u64|null" },
  { "effective_input_tokens", "u64|null" },
  { "output_tokens", "u64|null" },
  { "system_output_len_raw", "u64|null" },
  { "system_output_len_processed", "u64|null" },
  { "system_output_len_clipped", "u64|null" },
  { "system_output_lines_raw", "u64|null" },
  { "system_output_lines_processed", "u64|null" },
  { "system_output_lines_clipped", "u64|null" },
  { "clipped", "bool|null" },
  { "budget_chars", "u64|null" },
  { "budget_lines", "u64|null" },
  { "clip_mode", "str|null" },
  { "clip_footer", "bool|null" },
  { "rtk_used", "bool|null" },
  { "prompt_sha256", "str|null" },
  { "prompt_sha256_raw", "str|null" },
  { "prompt_sha256_filtered", "str|null" },
  { "prompt_len_raw", "u64|null" },
  { "prompt_len_filtered", "u64|null" },
  { "prompt_filter_applied", "bool|null" },
  { "schema_prompt_sha256", "str|null" },
  { "schema_sha256", "str|null" },
  { "schema_attempt", "u64|null" },
  { "timed_out", "bool|null" },
  { "timeout_secs", "u64|null" },
  { "command_label", "str|null" },
  { "prompt_preview", "str|null" },
  { "policy_blocked", "bool|null" },
  { "policy_reason", "str|null" },
  { "retry_attempt", "u32|null" },
  { "retry_max", "u32|null" },
  { "retry_reason", "str|null" },
  { "retry_backoff_ms", "u64|null" },
  { "run_all_mode", "str|null" },
  { "halt_on_critical", "bool|null" },
  { "run_all_scheduled", "u64|null" },
  { "run_all_complete", "u64|null" },
  { "run_all_failed", "u64|null" },
  { "run_all_blocked", "u64|null" },
  { "run_all_retryable_failures", "u64|null" },
  { "run_all_non_retryable_failures", "u64|null" },
  { "run_all_critical_errors", "u64|null" },
}

--- Keys cx adds to the reference's 82 (additive: readers of either implementation ignore them).
--- adapter_id: a stable digest of the adapter's normalized configuration (`<adapter>-<12 hex>`,
--- docs/adapters.md); failure_class: the one named failure class of a failed run (null on success);
--- http_status: the HTTP status of an HTTP adapter's last response; retry_after_ms: the provider's
--- reset hint (Retry-After, x-ratelimit-reset-*). The scheduler's (docs/runlog.md): run_id (one per
--- run-all or task run, on every row it writes), wave (the task's plan wave), attempt_started_ms
--- and attempt_finished_ms (epoch ms), run_offset_ms (from the run's start to the attempt's),
--- backend_moved_from (the backend an auto task left because it was parked), and on the run-all
--- summary row run_all_skipped (dependents of failed tasks) and run_all_not_run (left pending by a
--- stop: a signal or a halt).
local ADDED = {
  { "adapter_id", "str|null" },
  { "failure_class", "str|null" },
  { "http_status", "u64|null" },
  { "retry_after_ms", "u64|null" },
  { "run_id", "str|null" },
  { "wave", "u32|null" },
  { "attempt_started_ms", "u64|null" },
  { "attempt_finished_ms", "u64|null" },
  { "run_offset_ms", "u64|null" },
  { "backend_moved_from", "str|null" },
  { "run_all_skipped", "u64|null" },
  { "run_all_not_run", "u64|null" },
}

--- The 33 keys that must be present (null allowed), in the order reports list them.
M.STRICT_KEYS = {
  "execution_id", "timestamp", "command", "backend_used", "adapter_type", "provider_transport",
  "provider_status", "capture_provider", "execution_mode", "duration_ms", "schema_enforced",
  "schema_valid", "quarantine_id", "task_id", "system_output_len_raw", "system_output_len_processed",
  "system_output_len_clipped", "system_output_lines_raw", "system_output_lines_processed",
  "system_output_lines_clipped", "input_tokens", "cached_input_tokens", "effective_input_tokens",
  "output_tokens", "policy_blocked", "policy_reason", "timed_out", "timeout_secs", "command_label",
  "retry_attempt", "retry_max", "retry_reason", "retry_backoff_ms",
}

--- A legacy row (no execution_id + timestamp) needs one key of each pair.
M.LEGACY_PAIRS = { { "ts", "timestamp" }, { "tool", "command" }, { "repo_root", "repo_root" } }

--- Keys that must be non-blank strings before a row is appended.
M.NON_BLANK_KEYS = { "execution_id", "timestamp", "command", "backend_used", "execution_mode" }

--- Tools whose output is checked against a JSON schema (schema_enforced = true).
M.SCHEMA_TOOLS = {}
for _, t in ipairs({
  "cxcommitjson", "cxcommitmsg", "cxdiffsum", "cxdiffsum_staged", "cxnext", "cxfix_run",
  "cxrs_commitjson", "cxrs_diffsum", "cxrs_diffsum_staged", "cxrs_next", "cxrs_fix_run",
  "commitjson", "commitmsg", "diffsum", "diffsum-staged", "next", "fix-run",
}) do
  M.SCHEMA_TOOLS[t] = true
end

M.KEYS = {}       -- the reference's 82, declaration order
M.ADDED_KEYS = {} -- cx's additions
M.ROW_KEYS = {}   -- what cx writes: KEYS then ADDED_KEYS (94)
M.TYPES = {}      -- key -> type string
for _, kt in ipairs(DECLARED) do
  M.KEYS[#M.KEYS + 1] = kt[1]
  M.ROW_KEYS[#M.ROW_KEYS + 1] = kt[1]
  M.TYPES[kt[1]] = kt[2]
end
for _, kt in ipairs(ADDED) do
  M.ADDED_KEYS[#M.ADDED_KEYS + 1] = kt[1]
  M.ROW_KEYS[#M.ROW_KEYS + 1] = kt[1]
  M.TYPES[kt[1]] = kt[2]
end

local U32_MAX = 4294967295

--- Whether value (a decoded JSON value; json.null or nil for null) matches a type string.
function M.value_matches(value, type_string)
  local base = type_string:match("^%w+")
  if value == nil or value == M.null then return type_string:find("|null", 1, true) ~= nil end
  if base == "any" then return true end
  if base == "str" then return type(value) == "string" end
  if base == "bool" then return type(value) == "boolean" end
  if base == "u64" or base == "u32" then
    if math.type(value) ~= "integer" or value < 0 then return false end
    return base == "u64" or value <= U32_MAX
  end
  return false
end

--- Whether a key's value in a row has the contract type (unknown keys: true).
function M.check_type(key, value)
  local t = M.TYPES[key]
  if not t then return true end
  return M.value_matches(value, t)
end

M.null = require("cx.json").null

return M
