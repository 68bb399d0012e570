--- `cx parity`: run the same LLM commands through cx and through a reference implementation (the
--- earlier `cxrs`, or any program that answers `<prog> cx-compat <cmd> ...`) in a throw-away git
--- repository on the mock adapter, and compare: exit status, the JSON keys of structured output, the
--- run-log row each run appended, and the context budget. Processes are run directly (no shell).
local core = require "cx.core"
local json = require "cx.json"
local capture = require "cx.capture"
local clipboard = require "cx.clipboard"
local config = require "cx.config"

local parity = {}

local MOCK = {
  next = '{"commands":["echo parity"]}',
  diffsum = '{"title":"parity","summary":["parity"],"risk_edge_cases":["none"],"suggested_tests":["echo ok"]}',
  commitjson = '{"subject":"parity","body":["parity"],"breaking":false,"scope":null,"tests":["echo ok"]}',
  fixrun = '{"analysis":"parity","commands":["echo parity-fix"]}',
}

-- name, args, mock reply, required JSON keys of stdout
parity.CASES = {
  { "cxo", { "echo", "hi" } },
  { "cx", { "echo", "hi" } },
  { "cxj", { "echo", "hi" } },
  { "cxol", { "echo", "hi" } },
  { "cxcopy", { "echo", "hi" }, nil, nil, "clipboard" },
  { "cxnext", { "echo", "hi" }, MOCK.next },
  { "cxdiffsum", {}, MOCK.diffsum },
  { "cxdiffsum_staged", {}, MOCK.diffsum },
  { "cxfix_run", { "echo", "parity-fix" }, MOCK.fixrun },
  { "cxcommitmsg", {}, MOCK.commitjson },
  { "cxcommitjson", {}, MOCK.commitjson, { "subject", "body", "breaking", "scope", "tests" } },
}

parity.ROW_KEYS = { "execution_id", "backend_used", "capture_provider", "execution_mode", "schema_enforced",
  "schema_valid", "duration_ms" }

--- Remove a directory tree without following symlinks (a link is unlinked, never entered).
function parity.remove_tree(path)
  if os.remove(path) then return true end
  local st = core.fs.stat(path)
  if not st or st.type ~= "dir" then return nil, "cannot remove " .. path end
  for _, name in ipairs(core.fs.list_dir(path) or {}) do
    local ok, err = parity.remove_tree(path .. "/" .. name)
    if not ok then return nil, err end
  end
  local ok, err = os.remove(path)
  if not ok then return nil, tostring(err) end
  return true
end

local function run(argv, opts)
  return capture.run(argv, { label = "cxparity " .. argv[1], cwd = opts.cwd, env_set = opts.env,
    timeout_secs = config.timeout_for("cxparity") })
end

--- Make the temporary repository: git init, one staged file changed again (unstaged), the
--- repository's schemas copied. Returns dir, or nil, message, the directory to clean up.
function parity.setup(schemas_from)
  local base = os.getenv("TMPDIR") or "/tmp"
  local dir = string.format("%s/cxparity-%d-%s", base, core.fs.pid(), core.fs.random_hex(4) or "0")
  local ok, err = core.fs.mkdir_p(dir .. "/.codex/schemas")
  if not ok then return nil, "cannot create " .. dir .. ": " .. tostring(err) end
  local steps = { { "git", "init", "-q", dir }, { "git", "-C", dir, "add", "cxparity_tmp.txt" } }
  ok, err = core.fs.write_atomic(dir .. "/cxparity_tmp.txt", "parity\n")
  if not ok then return nil, tostring(err), dir end
  for _, argv in ipairs(steps) do
    local r, rerr = run(argv, {})
    if not r or r.exit_code ~= 0 then
      return nil, table.concat(argv, " ", 1, 2) .. " failed: " .. (rerr or r.stderr), dir
    end
  end
  -- a change on top of the staged file, so both diffsum and diffsum-staged have a diff to summarize
  ok, err = core.fs.write_atomic(dir .. "/cxparity_tmp.txt", "parity\nchanged\n")
  if not ok then return nil, tostring(err), dir end
  for _, name in ipairs(schemas_from and core.fs.list_dir(schemas_from) or {}) do
    if name:match("%.json$") then
      local f = io.open(schemas_from .. "/" .. name, "rb")
      local text = f and f:read(4 * 1048576)
      if f then f:close() end
      if text then core.fs.write_atomic(dir .. "/.codex/schemas/" .. name, text) end
    end
  end
  return dir
end

local function size_of(path)
  local st = core.fs.stat(path)
  return st and st.size or 0
end

local function last_row(path, from)
  local f = io.open(path, "rb")
  if not f then return nil end
  f:seek("set", from)
  local text = f:read(16 * 1048576) or ""
  f:close()
  local last
  for line in text:gmatch("[^\n]+") do last = json.decode(line) or last end
  return type(last) == "table" and last or nil
end

-- Run one side of a case and judge it.
local function side(prefix, case, dir, env)
  local log = dir .. "/.codex/cxlogs/runs.jsonl"
  local before = size_of(log)
  local argv = {}
  for _, a in ipairs(prefix) do argv[#argv + 1] = a end
  argv[#argv + 1] = "cx-compat"
  argv[#argv + 1] = case[1]
  for _, a in ipairs(case[2]) do argv[#argv + 1] = a end
  local r, err = run(argv, { cwd = dir, env = env })
  if not r then return { ok = false, json_ok = false, logs_ok = false, budget_ok = false, error = err } end
  local s = { ok = r.exit_code == 0 and not r.signal, json_ok = true, logs_ok = false, budget_ok = false }
  if case[4] then
    local doc = json.decode(r.stdout)
    for _, k in ipairs(case[4]) do
      if type(doc) ~= "table" or doc[k] == nil then s.json_ok = false end
    end
  end
  local row = last_row(log, before)
  if row then
    s.logs_ok = true
    for _, k in ipairs(parity.ROW_KEYS) do
      if row[k] == nil or row[k] == json.null then s.logs_ok = false end
    end
  end
  local budget = config.uint("CX_CONTEXT_BUDGET_CHARS") or 12000
  s.budget_ok = (utf8.len(r.stdout) or #r.stdout) <= budget or (row ~= nil and row.clipped == true)
  return s
end

--- Run every case both implementations support. self and ref are argv prefixes. Returns the rows
--- { {cmd, cx, ref, json, logs, budget, pass} } or nil, message.
function parity.compare(self, ref, dir, supported)
  local rows = {}
  local has_clipboard = #clipboard.available() > 0
  for _, case in ipairs(parity.CASES) do
    if supported(case[1]) and (case[5] ~= "clipboard" or has_clipboard) then
      local env = { CX_CAPTURE_PROVIDER = "native", CX_NATIVE_REDUCE = "0", CX_PROVIDER_ADAPTER = "mock",
        CX_MOCK_PLAIN_RESPONSE = case[3] or "parity ok" }
      env.CX_EXECUTION_PATH = "native:cxparity"
      local a = side(self, case, dir, env)
      env.CX_EXECUTION_PATH = "reference:cxparity"
      local b = side(ref, case, dir, env)
      local row = { cmd = case[1], cx = a.ok, ref = b.ok, json = a.json_ok and b.json_ok,
        logs = a.logs_ok and b.logs_ok, budget = a.budget_ok and b.budget_ok }
      row.pass = row.cx and row.ref and row.json and row.logs and row.budget
      rows[#rows + 1] = row
    end
  end
  if #rows == 0 then return nil, "no overlap commands found" end
  return rows
end

return parity
