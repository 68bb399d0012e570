--- The ambient context of a run: which environment variables it sees, which fields its run-log rows
--- carry, and the rows it wrote. A plain command runs with no context (the process environment as
--- is). A task attempt runs with its own (cx.tasks.attempt): the scheduler interleaves many attempts
--- in one process, so what one attempt's rows say (task_id, worker_id, retry_attempt, the backend,
--- the mode, the timeouts) can never come from the process environment, which all of them share.
---
---   local context = require "cx.context"
---   context.bind({ env = { CX_TASK_ID = "task_001", CX_MODE = false }, row = { wave = 2 } })
---   context.getenv("CX_TASK_ID")    --> "task_001" inside that attempt, os.getenv elsewhere
---
--- A context belongs to the coroutine that bound it (a scheduled attempt is one coroutine; a plain
--- `task run` binds the main one and unbinds when done). Code inside reads the environment through
--- context.getenv, so the attempt's variables win; children spawned inside get them too
--- (context.spawn_env), as the reference's children inherited them.
local M = {}

-- coroutine -> context (weak: a finished attempt leaves nothing behind)
local by_co = setmetatable({}, { __mode = "k" })

--- Bind ctx to the running coroutine; returns ctx. ctx = {env = {NAME = "value" | false (unset)},
--- row = {key = value} (fields every row of the run carries), row_fn = function(fields)|nil (called
--- before each row is built, to refresh time-dependent fields)}. ctx.rows collects the rows that
--- were written (see note_row).
function M.bind(ctx)
  ctx.env = ctx.env or {}
  ctx.rows = ctx.rows or {}
  by_co[coroutine.running()] = ctx
  return ctx
end

--- Forget the context of the running coroutine.
function M.unbind()
  by_co[coroutine.running()] = nil
end

--- The context of the running coroutine, or nil.
function M.current()
  return by_co[coroutine.running()]
end

--- The value of an environment variable as the running code must see it: the context's (false:
--- unset), else the process's.
function M.getenv(name)
  local ctx = by_co[coroutine.running()]
  if ctx then
    local v = ctx.env[name]
    if v == false then return nil end
    if v ~= nil then return v end
  end
  return os.getenv(name)
end

--- The fields the context adds to every row (after the base fields, before the caller's), or nil.
--- ctx.row_fn(fields), when set, refreshes time-dependent fields first.
function M.row_fields()
  local ctx = by_co[coroutine.running()]
  if not ctx then return nil end
  ctx.row = ctx.row or {}
  if ctx.row_fn then ctx.row_fn(ctx.row) end
  return ctx.row
end

--- Record a row that was appended (the attempt learns its execution ids and failure from these).
function M.note_row(row)
  local ctx = by_co[coroutine.running()]
  if ctx then ctx.rows[#ctx.rows + 1] = row end
end

--- A spawn spec with the context's variables added (env_set / env_unset), for children.
function M.spawn_env(spec)
  local ctx = by_co[coroutine.running()]
  if not ctx or next(ctx.env) == nil then return spec end
  local set, unset = {}, {}
  for k, v in pairs(spec.env_set or {}) do set[k] = v end
  local removed = {} -- names the spawner removes on purpose (cx's own secrets): never set back
  for _, k in ipairs(spec.env_unset or {}) do
    unset[#unset + 1] = k
    removed[k] = true
  end
  for k, v in pairs(ctx.env) do
    if v == false then
      if spec.env_set == nil or spec.env_set[k] == nil then unset[#unset + 1] = k end
    elseif set[k] == nil and not removed[k] then
      set[k] = v
    end
  end
  spec.env_set = set
  spec.env_unset = #unset > 0 and unset or nil
  return spec
end

return M
