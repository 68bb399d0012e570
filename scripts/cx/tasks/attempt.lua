--- One attempt of one task: the context it runs in (its own environment and row fields, never the
--- process's: attempts interleave in one process), its replicas one after another, the winner, and
--- what it came to (a class and a reason a scheduler and an operator can act on). Used by `task run`
--- (alone) and by the run-all driver (as a cx.jobs attempt over the shared loop).
local context = require "cx.context"
local json = require "cx.json"
local sinks = require "cx.sink"
local converge = require "cx.tasks.converge"
local objective = require "cx.tasks.objective"

local attempt = {}

-- Profiles name a mode (reference §2.8 step 3).
local PROFILE_MODE = { fast = "lean", quality = "verbose", schema_strict = "deterministic" }

--- The mode an attempt runs in: the override, else the profile's, else nil (the environment's).
function attempt.mode(task, override)
  if override and override ~= "" then return override end
  return PROFILE_MODE[task.profile]
end

local function str(v)
  if v == nil then return false end
  return tostring(v)
end

--- The environment of an attempt (cx.context): the task variables the reference passed to its
--- workers, the backend/model/mode overrides, and the task's timeout for every adapter and capture.
--- run = {backend, mode, worker, queue_ms, retry_attempt, retry_max, retry_reason, retry_backoff_ms}.
function attempt.env(task, run)
  local env = {
    CX_TASK_ID = task.id,
    CX_TASK_PARENT_ID = str(task.parent_id),
    CX_TASK_WORKER_ID = str(run.worker and ("w" .. run.worker)),
    CX_TASK_QUEUE_MS = str(run.queue_ms),
    CX_TASK_RETRY_ATTEMPT = str(run.retry_attempt),
    CX_TASK_RETRY_MAX = str(run.retry_max),
    CX_TASK_RETRY_REASON = str(run.retry_reason),
    CX_TASK_RETRY_BACKOFF_MS = str(run.retry_backoff_ms),
    CX_TASK_CONVERGE_WINNER = false,
    CX_TASK_CONVERGE_VOTES = false,
  }
  if run.backend then env.CX_LLM_BACKEND = run.backend end
  local model = type(task.model) == "string" and task.model:match("^%s*(.-)%s*$") or ""
  if model ~= "" then
    env.CX_OLLAMA_MODEL = model
    -- A model on a task pinned to codex is a codex model (the reference passed it to ollama only).
    if task.backend == "codex" and run.backend == "codex" then env.CX_MODEL = model end
  end
  local mode = attempt.mode(task, run.mode)
  if mode then env.CX_MODE = mode end
  local secs = math.tointeger(task.timeout_secs)
  if secs and secs > 0 then
    local s = tostring(secs)
    env.CX_TIMEOUT_LLM_SECS, env.CX_CMD_TIMEOUT_SECS = s, s
    env.CX_TIMEOUT_GIT_SECS, env.CX_TIMEOUT_SHELL_SECS = s, s
  end
  return env
end

local TRANSIENT = { timeout = true, transport_unreachable = true, rate_limited = true, server_error = true }
attempt.TRANSIENT = TRANSIENT

local function blank(v)
  return v == nil or v == json.null or v == ""
end

local function last_line(text)
  local last
  for line in (text or ""):gmatch("[^\n]+") do
    if line:find("%S") then last = line end
  end
  return last
end

