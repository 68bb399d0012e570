--- The run-log row contract (`runs.jsonl`): the reference's 82 keys in declaration order with their
--- types, the 33 keys `logs validate --strict` and `logs stats` require, the legacy key pairs, and
--- the keys cx adds. New keys are additive: rows cx writes carry 85 keys, the 82 plus `adapter_id`,
--- `failure_class` and `http_status`; a few more are typed here but written only on the rows they
--- concern (OPTIONAL_KEYS). Also the value rules `logs validate` checks: enums, formats, non-blank
--- keys and the consistency rules between keys.
local json = require "cx.json"

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
--- http_status: the HTTP status of an HTTP adapter's last response.
local ADDED = {
  { "adapter_id", "str|null" },
  { "failure_class", "str|null" },
  { "http_status", "u64|null" },
}

--- Keys written only on the rows they concern (absent elsewhere), typed like the others:
--- wave, attempt_started_ms, attempt_finished_ms (epoch ms), run_offset_ms (from the run's start)
--- and backend_moved_from on the scheduler's attempt rows, run_id on every row of a `task run` or
--- `run-all` (its summary row too), run_all_skipped and run_all_not_run on the run-all summary row,
--- retry_after_ms on a failure that said when the provider resets (docs/runlog.md);
--- legacy_fields on rows `logs migrate` rewrote, holding the original value of every key it could
--- not keep as it was (docs/logs.md).
local OPTIONAL = {
  { "wave", "u64|null" },
  { "attempt_started_ms", "u64|null" },
  { "attempt_finished_ms", "u64|null" },
  { "run_id", "str|null" },
  { "legacy_fields", "object|null" },
  { "run_offset_ms", "u64|null" },
  { "backend_moved_from", "str|null" },
  { "retry_after_ms", "u64|null" },
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

--- Keys that must be RFC 3339 timestamps, and class names ([a-z][a-z0-9_]*).
M.FORMATS = { timestamp = "timestamp", ts = "timestamp", failure_class = "ident" }

--- The values a key may take (beyond null where its type allows it). Values the reference or cx
--- write; a package that writes a new value adds it here.
M.ENUMS = {
  scope = { "repo", "global" },
  backend_used = { "codex", "ollama" },
  llm_backend = { "codex", "ollama" },
  backend_selected = { "codex", "ollama" },
  backend_moved_from = { "codex", "ollama" },
  adapter_type = { "codex-cli", "ollama-cli", "mock", "http-stub", "http-curl" },
  provider_transport = { "process", "mock", "http" },
  provider_status = { "stable", "experimental", "stub_unimplemented" },
  http_provider_format = { "text", "json", "jsonl", "openai", "ollama" },
  http_parser_mode = { "envelope", "json_payload", "jsonl_passthrough", "openai_chat", "openai_sse",
    "ollama_native", "ollama_ndjson" },
  route_policy = { "latency", "quality", "cost", "balanced", "quota_saver" },
  route_reason = { "codex_selected", "ollama_selected", "ollama_selected_model_unset" },
  clip_mode = { "head", "tail", "smart" },
}

--- Consistency between keys of one row, checked when both are set (not null, right type):
--- equal: the same value; le: integers, a <= b; map: a's value decides b's.
M.CONSISTENCY = {
  { kind = "equal", a = "timestamp", b = "ts" },
  { kind = "equal", a = "command", b = "tool" },
  { kind = "equal", a = "backend_used", b = "llm_backend" },
  { kind = "equal", a = "schema_valid", b = "schema_ok" },
  { kind = "equal", a = "prompt_sha256", b = "prompt_sha256_filtered" },
  { kind = "le", a = "effective_input_tokens", b = "input_tokens" },
  { kind = "le", a = "attempt_started_ms", b = "attempt_finished_ms" },
  { kind = "map", a = "adapter_type", b = "provider_transport", map = {
    { "codex-cli", "process" }, { "ollama-cli", "process" }, { "mock", "mock" },
    { "http-stub", "http" }, { "http-curl", "http" } } },
}

M.KEYS = {}          -- the reference's 82, declaration order
M.ADDED_KEYS = {}    -- cx's additions written on every row
M.ROW_KEYS = {}      -- what cx writes: KEYS then ADDED_KEYS (85)
M.OPTIONAL_KEYS = {} -- typed keys written only on the rows they concern
M.TYPES = {}         -- key -> type string
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
for _, kt in ipairs(OPTIONAL) do
  M.OPTIONAL_KEYS[#M.OPTIONAL_KEYS + 1] = kt[1]
  M.TYPES[kt[1]] = kt[2]
end
-- Every contract key: ROW_KEYS then OPTIONAL_KEYS, the order of native_spec().fields (so the
-- bytes of a row's shape, cx.core.logcheck's contract:decode(text, true)).
M.FIELD_KEYS = {}
for _, k in ipairs(M.ROW_KEYS) do M.FIELD_KEYS[#M.FIELD_KEYS + 1] = k end
for _, k in ipairs(M.OPTIONAL_KEYS) do M.FIELD_KEYS[#M.FIELD_KEYS + 1] = k end

local U32_MAX = 4294967295

--- Whether value (a decoded JSON value; json.null or nil for null) matches a type string.
function M.value_matches(value, type_string)
  local base = type_string:match("^%w+")
  if value == nil or value == M.null then return type_string:find("|null", 1, true) ~= nil end
  if base == "any" then return true end
  if base == "str" then return type(value) == "string" end
  if base == "bool" then return type(value) == "boolean" end
  if base == "object" then return type(value) == "table" and not json.is_array(value) end
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

M.null = json.null

--- The contract as the native checker takes it (cx.core.logcheck.contract): every typed key
--- (ROW_KEYS then OPTIONAL_KEYS) with its type, nullability, format, enum and non-blank flag.
--- The 33 strict keys accept null whatever their type: the reference's strict contract asks for
--- the key only ("a row with exactly the 33 keys, many null, passes --strict").
function M.native_spec()
  local non_blank, strict = {}, {}
  for _, k in ipairs(M.NON_BLANK_KEYS) do non_blank[k] = true end
  for _, k in ipairs(M.STRICT_KEYS) do strict[k] = true end
  local fields = {}
  local function add(k)
    local t = M.TYPES[k]
    fields[#fields + 1] = { key = k, type = t:match("^%w+"),
      nullable = t:find("|null", 1, true) ~= nil or strict[k] == true,
      non_blank = non_blank[k] or false, format = M.FORMATS[k], enum = M.ENUMS[k] }
  end
  for _, k in ipairs(M.FIELD_KEYS) do add(k) end
  local pairs_ = {}
  for _, p in ipairs(M.LEGACY_PAIRS) do pairs_[#pairs_ + 1] = { p[1], p[2] } end
  return { fields = fields, strict = M.STRICT_KEYS, legacy_pairs = pairs_,
    modern = { "execution_id", "timestamp" }, id = "execution_id", rules = M.CONSISTENCY }
end

return M
