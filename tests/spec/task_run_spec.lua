-- `cx task run <id>` end to end (reference scheduler.md §2.5, §2.8, §5.3, §4.3): the objective runs
-- in process (cx commands through their own code, free text as the reference's prompt), the status
-- and last attempt are recorded, failures say what failed and what to run next, replicas converge.
local h = require "helpers.cli"
local json = require "cx.json"
local tr = require "helpers.tasks_repo"

local task = tr.task

teardown(tr.cleanup)

local function last_rows(repo, n)
  local rows = tr.rows(repo)
  local out = {}
  for i = math.max(1, #rows - n + 1), #rows do out[#out + 1] = rows[i] end
  return out
end

describe("cx task run", function()
  it("runs a cx-command objective in process and records the task complete", function()
    local repo = tr.repo({ task("task_000", { status = "complete" }),
      task("task_001", { objective = "cxo echo hello", parent_id = "task_000" }) })
    local r = tr.cx(repo, { "task", "run", "task_001" })
    assert.equal(0, r.code, r.stderr)
    local row = tr.rows(repo)[1]
    assert.equal('{"commands":["echo mock"]}\ntask_id: task_001\nexecution_id: ' .. row.execution_id
      .. "\ntask_001: complete\n", r.stdout)
    assert.equal("cxo", row.tool)
    assert.equal("task_001", row.task_id)
    assert.equal("task_000", row.task_parent_id)
    assert.equal(1, row.replica_index)
    assert.equal("none", row.converge_mode)
    assert.equal(json.null, row.worker_id)
    assert.equal(json.null, row.retry_attempt)
    assert.is_string(row.run_id)
    assert.is_true(row.attempt_finished_ms >= row.attempt_started_ms)
    local t = tr.tasks(repo).task_001
    assert.equal("complete", t.status)
    assert.equal(row.execution_id, t.last_attempt.execution_id)
    assert.is_nil(t.claim)
    -- state.json's current task is restored (to nothing)
    local st = json.decode(h.slurp(repo .. "/.codex/state.json"))
    assert.equal(json.null, st.runtime.current_task_id)
  end)

  it("sends a free-text objective as the reference's prompt, with the context ref", function()
    local repo = tr.repo({ task("task_001", { objective = "Plan the release", context_ref = "docs/plan.md" }) })
    local r = tr.cx(repo, { "task", "run", "task_001", "--json" }, { CX_MOCK_PLAIN_RESPONSE = "notes" })
    assert.equal(0, r.code)
    local doc = json.decode(r.stdout)
    assert.equal("complete", doc.status)
    assert.equal("notes\n", doc.output)
    local row = tr.rows(repo)[1]
    assert.equal("cxtask_run", row.tool)
    assert.equal("Task Objective:\nPlan the release\n\nContext Ref:\ndocs/plan.md\n\nRespond with concise execution "
      .. "notes and next actions.", row.prompt_preview)
    assert.equal(doc.execution_id, row.execution_id)
  end)

  it("applies --backend and --mode to both kinds of objective (the reference applied them to commands only)", function()
    local repo = tr.repo({ task("task_001", { objective = "Free text" }),
      task("task_002", { objective = "cx echo x" }) })
    for _, id in ipairs({ "task_001", "task_002" }) do
      local r = tr.cx(repo, { "task", "run", id, "--backend", "ollama", "--mode", "deterministic" },
        { CX_OLLAMA_MODEL = "qwen" })
      assert.equal(0, r.code, r.stderr)
      local row = last_rows(repo, 1)[1]
      assert.equal("ollama", row.backend_used)
      assert.equal("qwen", row.llm_model)
      assert.equal("deterministic", row.execution_mode)
    end
  end)

  it("says what failed, its execution id, and what to run next", function()
    local repo = tr.repo({ task("task_001") })
    local r = tr.cx(repo, { "task", "run", "task_001" }, { CX_MOCK_FAIL = "server_error" })
    assert.equal(1, r.code)
    local row = tr.rows(repo)[1]
    assert.truthy(r.stdout:find("task_001: failed\n", 1, true))
    assert.truthy(r.stderr:find("cx task run: task_001 failed: server_error: mock provider server error: HTTP 500 "
      .. "(injected) (backend codex, execution_id " .. row.execution_id .. ")", 1, true))
    assert.truthy(r.stderr:find("  next: cx task run task_001    (run it again)", 1, true))
    local t = tr.tasks(repo).task_001
    assert.equal("failed", t.status)
    assert.equal("server_error", t.last_attempt.class)
    assert.equal(row.execution_id, t.last_attempt.execution_id)
  end)

  it("returns the objective's exit code: a usage error of a cx command is 2", function()
    local repo = tr.repo({ task("task_001", { objective = "cxnext" }) })
    local r = tr.cx(repo, { "task", "run", "task_001" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("cx next: missing <command>", 1, true))
    assert.equal("usage", tr.tasks(repo).task_001.last_attempt.class)
    assert.same({}, tr.rows(repo))
  end)

  it("reports a schema failure's quarantine id", function()
    local repo = tr.repo({ task("task_001", { objective = "next echo hi" }) })
    local r = tr.cx(repo, { "task", "run", "task_001" }, { CX_MOCK_PLAIN_RESPONSE = "nope" })
    assert.equal(1, r.code)
    local q = tr.tasks(repo).task_001.last_attempt.quarantine_id
    assert.is_string(q)
    assert.truthy(r.stderr:find("quarantine_id " .. q, 1, true))
    assert.truthy(r.stderr:find("next: cx replay " .. q, 1, true))
  end)

  it("does not run a task whose dependency failed, and says which (unless --ignore-deps)", function()
    local repo = tr.repo({ task("task_001", { status = "failed" }), task("task_002", { depends_on = { "task_001" } }) })
    local r = tr.cx(repo, { "task", "run", "task_002" })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("cx task run: task_002 did not run: its dependency task_001 failed\n", 1, true))
    assert.truthy(r.stderr:find("next: cx task show task_001", 1, true))
    assert.equal("pending", tr.tasks(repo).task_002.status)
    r = tr.cx(repo, { "task", "run", "task_002", "--ignore-deps" })
    assert.equal(0, r.code)
  end)

  it("keeps the reference's messages and exit codes", function()
    local repo = tr.repo({ task("task_001", { status = "complete" }) })
    local r = tr.cx(repo, { "task", "run" })
    assert.equal(2, r.code)
    assert.equal("Usage: cx task run <id> [--mode lean|deterministic|verbose] [--backend codex|ollama]\n", r.stderr)
    r = tr.cx(repo, { "task", "run", "task_001", "--what" })
    assert.equal(2, r.code)
    assert.equal("cx task run: unknown flag '--what'\n", r.stderr)
    r = tr.cx(repo, { "task", "run", "task_001", "--mode" })
    assert.equal(2, r.code)
    r = tr.cx(repo, { "task", "run", "task_404" })
    assert.equal(1, r.code)
    assert.equal("cx task run: task not found: task_404\n", r.stderr)
    r = tr.cx(repo, { "task", "run", "task_001" })
    assert.equal(0, r.code)
    assert.equal("task_001: complete\n", r.stdout)
    assert.same({}, tr.rows(repo))
  end)
end)

describe("cx task run, replicas and convergence (reference §5.3)", function()
  local function converge_row(repo)
    local rows = tr.rows(repo)
    for i = #rows, 1, -1 do
      if rows[i].tool == "cxtask_converge" then return rows[i] end
    end
  end

  it("warns that replicas need a convergence mode", function()
    local repo = tr.repo({ task("task_001", { replicas = 3 }) })
    local r = tr.cx(repo, { "task", "run", "task_001" })
    assert.equal(0, r.code)
    assert.truthy(r.stderr:find("cx task run: task task_001 replicas=3 ignored because converge=none", 1, true))
    assert.equal(1, #tr.rows(repo))
  end)

  it("first_valid stops at the first success", function()
    local repo = tr.repo({ task("task_001", { converge = "first_valid", replicas = 3 }) })
    local r = tr.cx(repo, { "task", "run", "task_001" }, { CX_MOCK_FAIL = "server_error", CX_MOCK_FAIL_EVERY = "2" })
    assert.equal(0, r.code, r.stderr)
    local row = converge_row(repo)
    assert.equal("2", row.converge_winner)
    assert.equal(2, row.converge_votes.replicas_executed)
    assert.equal(3, row.converge_votes.replicas_target)
    assert.equal("score_fallback", row.converge_votes.decision_source)
    assert.equal(1, row.converge_votes.ok)
    assert.equal(1, row.converge_votes.fail)
    assert.equal("task_converge", row.command_label)
    assert.equal(0, row.duration_ms)
  end)

  it("majority prefers success on a tie; score picks the best score", function()
    local repo = tr.repo({ task("task_001", { converge = "majority", replicas = 2 }),
      task("task_002", { converge = "score", replicas = 2 }) })
    local r = tr.cx(repo, { "task", "run", "task_001" }, { CX_MOCK_FAIL = "server_error", CX_MOCK_FAIL_EVERY = "2" })
    assert.equal(0, r.code)
    assert.equal("2", converge_row(repo).converge_winner)
    r = tr.cx(repo, { "task", "run", "task_002" }, { CX_MOCK_FAIL = "server_error", CX_MOCK_FAIL_EVERY = "2" })
    assert.equal(0, r.code)
    local row = converge_row(repo)
    assert.equal("2", row.converge_winner)
    assert.equal(1100, row.converge_votes.candidates[2].score)
  end)

  it("judge: the model's pick through the structured pipeline (model_judge)", function()
    local repo = tr.repo({ task("task_001", { converge = "judge", replicas = 2 }) })
    local r = tr.cx(repo, { "task", "run", "task_001" },
      { CX_MOCK_PLAIN_RESPONSE = '{"winner_index":1,"reason":"steadier"}' })
    assert.equal(0, r.code, r.stderr)
    local row = converge_row(repo)
    assert.equal("model_judge", row.converge_votes.decision_source)
    assert.equal("steadier", row.converge_votes.decision_reason)
    assert.equal("1", row.converge_winner)
    local judge
    for _, x in ipairs(tr.rows(repo)) do
      if x.tool == "cxtask_converge_judge" then judge = x end
    end
    assert.is_true(judge.schema_enforced)
    assert.equal("converge_judge.schema.json", judge.schema_name)
  end)

  it("judge: bad judge output falls back to the score, and the task still succeeds", function()
    local repo = tr.repo({ task("task_001", { converge = "judge", replicas = 2 }) })
    local r = tr.cx(repo, { "task", "run", "task_001" }, { CX_MOCK_PLAIN_RESPONSE = "not-json" })
    assert.equal(0, r.code)
    assert.equal("score_fallback", converge_row(repo).converge_votes.decision_source)
    tr.assert_log_valid(repo)
  end)
end)
