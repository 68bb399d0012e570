--- The facts `diag` prints above its metric blocks (reference diagnostics.md §1.1): version, mode,
--- backend, model, context budget, last run id, schema registry. These read the environment, the
--- repository and the log tail, so they live apart from the pure report code; every input can be
--- injected for tests.
local json = require "cx.json"
local core = require "cx.core"
local stats = require "cx.diag.stats"
local git_head = require "cx.git_head"

local context = {}

context.TAIL_BYTES = 8192
context.ROUTING_TRACE = { sample = "cxo git status", route = "rust", reason = "rust support found (cxo)" }

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- A small repository file (VERSION): bounded, and never a FIFO or device that would hang diag.
local function read_file(path)
  return (core.fs.read_file(path, { max_bytes = 4096, follow = true }))
end


--- The version string: the repository's VERSION file (else cx's own version), plus "+<short sha>"
--- when the repository has a HEAD commit.
function context.version(root, head)
  local base = core.version
  if not root then return base end
  local text = read_file(root .. "/VERSION")
  if text and trim(text) ~= "" then base = trim(text) end
  local sha = (head or git_head.short)(root)
  if sha then return base .. "+" .. sha end
  return base
end

--- The id of the last run: scan the log's last 8 KiB from the end; the first line that is JSON
--- gives its execution_id, else its prompt_sha256, else "<none>". A missing log gives "<none>".
function context.last_run_id(log_file)
  local tail = log_file and core.fs.read_file(log_file, { max_bytes = context.TAIL_BYTES, tail = true, follow = true })
  if not tail then return "<none>" end
  local lines = {}
  for line in tail:gmatch("[^\n]+") do lines[#lines + 1] = line end
  for i = #lines, 1, -1 do
    local v = json.decode(lines[i])
    if v ~= nil then
      if type(v) == "table" then
        if type(v.execution_id) == "string" then return v.execution_id end
        if type(v.prompt_sha256) == "string" then return v.prompt_sha256 end
      end
      return "<none>"
    end
  end
  return "<none>"
end

--- Regular files directly inside dir (any extension); 0 when it is not a directory.
function context.count_files(dir)
  local fs = core.fs
  if not fs then return 0 end
  local names = fs.list_dir(dir)
  if not names then return 0 end
  local n = 0
  for _, name in ipairs(names) do
    local st = fs.stat(dir .. "/" .. name)
    if st and st.type == "file" then n = n + 1 end
  end
  return n
end

local function backend_of(getenv, state)
  local b = getenv("CX_LLM_BACKEND")
  b = b and trim(b) or ""
  if b == "" then
    local prefs = type(state) == "table" and type(state.preferences) == "table" and state.preferences or {}
    b = type(prefs.llm_backend) == "string" and prefs.llm_backend or ""
  end
  if b:lower() == "ollama" then return "ollama" end
  return "codex"
end

local function model_of(backend, getenv, state)
  local m
  if backend == "ollama" then
    m = getenv("CX_OLLAMA_MODEL")
    if m == nil or m == "" then
      local prefs = type(state) == "table" and type(state.preferences) == "table" and state.preferences or {}
      m = type(prefs.ollama_model) == "string" and prefs.ollama_model or nil
    end
  else
    m = getenv("CX_MODEL")
  end
  if m == nil or m == "" then return "<unset>" end
  return m
end

local function clip_footer(text)
  -- Parsed as a u8 by the reference: 1 is on, other numbers off, anything else the default (on).
  local n = stats.parse_u64(text)
  if n == nil or n > 255 then return true end
  return n == 1
end

--- Collect the header. opts: getenv (default os.getenv), repo_root (nil outside a repository),
--- log_file, state (the decoded state.json or nil), now (epoch seconds), head (sha lookup, for tests).
function context.collect(opts)
  opts = opts or {}
  local getenv = opts.getenv or os.getenv
  local root = opts.repo_root
  local env_root = getenv("CX_REPO_ROOT")
  if env_root and env_root ~= "" and core.fs and core.fs.exists(env_root) then root = env_root end
  local backend = backend_of(getenv, opts.state)
  local schema_dir = (root or ".") .. "/.codex/schemas"
  return {
    timestamp = os.date("!%Y-%m-%dT%H:%M:%SZ", opts.now or os.time()),
    version = context.version(root, opts.head),
    mode = getenv("CX_MODE") or "lean",
    backend = backend,
    active_model = model_of(backend, getenv, opts.state),
    capture_provider_config = "native",
    capture_provider_resolved = "native",
    capture_external_dependencies = "none",
    budget_chars = stats.parse_u64(getenv("CX_CONTEXT_BUDGET_CHARS")) or 12000,
    budget_lines = stats.parse_u64(getenv("CX_CONTEXT_BUDGET_LINES")) or 300,
    clip_mode = getenv("CX_CONTEXT_CLIP_MODE") or "smart",
    clip_footer = clip_footer(getenv("CX_CONTEXT_CLIP_FOOTER")),
    last_run_id = context.last_run_id(opts.log_file),
    schema_registry_dir = schema_dir,
    schema_registry_files = context.count_files(schema_dir),
    routing_trace = context.ROUTING_TRACE,
  }
end

return context