-- What one replica came to, from its exit code and the rows it wrote: {code, execution_id, class,
-- reason, quarantine_id, retry_after_ms, timed_out, error (text, for the score)}.
local function replica_outcome(code, rows, sink)
  local o = { code = code }
  local last = rows[#rows]
  for i = #rows, 1, -1 do
    if not blank(rows[i].quarantine_id) then
      o.quarantine_id = rows[i].quarantine_id
      break
    end
  end
  if last then
    o.execution_id = last.execution_id
    o.backend = not blank(last.backend_used) and last.backend_used or nil
    o.timed_out = last.timed_out == true
    if not blank(last.retry_after_ms) then o.retry_after_ms = last.retry_after_ms end
  end
  if code == 0 then return o end
  local err = last_line(sink.stderr())
  if last and last.policy_blocked == true then
    o.class = "policy_blocked"
    o.reason = blank(last.policy_reason) and "policy_blocked" or last.policy_reason
  elseif last and not blank(last.failure_class) then
    o.class = last.failure_class
    o.reason = blank(last.schema_reason) and err or last.schema_reason
  elseif not last then
    o.class = code == 2 and "usage" or "no_run"
    o.reason = err or ("the objective exited with status " .. code .. " without running")
  else
    o.class = "exit_status"
    o.reason = "the objective exited with status " .. code .. (err and (": " .. err) or "")
  end
  o.error = o.reason
  return o
end

--- Run one attempt of task. run = {run_id, backend, mode, worker, queue_ms, retry_attempt,
--- retry_max, retry_reason, retry_backoff_ms, wave, started_ms (epoch), run_offset_ms, moved_from,
--- epoch_ms = function() -> now (epoch ms)}. Returns
---   {ok, code, class, reason, execution_id, quarantine_id, retry_after_ms, winner, replicas,
---    stdout, stderr, warning}
--- where stdout/stderr are what the winning replica printed (run-all decides whether to show it).
function attempt.run(task, run)
  local ctx = context.bind({
    env = attempt.env(task, run),
    row = {
      run_id = run.run_id, wave = run.wave, attempt_started_ms = run.started_ms, run_offset_ms = run.run_offset_ms,
      backend_moved_from = run.moved_from,
    },
    row_fn = function(fields) fields.attempt_finished_ms = run.epoch_ms() end,
  })
  -- the context must not outlive the attempt, even when it raises (a plain `task run` binds the
  -- main coroutine)
  local ok, result = pcall(attempt.replicas, task, ctx)
  context.unbind()
  if not ok then error(result, 0) end
  return result
end

--- The replicas of an attempt in context ctx (see attempt.run).
function attempt.replicas(task, ctx)
  local mode, target, warning = converge.plan(task)
  local outcomes, buffers = {}, {}
  for i = 1, target do
    ctx.env.CX_TASK_REPLICA_INDEX = tostring(i)
    ctx.env.CX_TASK_REPLICA_COUNT = tostring(target)
    ctx.env.CX_TASK_CONVERGE_MODE = mode
    local sink = sinks.buffer()
    local first = #ctx.rows + 1
    local code = objective.run(task, sink)
    local o = replica_outcome(code, { table.unpack(ctx.rows, first) }, sink)
    outcomes[i], buffers[i] = o, sink
    -- once interrupted, no further replica (each would only come back interrupted)
    if o.class == "interrupted" or converge.done(mode, o) then break end
  end
  ctx.env.CX_TASK_REPLICA_INDEX = false -- the judge and the convergence row are no replica
  local winner, source, reason = 1, "score_fallback", nil
  local interrupted = outcomes[#outcomes].class == "interrupted"
  if interrupted then
    winner = #outcomes
  elseif mode ~= "none" then
    winner, source, reason = converge.decide(task, mode, outcomes)
  end
  if mode ~= "none" and not interrupted then
    converge.write_row(task, mode, target, converge.votes(mode, target, outcomes, winner, source, reason), winner)
  end
  local w = outcomes[winner]
  return {
    ok = w.code == 0, code = w.code, class = w.class, reason = w.reason, execution_id = w.execution_id,
    quarantine_id = w.quarantine_id, retry_after_ms = w.retry_after_ms, timed_out = w.timed_out, backend = w.backend,
    winner = winner, replicas = #outcomes, converge_mode = mode,
    decision_source = mode ~= "none" and source or nil,
    stdout = buffers[winner].stdout(), stderr = buffers[winner].stderr(), warning = warning,
  }
end

--- The record's `last_attempt` for a summary (docs/tasks.md): its class (`ok` for a success), reason,
--- execution id, quarantine id, exit code, and where it ran; absent facts are left out. facts =
--- {attempt, max_attempts, backend, run_id, finished_at}.
function attempt.last_attempt(summary, facts)
  return {
    class = summary.ok and "ok" or (summary.class or "failed"),
    reason = summary.reason,
    execution_id = summary.execution_id,
    quarantine_id = summary.quarantine_id,
    exit_code = summary.code,
    attempt = facts.attempt,
    max_attempts = facts.max_attempts,
    backend = facts.backend or summary.backend,
    run_id = facts.run_id,
    finished_at = facts.finished_at,
  }
end

return attempt
