-- cx.runlog: rows with the whole contract, base fields as the reference writes them, appends,
-- windows and schema-failure records.
local h = require "helpers.cli"
local sub = require "helpers.sub"
local json = require "cx.json"
local contract = require "cx.log_contract"
local runlog = require "cx.runlog"

-- The reference's example row (logs.md 2.5), exact bytes.
local REFERENCE_ROW = [[{"adapter_type":"codex-cli","backend_selected":"codex","backend_used":"codex","budget_chars":12000,"budget_lines":300,"cached_input_tokens":1024,"capture_provider":"native","clip_footer":true,"clip_mode":"head","clipped":false,"command":"cxo","command_label":null,"converge_mode":null,"converge_votes":null,"converge_winner":null,"cwd":"/home/dev/proj","duration_ms":2311,"effective_input_tokens":486,"execution_id":"20260305T141502Z_cxo_48213","execution_mode":"lean","halt_on_critical":null,"http_parser_mode":null,"http_provider_format":null,"input_tokens":1510,"llm_backend":"codex","llm_model":null,"model_selected":null,"output_tokens":73,"policy_blocked":null,"policy_reason":null,"prompt_filter_applied":true,"prompt_len_filtered":52,"prompt_len_raw":53,"prompt_preview":"On branch main\nnothing to commit, working tree clean","prompt_sha256":"618c8fb62b7eab19b7d855c26a57ef52c7def8db4eb00ebddcfd9495729fb670","prompt_sha256_filtered":"618c8fb62b7eab19b7d855c26a57ef52c7def8db4eb00ebddcfd9495729fb670","prompt_sha256_raw":"8422c09e067bfd4c362ac07071a0394d8f06bf873c71ea003e68f398b3f838da","provider_status":null,"provider_transport":"process","quarantine_id":null,"queue_ms":null,"replica_count":null,"replica_index":null,"repo_root":"/home/dev/proj","retry_attempt":null,"retry_backoff_ms":null,"retry_max":null,"retry_reason":null,"route_policy":"balanced","route_reason":"codex_selected","rtk_used":false,"run_all_blocked":null,"run_all_complete":null,"run_all_critical_errors":null,"run_all_failed":null,"run_all_mode":null,"run_all_non_retryable_failures":null,"run_all_retryable_failures":null,"run_all_scheduled":null,"schema_attempt":null,"schema_enforced":false,"schema_name":null,"schema_ok":true,"schema_prompt_sha256":null,"schema_reason":null,"schema_sha256":null,"schema_valid":true,"scope":"repo","system_output_len_clipped":53,"system_output_len_processed":53,"system_output_len_raw":53,"system_output_lines_clipped":2,"system_output_lines_processed":2,"system_output_lines_raw":2,"task_id":null,"task_parent_id":null,"timed_out":null,"timeout_secs":null,"timestamp":"2026-03-05T14:15:02Z","tool":"cxo","ts":"2026-03-05T14:15:02Z","worker_id":null}]] -- luacheck: ignore 631

