--- Test helper: temporary git repositories holding a run log, and running cx in them with a clean
--- environment (HOME inside the repository, no backend/adapter/quota variables from the caller).
local h = require "helpers.cli"
local json = require "cx.json"

local M = { dirs = {} }

M.CLEAN = { "CX_LLM_BACKEND", "CX_MODEL", "CX_OLLAMA_MODEL", "CX_PROVIDER_ADAPTER", "CX_MODE", "CX_REPO_ROOT",
  "CX_EXECUTION_PATH", "CX_SOURCE_LOCATION", "CX_QUOTA_TIER", "CX_QUOTA_TOTAL_TOKENS", "CX_QUOTA_CODEX_TIER",
  "CX_QUOTA_CODEX_TOTAL_TOKENS", "CXALERT_MAX_MS", "CXALERT_MAX_EFF_IN", "CX_CONTEXT_BUDGET_CHARS",
  "CX_CONTEXT_BUDGET_LINES", "CX_CONTEXT_CLIP_MODE", "CX_CONTEXT_CLIP_FOOTER", "CXBENCH_LOG", "CXBENCH_PASSTHRU",
  "CX_PARITY_REF", "CX_BIN_CX" }

--- A temporary repository; rows (tables encoded, strings written as they are) become its run log;
--- rows = nil leaves the log missing.
function M.repo(rows)
  local dir = h.tmprepo()
  M.dirs[#M.dirs + 1] = dir
  if rows then M.write_log(dir .. "/.codex/cxlogs/runs.jsonl", rows) end
  return dir
end

--- Write rows as a JSONL file (creating its directory).
function M.write_log(path, rows)
  os.execute("mkdir -p " .. h.quote(path:match("^(.*)/")))
  local lines = {}
  for i, r in ipairs(rows) do lines[i] = type(r) == "string" and r or json.encode(r) end
  h.write(path, #lines > 0 and table.concat(lines, "\n") .. "\n" or "")
end

--- Run cx in dir with a clean environment plus env.
function M.cx(dir, args, env, stdin)
  local e = { HOME = dir }
  for _, k in ipairs(M.CLEAN) do e[k] = false end
  for k, v in pairs(env or {}) do e[k] = v end
  return h.cx(args, { cwd = dir, env = e, stdin = stdin })
end

--- The decoded stdout of a run (asserting it is JSON).
function M.json(r)
  local doc, err = json.decode(r.stdout)
  assert(doc, "stdout is not JSON: " .. tostring(err) .. "\n" .. r.stdout .. r.stderr)
  return doc
end

--- The stdout lines of a run.
function M.lines(r)
  local out = {}
  for line in r.stdout:gmatch("([^\n]*)\n") do out[#out + 1] = line end
  return out
end

--- Whether a run printed exactly this line.
function M.has_line(r, line)
  for _, l in ipairs(M.lines(r)) do
    if l == line then return true end
  end
  return false
end

--- Now as the run log's timestamp format, shifted by `seconds`.
function M.ts(seconds)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", os.time() + (seconds or 0))
end

--- Remove every repository made so far.
function M.cleanup()
  for _, d in ipairs(M.dirs) do h.rm(d) end
  M.dirs = {}
end

return M
