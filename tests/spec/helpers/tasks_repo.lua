--- Test helper for `cx task run` / `run-all` specs: a scratch repository whose tasks.json holds
--- given records (written directly: 2,000 `task add` processes would take minutes), cx run in it
--- on the mock adapter by default, its rows, its records, and "the run log validates --strict".
---
---   local tr = require "helpers.tasks_repo"
---   local repo = tr.repo({ tr.task("task_001", { objective = "cxo echo a" }) })
---   local r = tr.cx(repo, { "task", "run-all" }, { CX_MOCK_LATENCY_MS = "50" })
---   tr.assert_log_valid(repo)
local h = require "helpers.cli"
local json = require "cx.json"
local log_valid = require "helpers.log_valid"
local runlog_rows = require "helpers.runlog_rows"

local M = {}

local made = {}

--- A task record with the reference's keys and defaults; fields override.
function M.task(id, fields)
  local r = { id = id, parent_id = json.null, role = "implementer", objective = "cxo echo " .. id, context_ref = "",
    backend = "auto", model = json.null, profile = "balanced", converge = "none", replicas = 1,
    max_concurrency = json.null, run_mode = "sequential", depends_on = json.array({}),
    resource_keys = json.array({}), max_retries = json.null, timeout_secs = json.null, status = "pending",
    created_at = "2025-01-01T00:00:00Z", updated_at = "2025-01-01T00:00:00Z" }
  for k, v in pairs(fields or {}) do
    if (k == "depends_on" or k == "resource_keys") and type(v) == "table" then v = json.array(v) end
    r[k] = v
  end
  return r
end

--- Write a repository's tasks.json.
function M.write_tasks(repo, tasks)
  os.execute("mkdir -p " .. h.quote(repo .. "/.codex"))
  h.write(repo .. "/.codex/tasks.json", json.pretty(json.array(tasks)) .. "\n")
end

--- A fresh git repository holding tasks (removed by M.cleanup).
function M.repo(tasks)
  local d = h.tmprepo()
  made[#made + 1] = d
  if tasks then M.write_tasks(d, tasks) end
  return d
end

function M.cleanup()
  for _, d in ipairs(made) do h.rm(d) end
  made = {}
end

--- The environment cx runs with: the mock adapter, no inherited task or progress variables, HOME
--- in the repository; extra overrides (false unsets).
function M.env(repo, extra)
  local env = { HOME = repo, CX_PROVIDER_ADAPTER = "mock", CX_TASK_ID = false, CX_TASK_PARENT_ID = false,
    CX_LLM_BACKEND = false, CX_MODE = false, CX_BROKER_POLICY = false, CX_TASK_HALT_ON_CRITICAL = false,
    CX_MOCK_LATENCY_MS = false, CX_MOCK_FAIL = false, CX_DISABLE_CODEX = false, CX_DISABLE_OLLAMA = false,
    CX_TIMEOUT_LLM_SECS = false, CX_CMD_TIMEOUT_SECS = false, CX_MOCK_VIRTUAL_CLOCK = false, CX_NO_PROGRESS = "1" }
  for k, v in pairs(extra or {}) do env[k] = v end
  return env
end

--- Run cx in repo; returns {code, stdout, stderr}.
function M.cx(repo, args, extra)
  return h.cx(args, { cwd = repo, env = M.env(repo, extra) })
end

--- The records of repo's tasks.json, by id.
function M.tasks(repo)
  local list = assert(json.decode(h.slurp(repo .. "/.codex/tasks.json")))
  local by = {}
  for _, t in ipairs(list) do by[t.id] = t end
  return by, list
end

--- Every row of repo's run log.
function M.rows(repo)
  return runlog_rows.all(repo)
end

--- The run id a run-all printed (`run-all run_id: R`), or the summary row's.
function M.run_id(result, repo)
  local id = result and result.stdout:match("run%-all run_id: (%S+)")
  if id then return id end
  local rows = M.rows(repo)
  for i = #rows, 1, -1 do
    if rows[i].tool == "cxtask_runall" then return rows[i].run_id end
  end
  return nil
end

--- Asserts that repo's run log validates clean under `cx logs validate --strict` (pkg logs'
--- helpers.log_valid), and that the CLI agrees.
function M.assert_log_valid(repo)
  log_valid.assert_repo_clean(repo, { no_warnings = true })
  local r = M.cx(repo, { "logs", "validate", "--strict" })
  assert(r.code == 0, "the run log does not validate --strict:\n" .. r.stdout .. r.stderr)
end

return M