local function keys(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return out
end

-- Build a row in a fresh process (env and cwd matter); returns the decoded row.
local function row_in(dir, env, tool, fields)
  local code = "local json = require('cx.json'); return require('cx.runlog').row(" ..
    string.format("%q", tool) .. ", json.decode(" .. string.format("%q", json.encode(fields or {})) .. "))"
  local v, r = sub.lua(code, env, dir)
  assert(r.code == 0, r.stderr)
  return v
end

describe("cx.log_contract", function()
  it("has the 82 keys, the 33 strict keys and adapter_id", function()
    assert.equal(82, #contract.KEYS)
    assert.equal(33, #contract.STRICT_KEYS)
    assert.equal(85, #contract.ROW_KEYS)
    assert.equal("adapter_id", contract.ROW_KEYS[83])
    assert.equal("failure_class", contract.ROW_KEYS[84])
    assert.equal("http_status", contract.ROW_KEYS[85])
    assert.equal("execution_id", contract.KEYS[1])
    assert.equal("run_all_critical_errors", contract.KEYS[82])
    for _, k in ipairs(contract.STRICT_KEYS) do assert.truthy(contract.TYPES[k], k) end
    -- the sorted key set is the reference example row's key set
    assert.same(keys(json.decode(REFERENCE_ROW)), (function()
      local t = {}
      for i, k in ipairs(contract.KEYS) do t[i] = k end
      table.sort(t)
      return t
    end)())
  end)

  it("checks types", function()
    assert.is_true(contract.check_type("retry_attempt", 3))
    assert.is_false(contract.check_type("retry_attempt", 4294967296))
    assert.is_true(contract.check_type("queue_ms", 4294967296))
    assert.is_false(contract.check_type("queue_ms", -1))
    assert.is_false(contract.check_type("queue_ms", 1.5))
    assert.is_true(contract.check_type("llm_model", json.null))
    assert.is_false(contract.check_type("execution_id", json.null))
    assert.is_false(contract.check_type("schema_valid", "true"))
    assert.is_true(contract.check_type("converge_votes", { a = 1 }))
    assert.is_true(contract.check_type("not_a_contract_key", 1))
    -- every value of the reference row has its contract type
    for k, v in pairs(json.decode(REFERENCE_ROW)) do assert.is_true(contract.check_type(k, v), k) end
  end)
end)

describe("cx.runlog.row", function()
  local dir
  before_each(function()
    dir = h.tmpdir()
    os.execute("mkdir -p " .. h.quote(dir .. "/repo/.git") .. " " .. h.quote(dir .. "/repo/sub"))
  end)
  after_each(function() h.rm(dir) end)

  it("carries every contract key plus adapter_id, and the reference row's key set", function()
    local row = runlog.row("cxo", {})
    local ks = keys(row)
    assert.equal(85, #ks)
    for _, k in ipairs(contract.ROW_KEYS) do assert.is_not_nil(row[k], k) end
    local ref = keys(json.decode(REFERENCE_ROW))
    ref[#ref + 1] = "adapter_id"
    ref[#ref + 1] = "failure_class"
    ref[#ref + 1] = "http_status"
    table.sort(ref)
    assert.same(ref, ks)
    -- encoded: all keys, sorted, compact
    local line = json.encode(row)
    assert.truthy(line:find('"adapter_id":null', 1, true))
    assert.truthy(line:find('^{"adapter_id":null,"adapter_type":null,'))
  end)

  it("fills the base fields as the reference's writer does", function()
    local env = { HOME = "/nonexistent", CX_LLM_BACKEND = false, CX_MODEL = false, CX_MODE = false,
      CX_BROKER_POLICY = false, CX_TASK_ID = false, CX_TASK_RETRY_ATTEMPT = false }
    local row = row_in(dir .. "/repo/sub", env, "cxo", {})
    assert.equal("cxo", row.command)
    assert.equal("cxo", row.tool)
    assert.equal(row.timestamp, row.ts)
    assert.truthy(row.timestamp:match("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%dZ$"))
    assert.equal(dir .. "/repo/sub", row.cwd)
    assert.equal("repo", row.scope)
    assert.equal(dir .. "/repo", row.repo_root)
    assert.equal("codex", row.backend_used)
    assert.equal("codex", row.llm_backend)
    assert.equal("codex", row.backend_selected)
    assert.equal(json.null, row.llm_model)
    assert.equal(json.null, row.model_selected)
    assert.equal("balanced", row.route_policy)
    assert.equal("codex_selected", row.route_reason)
    assert.equal("lean", row.execution_mode)
    assert.is_false(row.schema_enforced)
    assert.is_true(row.schema_valid)
    assert.is_true(row.schema_ok)
    assert.equal(json.null, row.task_id)
    assert.equal(json.null, row.retry_attempt)
    assert.equal(json.null, row.adapter_type)
  end)

  it("outside a repository: global scope and an empty repo_root", function()
    local row = row_in(dir, { HOME = dir .. "/home" }, "cx", {})
    assert.equal("global", row.scope)
    assert.equal("", row.repo_root)
    assert.equal(dir, row.cwd)
  end)

  it("takes backend, model, mode and the CX_TASK_* variables from the environment", function()
    local env = {
      HOME = "/nonexistent", CX_LLM_BACKEND = "ollama", CX_OLLAMA_MODEL = "llama3", CX_MODE = "verbose",
      CX_BROKER_POLICY = "cost", CX_TASK_ID = "task_7", CX_TASK_PARENT_ID = "task_1",
      CX_TASK_WORKER_ID = " w2 ", CX_TASK_QUEUE_MS = "15", CX_TASK_REPLICA_INDEX = "1",
      CX_TASK_REPLICA_COUNT = "3", CX_TASK_CONVERGE_MODE = "vote", CX_TASK_CONVERGE_WINNER = "1",
      CX_TASK_CONVERGE_VOTES = '{"mode":"vote","candidates":[1,2]}', CX_TASK_RETRY_ATTEMPT = "2",
      CX_TASK_RETRY_MAX = "3", CX_TASK_RETRY_REASON = "timeout", CX_TASK_RETRY_BACKOFF_MS = "250",
    }
    local row = row_in(dir .. "/repo", env, "cxtask_run", {})
    assert.equal("ollama", row.backend_used)
    assert.equal("ollama", row.llm_backend)
    assert.equal("llama3", row.llm_model)
    assert.equal("llama3", row.model_selected)
    assert.equal("ollama_selected", row.route_reason)
    assert.equal("cost", row.route_policy)
    assert.equal("verbose", row.execution_mode)
    assert.equal("task_7", row.task_id)
    assert.equal("task_1", row.task_parent_id)
    assert.equal("w2", row.worker_id)
    assert.equal(15, row.queue_ms)
    assert.equal(1, row.replica_index)
    assert.equal(3, row.replica_count)
    assert.equal("vote", row.converge_mode)
    assert.equal("1", row.converge_winner)
    assert.same({ mode = "vote", candidates = { 1, 2 } }, row.converge_votes)
    assert.equal(2, row.retry_attempt)
    assert.equal(3, row.retry_max)
    assert.equal("timeout", row.retry_reason)
    assert.equal(250, row.retry_backoff_ms)
  end)

  it("turns unparseable numbers and votes into null", function()
    local row = row_in(dir .. "/repo", { HOME = "/nonexistent", CX_TASK_RETRY_ATTEMPT = "two",
      CX_TASK_QUEUE_MS = "-5", CX_TASK_REPLICA_INDEX = "4294967296", CX_TASK_CONVERGE_VOTES = "{oops",
      CX_TASK_RETRY_BACKOFF_MS = "1.5", CX_TASK_WORKER_ID = "   " }, "cxo", {})
    assert.equal(json.null, row.retry_attempt)
    assert.equal(json.null, row.queue_ms)
    assert.equal(json.null, row.replica_index)
    assert.equal(json.null, row.converge_votes)
    assert.equal(json.null, row.retry_backoff_ms)
    assert.equal(json.null, row.worker_id)
  end)

  it("takes the task ids from state runtime when the env has none", function()
    os.execute("mkdir -p " .. h.quote(dir .. "/repo/.codex"))
    h.write(dir .. "/repo/.codex/state.json", '{"runtime":{"current_task_id":"task_9",' ..
      '"current_task_parent_id":"task_2"},"preferences":{"llm_backend":"ollama"}}')
    local row = row_in(dir .. "/repo", { HOME = "/nonexistent", CX_TASK_ID = false, CX_TASK_PARENT_ID = false,
      CX_LLM_BACKEND = false, CX_OLLAMA_MODEL = false }, "cxo", {})
    assert.equal("task_9", row.task_id)
    assert.equal("task_2", row.task_parent_id)
    assert.equal("ollama", row.backend_used)
    assert.equal("ollama_selected_model_unset", row.route_reason)
    assert.equal(json.null, row.llm_model)
  end)

  it("lets fields override, keeping legacy twins in step; schema tools are enforced", function()
    local row = runlog.row("cxrs_next", { schema_valid = false, duration_ms = 12, timestamp = "2026-01-01T00:00:00Z",
      adapter_id = "mock", worker_id = json.null })
    assert.is_true(row.schema_enforced)
    assert.is_false(row.schema_valid)
    assert.is_false(row.schema_ok)
    assert.equal(12, row.duration_ms)
    assert.equal("2026-01-01T00:00:00Z", row.ts)
    assert.equal("mock", row.adapter_id)
    assert.equal(json.null, row.worker_id)
  end)

  it("makes unique execution ids with the reference's prefix", function()
    local seen = {}
    for _ = 1, 200 do
      local id = runlog.new_execution_id("cx rs/next", 1772720102)
      assert.truthy(id:match("^20260305T141502Z_cx_rs_next_%d+_%x%x%x%x%x%x%x%x$"), id)
      assert.is_nil(seen[id])
      seen[id] = true
    end
  end)
end)

describe("cx.runlog.append / read_window", function()
  local dir, log
  before_each(function()
    dir = h.tmpdir()
    log = dir .. "/cxlogs/runs.jsonl"
  end)
  after_each(function() h.rm(dir) end)

  it("appends compact sorted rows, one per line, creating the directory", function()
    local row = runlog.row("cxo", { duration_ms = 5 })
    assert.is_true(runlog.append(row, log))
    assert.is_true(runlog.append(runlog.row("cxj", {}), log))
    local lines = {}
    for l in io.lines(log) do lines[#lines + 1] = l end
    assert.equal(2, #lines)
    assert.equal(json.encode(row), lines[1])
    assert.same(row.execution_id, json.decode(lines[1]).execution_id)
    assert.equal(85, #keys(json.decode(lines[2])))
  end)

  it("refuses rows with blank required fields, naming the field", function()
    for _, k in ipairs({ "execution_id", "timestamp", "command", "backend_used", "execution_mode" }) do
      local row = runlog.row("cxo", {})
      row[k] = "  "
      local ok, err = runlog.append(row, log)
      assert.is_nil(ok)
      assert.equal("execution log missing " .. k, err)
    end
    assert.is_nil(io.open(log))
  end)

  it("writes a schema failure row without quarantine_id (adapter failures are logged)", function()
    local row = runlog.row("cxrs_next", { schema_valid = false, schema_reason = "timed out" })
    assert.is_true(runlog.append(row, log))
    local got = json.decode(h.slurp(log))
    assert.is_true(got.schema_enforced)
    assert.is_false(got.schema_valid)
    assert.equal(json.null, got.quarantine_id)
  end)

  it("returns nil and a message when the log cannot be written, never raising", function()
    h.write(dir .. "/blocker", "")
    local ok, err = runlog.append(runlog.row("cxo", {}), dir .. "/blocker/runs.jsonl")
    assert.is_nil(ok)
    assert.truthy(err:find("blocker", 1, true), err)
    ok, err = runlog.append(runlog.row("cxo", { duration_ms = function() end }), log)
    assert.is_nil(ok)
    assert.truthy(err)
  end)

  it("reads the last n parsed rows, skipping and counting bad lines", function()
    os.execute("mkdir -p " .. h.quote(dir .. "/cxlogs"))
    h.write(log, '{"n":1}\n{"n":2}\nnot json\n\n[3]\n{"n":4}\n{broken\n{"n":5}\n')
    local rows, info = runlog.read_window(3, log)
    assert.same({ { n = 4 }, { n = 5 } }, { rows[2], rows[3] })
    assert.equal(3, #rows)
    assert.is_true(json.is_array(rows[1]))
    assert.is_true(info.exists)
    assert.equal(1, info.skipped)
    assert.equal(log, info.log_file)
    -- a window larger than the unparseable lines leave: everything parsed, both skipped counted
    rows, info = runlog.read_window(10, log)
    assert.equal(5, #rows)
    assert.equal(2, info.skipped)
    assert.same({ n = 1 }, rows[1])
    -- a torn last line
    h.write(log, '{"n":1}\n{"n":2')
    rows, info = runlog.read_window(5, log)
    assert.equal(1, #rows)
    assert.is_true(info.torn)
  end)

  it("reports a missing log as an empty window", function()
    local rows, info = runlog.read_window(5, dir .. "/nope.jsonl")
    assert.same({}, rows)
    assert.is_false(info.exists)
  end)

  it("appends schema failure records with the reference's keys", function()
    local f = dir .. "/cxlogs/schema_failures.jsonl"
    assert.is_true(runlog.append_schema_failure({ quarantine_id = "q1", raw_sha256 = "abc", reason = "invalid JSON",
      tool = "cxrs_next", ts = "2026-03-05T14:15:02Z" }, f))
    assert.equal('{"quarantine_id":"q1","raw_sha256":"abc","reason":"invalid JSON","tool":"cxrs_next",' ..
      '"ts":"2026-03-05T14:15:02Z"}\n', h.slurp(f))
    assert.is_nil((runlog.append_schema_failure({ tool = "x" }, f)))
  end)
end)
