--- What a run-log row is, for the telemetry expectations (`logs stats`, policies/telemetry.lua):
--- its kind (which command wrote it), its scheduling context (which scheduler ran it, if any) and
--- its outcome. Rows are judged against what rows of their kind, context and outcome must carry,
--- so a plain `cxo` row is never blamed for lacking a worker, and a legacy row never for lacking
--- the keys only modern rows have. docs/logs.md "Row kinds".
local json = require "cx.json"
local contract = require "cx.log_contract"

local null = json.null

local M = {}

--- Kinds, in the order they are decided (the first that matches):
---   legacy          no execution_id or no timestamp key (the reference's test), or a row `logs migrate`
---                   rewrote from one (execution_mode "legacy")
---   runall_summary  the run-all summary row (tool cxtask_runall)
---   convergence     the convergence summary of a task's replicas (tool cxtask_converge)
---   structured      a schema-checked command (schema_enforced, or a schema tool)
---   capture         a captured command sent to a model: cx, cxj, cxo, cxol, cxcopy, cxfix
---   other           anything else (cxtask_run, cxtask_converge_judge, the Lua API ...)
M.KINDS = { "capture", "structured", "runall_summary", "convergence", "legacy", "other" }

--- Scheduling contexts (rows of any kind but legacy and runall_summary):
---   runall_attempt  written inside a cx `task run-all` attempt: a run_id and a worker_id
---   task_run        written inside a cx `task run`: a run_id, no worker
---   task_attempt    scheduled without a run id (the earlier implementation's run-all, or CX_TASK_*
---                   variables): a worker_id, a queue_ms or a retry_attempt
--- Other rows have no context ("none").
M.CONTEXTS = { "runall_attempt", "task_run", "task_attempt" }

--- Outcomes (one per row): ok; timed_out (timed_out = true); schema_failure (a schema-checked
--- command whose output failed its schema: schema_valid false and failure_class absent or
--- schema_invalid); failed (any other failure: schema_valid false, or a failure_class).
M.OUTCOMES = { "ok", "failed", "timed_out", "schema_failure" }

M.CAPTURE_TOOLS = { cx = true, cxj = true, cxo = true, cxol = true, cxcopy = true, cxfix = true }

local SCHEMA_TOOLS, CAPTURE_TOOLS = contract.SCHEMA_TOOLS, M.CAPTURE_TOOLS

--- The tool of a row (tool, else command), or nil.
function M.tool(r)
  local t = r.tool
  if type(t) == "string" and t ~= "" then return t end
  t = r.command
  if type(t) == "string" and t ~= "" then return t end
  return nil
end
local tool_of = M.tool

-- (Called once per row of every window: written for speed, without helper calls.)
--- kind, context, outcome of a decoded object row.
function M.classify(r)
  local kind
  if r.execution_id == nil or r.timestamp == nil or r.execution_mode == "legacy" then
    kind = "legacy"
  else
    local tool = tool_of(r)
    if tool == "cxtask_runall" then
      kind = "runall_summary"
    elseif tool == "cxtask_converge" then
      kind = "convergence"
    elseif r.schema_enforced == true or (tool and SCHEMA_TOOLS[tool]) then
      kind = "structured"
    elseif tool and CAPTURE_TOOLS[tool] then
      kind = "capture"
    else
      kind = "other"
    end
  end
  local context = "none"
  if kind ~= "legacy" and kind ~= "runall_summary" then
    local run, worker = r.run_id, r.worker_id
    local has_run = type(run) == "string" and run ~= ""
    local has_worker = type(worker) == "string" and worker ~= ""
    if has_run then
      context = has_worker and "runall_attempt" or "task_run"
    elseif has_worker then
      context = "task_attempt"
    else
      local q, a = r.queue_ms, r.retry_attempt
      if (q ~= nil and q ~= null) or (a ~= nil and a ~= null) then context = "task_attempt" end
    end
  end
  local outcome
  if r.timed_out == true then
    outcome = "timed_out"
  else
    local valid = r.schema_valid
    if valid == nil or valid == null then valid = r.schema_ok end
    local class = r.failure_class
    if type(class) ~= "string" then class = nil end
    if valid ~= false and not class then
      outcome = "ok"
    elseif valid == false and r.schema_enforced == true and (class == nil or class == "schema_invalid") then
      outcome = "schema_failure"
    else
      outcome = "failed"
    end
  end
  return kind, context, outcome
end

--- Every group name an expectation may name, and the test of membership: a kind, a context,
--- `<kind>.ok` / `<kind>.failed` (any failure), an outcome facet (`failed` = every failure,
--- `timed_out`, `schema_failure`), `modern` (every kind but legacy) and `all`.
M.GROUPS = {}
local member = {}

local function add_group(name, test)
  M.GROUPS[#M.GROUPS + 1] = name
  member[name] = test
end

add_group("all", function() return true end)
add_group("modern", function(k) return k ~= "legacy" end)
for _, k in ipairs(M.KINDS) do
  add_group(k, function(kind) return kind == k end)
  add_group(k .. ".ok", function(kind, _, o) return kind == k and o == "ok" end)
  add_group(k .. ".failed", function(kind, _, o) return kind == k and o ~= "ok" end)
end
for _, c in ipairs(M.CONTEXTS) do
  add_group(c, function(_, ctx) return ctx == c end)
end
add_group("failed", function(_, _, o) return o ~= "ok" end)
add_group("timed_out", function(_, _, o) return o == "timed_out" end)
add_group("schema_failure", function(_, _, o) return o == "schema_failure" end)

M.IS_GROUP = {}
for _, g in ipairs(M.GROUPS) do M.IS_GROUP[g] = true end

--- Whether a row of (kind, context, outcome) belongs to group name (false for unknown names).
function M.member(name, kind, context, outcome)
  local test = member[name]
  return test ~= nil and test(kind, context, outcome)
end

return M
