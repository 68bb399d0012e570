--- Test helper: rows as the earlier implementation wrote them, built from the reference's row
--- descriptions (reference/logs.md §2): the Rust era's 82-key rows of each tool and row kind, and
--- the bash era's legacy rows of each shape. Each builder returns a Lua table; encode with
--- cx.json (sorted keys, compact: the reference's on-disk form).
local json = require "cx.json"
local contract = require "cx.log_contract"

local M = {}

-- The exact on-disk example of reference/logs.md §2.5: a successful `cx cxo git status`.
M.EXAMPLE = '{"adapter_type":"codex-cli","backend_selected":"codex","backend_used":"codex","budget_chars":12000,' ..
  '"budget_lines":300,"cached_input_tokens":1024,"capture_provider":"native","clip_footer":true,"clip_mode":"head",' ..
  '"clipped":false,"command":"cxo","command_label":null,"converge_mode":null,"converge_votes":null,' ..
  '"converge_winner":null,"cwd":"/home/dev/proj","duration_ms":2311,"effective_input_tokens":486,' ..
  '"execution_id":"20260305T141502Z_cxo_48213","execution_mode":"lean","halt_on_critical":null,' ..
  '"http_parser_mode":null,"http_provider_format":null,"input_tokens":1510,"llm_backend":"codex","llm_model":null,' ..
  '"model_selected":null,"output_tokens":73,"policy_blocked":null,"policy_reason":null,"prompt_filter_applied":true,' ..
  '"prompt_len_filtered":52,"prompt_len_raw":53,"prompt_preview":"On branch main\\nnothing to commit, working tree ' ..
  'clean","prompt_sha256":"618c8fb62b7eab19b7d855c26a57ef52c7def8db4eb00ebddcfd9495729fb670",' ..
  '"prompt_sha256_filtered":"618c8fb62b7eab19b7d855c26a57ef52c7def8db4eb00ebddcfd9495729fb670",' ..
  '"prompt_sha256_raw":"8422c09e067bfd4c362ac07071a0394d8f06bf873c71ea003e68f398b3f838da","provider_status":null,' ..
  '"provider_transport":"process","quarantine_id":null,"queue_ms":null,"replica_count":null,"replica_index":null,' ..
  '"repo_root":"/home/dev/proj","retry_attempt":null,"retry_backoff_ms":null,"retry_max":null,"retry_reason":null,' ..
  '"route_policy":"balanced","route_reason":"codex_selected","rtk_used":false,"run_all_blocked":null,' ..
  '"run_all_complete":null,"run_all_critical_errors":null,"run_all_failed":null,"run_all_mode":null,' ..
  '"run_all_non_retryable_failures":null,"run_all_retryable_failures":null,"run_all_scheduled":null,' ..
  '"schema_attempt":null,"schema_enforced":false,"schema_name":null,"schema_ok":true,"schema_prompt_sha256":null,' ..
  '"schema_reason":null,"schema_sha256":null,"schema_valid":true,"scope":"repo","system_output_len_clipped":53,' ..
  '"system_output_len_processed":53,"system_output_len_raw":53,"system_output_lines_clipped":2,' ..
  '"system_output_lines_processed":2,"system_output_lines_raw":2,"task_id":null,"task_parent_id":null,' ..
  '"timed_out":null,"timeout_secs":null,"timestamp":"2026-03-05T14:15:02Z","tool":"cxo",' ..
  '"ts":"2026-03-05T14:15:02Z","worker_id":null}'

local SHA = ("ab"):rep(32)

local function with(base, fields)
  local row = {}
  for k, v in pairs(base) do row[k] = v end
  for k, v in pairs(fields or {}) do row[k] = v end
  return row
end

--- The example row with fields changed (json.null clears one).
function M.rust(fields)
  return with(json.decode(M.EXAMPLE), fields)
end

-- Base fields only, everything else null: what the reference writes for rows without an execution.
local function base_only(tool, ts, pid, fields)
  local row = {}
  for _, k in ipairs(contract.KEYS) do row[k] = json.null end
  local id = ts:gsub("[-:]", "") .. "_" .. tool:gsub("[^%w_%-]", "_") .. "_" .. pid
  for k, v in pairs({
    execution_id = id, timestamp = ts, ts = ts, command = tool, tool = tool, cwd = "/home/dev/proj",
    scope = "repo", repo_root = "/home/dev/proj", backend_used = "codex", llm_backend = "codex",
    backend_selected = "codex", adapter_type = "codex-cli", provider_transport = "process",
    route_policy = "balanced", route_reason = "codex_selected", execution_mode = "lean",
    schema_enforced = false, schema_valid = true, schema_ok = true,
  }) do row[k] = v end
  return with(row, fields)
end

--- One row of each kind the Rust implementation wrote (reference/logs.md §2.4-2.5, §6.4, §9), in the
--- order a busy log could hold them. The schema failure writes two rows with one execution_id.
function M.rust_era()
  local t = "2026-03-05T14:16:00Z"
  local failure_id = "20260305T141600Z_cxrs_next_48300"
  return {
    M.rust(),
    M.rust({ execution_id = "20260305T141510Z_cx_48214", command = "cx", tool = "cx", input_tokens = json.null,
      cached_input_tokens = json.null, effective_input_tokens = json.null, output_tokens = json.null }),
    M.rust({ execution_id = "20260305T141520Z_cxj_48215", command = "cxj", tool = "cxj" }),
    -- a timeout of cxo
    M.rust({ execution_id = "20260305T141530Z_cxo_48216", schema_valid = false, schema_ok = false,
      schema_reason = "codex exec --json - timed out after 1s", timed_out = true, timeout_secs = 1,
      command_label = "codex exec --json -", input_tokens = json.null, cached_input_tokens = json.null,
      effective_input_tokens = json.null, output_tokens = json.null }),
    -- a structured command that succeeded on its first attempt
    M.rust({ execution_id = "20260305T141540Z_cxrs_next_48217", command = "cxrs_next", tool = "cxrs_next",
      schema_enforced = true, schema_name = "next.schema.json", schema_attempt = 1, schema_prompt_sha256 = SHA,
      schema_sha256 = SHA }),
    -- a schema failure: the base row, then the execution row, with the same id (a reference quirk)
    base_only("cxrs_next", t, 48300, { schema_enforced = true, schema_name = "next", schema_valid = false,
      schema_ok = false, schema_reason = "invalid JSON: expected ident at line 1 column 2",
      quarantine_id = failure_id, schema_sha256 = SHA, schema_prompt_sha256 = SHA }),
    M.rust({ execution_id = failure_id, timestamp = t, ts = t, command = "cxrs_next", tool = "cxrs_next",
      schema_enforced = true, schema_name = "next.schema.json", schema_attempt = 2, schema_valid = false,
      schema_ok = false, schema_reason = "invalid JSON: expected ident at line 1 column 2", quarantine_id = failure_id,
      prompt_preview = "You are a structured output generator.\n..." }),
    -- fix-run with CXFIX_RUN=1 and a blocked command
    M.rust({ execution_id = "20260305T141610Z_cxrs_fix_run_48301", command = "cxrs_fix_run", tool = "cxrs_fix_run",
      schema_enforced = true, schema_name = "fixrun.schema.json", policy_blocked = true,
      policy_reason = "rm -rf is blocked" }),
    -- ollama, an unset model, http-curl and http-stub
    M.rust({ execution_id = "20260305T141620Z_cxo_48302", backend_used = "ollama", llm_backend = "ollama",
      backend_selected = "ollama", adapter_type = "ollama-cli", llm_model = "llama3.1:8b",
      model_selected = "llama3.1:8b", route_reason = "ollama_selected", input_tokens = json.null,
      cached_input_tokens = json.null, effective_input_tokens = json.null, output_tokens = json.null }),
    M.rust({ execution_id = "20260305T141621Z_cxo_48303", backend_used = "ollama", llm_backend = "ollama",
      backend_selected = "ollama", adapter_type = "ollama-cli", route_reason = "ollama_selected_model_unset",
      schema_valid = false, schema_ok = false, schema_reason = "ollama model is unset" }),
    M.rust({ execution_id = "20260305T141630Z_cxo_48304", adapter_type = "http-curl", provider_transport = "http",
      provider_status = "experimental", http_provider_format = "text", http_parser_mode = "envelope" }),
    M.rust({ execution_id = "20260305T141631Z_cxo_48305", adapter_type = "http-stub", provider_transport = "http",
      provider_status = "stub_unimplemented", http_provider_format = "json", http_parser_mode = "json_payload",
      schema_valid = false, schema_ok = false, schema_reason = "http-stub adapter is not implemented" }),
    M.rust({ execution_id = "20260305T141632Z_cxj_48306", command = "cxj", tool = "cxj", adapter_type = "mock",
      provider_transport = "mock", http_provider_format = "jsonl", http_parser_mode = "jsonl_passthrough" }),
    -- task runner rows: an attempt with retry metadata, the convergence summary, the run-all summary
    M.rust({ execution_id = "20260305T141640Z_cxo_48307", task_id = "task_001", task_parent_id = "task_000",
      worker_id = "w1", queue_ms = 12, retry_attempt = 2, retry_max = 3, retry_reason = "timeout",
      retry_backoff_ms = 500, replica_index = 1, replica_count = 3, converge_mode = "vote", converge_winner = "1",
      route_policy = "quota_saver" }),
    base_only("cxtask_converge", "2026-03-05T14:16:50Z", 48308, { duration_ms = 0, command_label = "task_converge",
      converge_mode = "judge", converge_winner = "2", converge_votes = { mode = "judge", winner = 2,
      decision_source = "model_judge", decision_reason = "best", ok = 2, fail = 1, replicas_executed = 3,
      replicas_target = 3, candidates = json.array({ 1, 2, 3 }) }, task_id = "task_001" }),
    M.rust({ execution_id = "20260305T141655Z_cxtask_converge_judge_48309", command = "cxtask_converge_judge",
      tool = "cxtask_converge_judge", schema_name = "converge_judge.schema.json" }),
    base_only("cxtask_runall", "2026-03-05T14:17:00Z", 48310, { duration_ms = 98000,
      command_label = "task_run_all_summary", prompt_sha256 = SHA, prompt_preview = "task run-all mode=mixed",
      run_all_mode = "mixed", halt_on_critical = true, run_all_scheduled = 5, run_all_complete = 3, run_all_failed = 1,
      run_all_blocked = 1, run_all_retryable_failures = 1, run_all_non_retryable_failures = 0,
      run_all_critical_errors = 0 }),
    M.rust({ execution_id = "20260305T141710Z_cxtask_run_48311", command = "cxtask_run", tool = "cxtask_run",
      capture_provider = json.null }),
    -- a replay that failed again: a new schema failure of tool <tool>_replay, schema_name null
    base_only("cxrs_next_replay", "2026-03-05T14:17:20Z", 48312, { schema_enforced = true, schema_valid = false,
      schema_ok = false, schema_reason = "invalid_json", quarantine_id = "20260305T141720Z_cxrs_next_replay_48312",
      schema_sha256 = SHA, schema_prompt_sha256 = SHA }),
    -- a row rewritten by the reference's `logs migrate` from a legacy row
    base_only("cxo", "2026-02-20T10:00:00Z", 0, { execution_id = "legacy_" .. SHA, execution_mode = "legacy",
      adapter_type = json.null, provider_transport = json.null, backend_selected = json.null,
      route_policy = json.null, route_reason = json.null, duration_ms = 12, clip_mode = "smart",
      prompt_sha256 = SHA, prompt_preview = "hi" }),
  }
end

--- The bash implementation's rows (reference/logs.md §2.6): the early shape, then the later one
--- with capture and schema fields (clip_mode may be "smart", schema_reason and quarantine_id "").
function M.bash_era()
  local early = { ts = "2026-02-20T10:00:00Z", tool = "cxo", cwd = "/home/dev/proj", scope = "repo",
    repo_root = "/home/dev/proj", duration_ms = 812, input_tokens = 1200, cached_input_tokens = json.null,
    effective_input_tokens = 1200, output_tokens = 40, prompt_sha256 = SHA, prompt_preview = "On branch main" }
  local later = with(early, { ts = "2026-02-21T09:30:00Z", tool = "cxcommitjson", scope = "global",
    repo_root = "", prompt_len_raw = 900, prompt_len_processed = 880, system_output_len_raw = 900,
    system_output_len_processed = 880, system_output_len_clipped = 880, system_output_lines_raw = 40,
    system_output_lines_processed = 38, system_output_lines_clipped = 38, clipped = false, budget_chars = 12000,
    budget_lines = 300, clip_mode = "smart", clip_footer = true, rtk_used = false, rtk_error = "",
    schema_ok = true, schema_reason = "", quarantine_id = "" })
  local failed = with(later, { ts = "2026-02-21T09:31:00Z", schema_ok = false, schema_reason = "invalid_json",
    quarantine_id = "20260221T093100Z_cxcommitjson_777", rtk_used = true, rtk_error = "rtk: not found",
    input_tokens = json.null, effective_input_tokens = json.null, output_tokens = json.null })
  return { early, later, failed }
end

--- The reference's legacy schema_failures rows (§2.6): {ts, tool, reason, quarantine_id, raw_sha256}.
function M.schema_failure_row()
  return { ts = "2026-02-21T09:31:00Z", tool = "cxcommitjson", reason = "invalid_json",
    quarantine_id = "20260221T093100Z_cxcommitjson_777", raw_sha256 = SHA }
end

--- Lines of text (compact JSON, sorted keys) for a list of rows.
function M.lines(rows)
  local out = {}
  for i, r in ipairs(rows) do out[i] = json.encode(r) end
  return table.concat(out, "\n") .. "\n"
end

return M
