--- Replicas and convergence of one task (reference scheduler.md §2.8 steps 4-8, §5.3, §4.3): how
--- many replicas run, which one wins (first_valid, majority, score, or a model judge through the
--- structured pipeline with its inline schema, falling back to the score), and the convergence row.
local json = require "cx.json"
local execute = require "cx.execute"
local registry = require "cx.schema.registry"
local runlog = require "cx.runlog"
local schema_exec = require "cx.schema_exec"
local record = require "cx.tasks.record"

local converge = {}

--- The convergence mode and the number of replicas to run, and a warning when replicas are ignored
--- (`replicas=<n> ignored because converge=none`).
function converge.plan(task)
  local mode = record.is_converge[task.converge] and task.converge or "none"
  local n = math.max(math.tointeger(task.replicas) or 1, 1)
  if mode == "none" then
    local warning = n > 1 and string.format("task %s replicas=%d ignored because converge=none", task.id, n) or nil
    return mode, 1, warning
  end
  return mode, n
end

--- Score of a replica outcome {code, execution_id, error}: 1000 when it succeeded, 100 with an
--- execution id, minus the length of its error text (at most 200). Also the components.
function converge.score(o)
  local success = o.code == 0 and 1000 or 0
  local bonus = o.execution_id and 100 or 0
  local penalty = math.min(#(o.error or ""), 200)
  return success + bonus - penalty, { success_score = success, execution_id_bonus = bonus, error_penalty = penalty }
end

--- Stop after this replica? (first_valid stops at the first success.)
function converge.done(mode, o)
  return mode == "first_valid" and o.code == 0
end

-- The deterministic rules: the winner's index among outcomes.
local function pick(mode, outcomes)
  if mode == "first_valid" then
    for i, o in ipairs(outcomes) do
      if o.code == 0 then return i end
    end
    return 1
  elseif mode == "majority" then
    local ok, first_ok, first_fail = 0, nil, nil
    for i, o in ipairs(outcomes) do
      if o.code == 0 then
        ok = ok + 1
        first_ok = first_ok or i
      else
        first_fail = first_fail or i
      end
    end
    if ok >= #outcomes - ok then return first_ok or 1 end
    return first_fail
  elseif mode == "score" or mode == "judge" then
    local best, best_score = 1, nil
    for i, o in ipairs(outcomes) do
      local s = converge.score(o)
      if best_score == nil or s > best_score then best, best_score = i, s end
    end
    return best
  end
  return 1
end
converge.pick = pick

local function candidates_for_judge(outcomes)
  local list = {}
  for i, o in ipairs(outcomes) do
    local s, c = converge.score(o)
    list[i] = { index = i, status_code = o.code, error = o.error or json.null, score = s,
      success_score = c.success_score, execution_id_bonus = c.execution_id_bonus, error_penalty = c.error_penalty,
      has_execution_id = o.execution_id ~= nil }
  end
  return json.array(list)
end

--- The judge's prompt (the reference's wording).
function converge.judge_prompt(task, outcomes)
  return "Task objective:\n" .. task.objective .. "\n\nSelect the best candidate index using reliability-first "
    .. "judgement. Prefer successful runs, lower error penalties, and stable metadata.\n\nCandidates:\n"
    .. json.pretty(candidates_for_judge(outcomes)) .. "\n\nReturn JSON only."
end

--- The judge's inline schema (`converge_judge.schema.json`) for n candidates.
function converge.judge_schema(n)
  return {
    type = "object", additionalProperties = false, required = json.array({ "winner_index", "reason" }),
    properties = {
      winner_index = { type = "integer", minimum = 1, maximum = n },
      reason = { type = "string", minLength = 1 },
    },
  }
end

-- Ask the model through the structured pipeline (its row, its retry, its quarantine). Returns the
-- winner index and reason, or nil when the judge failed in any way.
local function judge(task, outcomes)
  local schema = registry.inline("converge_judge", converge.judge_schema(#outcomes))
  local out = schema_exec.run({ tool = "cxtask_converge_judge", schema = schema,
    task_input = converge.judge_prompt(task, outcomes) })
  if not out.ok then return nil end
  local w = out.value.winner_index
  if math.type(w) ~= "integer" or not outcomes[w] then return nil end
  return w, out.value.reason
end

--- The winner of outcomes: index, decision_source ("model_judge" | "score_fallback"),
--- decision_reason (string or nil). The judge runs even with a single replica.
function converge.decide(task, mode, outcomes)
  if mode == "judge" then
    local w, reason = judge(task, outcomes)
    if w then return w, "model_judge", (type(reason) == "string" and reason ~= "") and reason or "judge_selected" end
  end
  return pick(mode, outcomes), "score_fallback", nil
end

--- The converge_votes object of the convergence row.
function converge.votes(mode, target, outcomes, winner, source, reason)
  local cands, ok = {}, 0
  for i, o in ipairs(outcomes) do
    local s, c = converge.score(o)
    cands[i] = { execution_id = o.execution_id or json.null, index = i, score = s, score_components = c,
      status_code = o.code }
    if o.code == 0 then ok = ok + 1 end
  end
  return {
    candidates = json.array(cands), decision_reason = reason or json.null, decision_source = source,
    fail = #outcomes - ok, mode = mode, ok = ok, replicas_executed = #outcomes, replicas_target = target,
    winner = winner,
  }
end

--- Write the convergence summary row (tool cxtask_converge). Returns what runlog.append returns.
function converge.write_row(task, mode, target, votes, winner)
  local fields = execute.prompt_fields(task.objective, task.objective)
  fields.command_label = "task_converge"
  fields.duration_ms = 0
  fields.converge_mode = mode
  fields.converge_winner = tostring(winner)
  fields.converge_votes = votes
  fields.replica_count = target
  fields.replica_index = json.null
  return runlog.append(runlog.row("cxtask_converge", fields))
end

return converge
