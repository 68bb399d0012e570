--- Run-log rows: build a row with every contract key and the base fields the reference's writer
--- fills, append it (compact, sorted keys, one line) through the native writer, read the last rows
--- back, and record schema failures. Appending never raises: I/O trouble comes back as nil, message.
local core = require "cx.core"
local json = require "cx.json"
local config = require "cx.config"
local context = require "cx.context"
local contract = require "cx.log_contract"
local paths = require "cx.paths"
local redact = require "cx.redact"
local state = require "cx.state"

local fs = core.fs
local runlog = {}

local U32_MAX = 4294967295

--- Now as UTC `YYYY-MM-DDTHH:MM:SSZ`.
function runlog.timestamp(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

--- The tool name with every character outside [A-Za-z0-9_-] replaced by `_`.
function runlog.sanitize_tool(tool)
  return (tostring(tool):gsub("[^%w_%-]", "_"))
end

--- `<YYYYMMDDTHHMMSSZ>_<tool>_<pid>_<8 hex>`: the reference's prefix plus a random suffix, so two
--- rows of one process in the same second never share an id.
function runlog.new_execution_id(tool, t)
  local rnd = fs.random_hex(4) or string.format("%08x", math.random(0, 0x7fffffff))
  return string.format("%s_%s_%d_%s", os.date("!%Y%m%dT%H%M%SZ", t), runlog.sanitize_tool(tool),
    fs.pid(), rnd)
end

local function env_text(name)
  return config.env_text(name) or json.null
end

local function env_uint(name, max)
  return config.parse_uint(config.env_text(name), max) or json.null
end

local function env_json(name)
  local text = context.getenv(name)
  if text == nil then return json.null end
  local v = json.decode(text)
  if v == nil then return json.null end
  return v
end

local function runtime_text(doc, key)
  local rt = type(doc) == "table" and doc.runtime
  local v = type(rt) == "table" and rt[key] or nil
  if type(v) == "string" and v:match("%S") then return v end
  return json.null
end

--- The context part of a row: cwd/scope/repo, backend and model, route, mode, task and the
--- CX_TASK_* orchestration variables.
local function base_fields(tool, now)
  local p = paths.resolve()
  local doc = state.load() -- a broken state.json must not stop logging: it just contributes nothing
  local backend = config.backend(doc)
  local model = config.model(doc, backend)
  local ts = runlog.timestamp(now)
  return {
    execution_id = runlog.new_execution_id(tool, now),
    timestamp = ts,
    ts = ts,
    command = tool,
    tool = tool,
    cwd = p and p.cwd or (fs.getcwd() or ""),
    scope = p and p.scope or "global",
    repo_root = p and p.root or "",
    backend_used = backend,
    llm_backend = backend,
    backend_selected = backend,
    llm_model = model ~= "" and model or json.null,
    model_selected = model ~= "" and model or json.null,
    route_policy = config.route_policy(doc),
    route_reason = config.route_reason(doc, backend),
    execution_mode = config.execution_mode(),
    schema_enforced = contract.SCHEMA_TOOLS[tool] == true,
    schema_valid = true,
    schema_ok = true,
    task_id = config.env_text("CX_TASK_ID") or runtime_text(doc, "current_task_id"),
    task_parent_id = config.env_text("CX_TASK_PARENT_ID") or runtime_text(doc, "current_task_parent_id"),
    worker_id = env_text("CX_TASK_WORKER_ID"),
    queue_ms = env_uint("CX_TASK_QUEUE_MS"),
    replica_index = env_uint("CX_TASK_REPLICA_INDEX", U32_MAX),
    replica_count = env_uint("CX_TASK_REPLICA_COUNT", U32_MAX),
    converge_mode = env_text("CX_TASK_CONVERGE_MODE"),
    converge_winner = env_text("CX_TASK_CONVERGE_WINNER"),
    converge_votes = env_json("CX_TASK_CONVERGE_VOTES"),
    retry_attempt = env_uint("CX_TASK_RETRY_ATTEMPT", U32_MAX),
    retry_max = env_uint("CX_TASK_RETRY_MAX", U32_MAX),
    retry_reason = env_text("CX_TASK_RETRY_REASON"),
    retry_backoff_ms = env_uint("CX_TASK_RETRY_BACKOFF_MS"),
  }
end

-- Legacy duplicates: overriding one name of a pair overrides the other unless both are given.
local TWINS = {
  { "timestamp", "ts" }, { "command", "tool" }, { "backend_used", "llm_backend" },
  { "schema_valid", "schema_ok" }, { "prompt_sha256", "prompt_sha256_filtered" },
}

--- A row for tool: every contract key (json.null when unset), the base fields, the run context's
--- fields (cx.context: a task attempt's run_id, wave, times), then `fields` (which win; use
--- json.null to clear a base field). now (os.time() value) fixes the clock.
function runlog.row(tool, fields, now)
  fields = fields or {}
  local row = {}
  for _, k in ipairs(contract.ROW_KEYS) do row[k] = json.null end
  for k, v in pairs(base_fields(tool, now)) do row[k] = v end
  for k, v in pairs(context.row_fields() or {}) do row[k] = v end
  for k, v in pairs(fields) do row[k] = v end
  for _, pair in ipairs(TWINS) do
    local a, b = pair[1], pair[2]
    if fields[a] ~= nil and fields[b] == nil then row[b] = fields[a] end
    if fields[b] ~= nil and fields[a] == nil then row[a] = fields[b] end
  end
  return row
end

local function blank(v)
  return type(v) ~= "string" or not v:match("%S")
end

--- Why a row may not be written, or nil. Unlike the reference, a schema failure row without a
--- quarantine_id is accepted: adapter failures of structured commands are logged too.
function runlog.check(row)
  if type(row) ~= "table" then return "execution log row is not a table" end
  for _, k in ipairs(contract.NON_BLANK_KEYS) do
    if blank(row[k]) then return "execution log missing " .. k end
  end
  return nil
end

local function log_path(path)
  if path then return path end
  local p, err = paths.resolve()
  if not p then return nil, err end
  return p.log_file
end

local function append_line(path, line)
  local native = core.runlog
  if not native then return nil, "run log writer unavailable" end
  local ok, err = native.append(path, line)
  if not ok then return nil, err end
  return true
end

-- Rows that could not be written in this process, for the CLI to report (a run never fails for it).
local lost = {}

--- Append a row to the run log (default paths.resolve().log_file). Every string of the row passes
--- through cx.redact first. Returns true or nil, message; a failure is also remembered for
--- runlog.take_failures().
function runlog.append(row, path)
  local why = runlog.check(row)
  local ok, err, line, file
  if why then
    err = why
  else
    file, err = log_path(path)
    if file then
      ok, line = pcall(redact.encode, row, json.encode)
      if ok then
        ok, err = append_line(file, line)
      else
        err = "cannot encode run log row: " .. tostring(line)
      end
    end
  end
  if ok then
    context.note_row(row)
    return true
  end
  lost[#lost + 1] = err
  return nil, err
end

--- The messages of rows that could not be written since the last call (and forget them).
function runlog.take_failures()
  local out = lost
  lost = {}
  return out
end

--- Append one line to schema_failures.jsonl: {quarantine_id, raw_sha256, reason, tool, ts}.
function runlog.append_schema_failure(record, path)
  if type(record) ~= "table" or blank(record.quarantine_id) or blank(record.tool) then
    return nil, "schema failure record needs quarantine_id and tool"
  end
  if not path then
    local p, err = paths.resolve()
    if not p then return nil, err end
    path = p.schema_failures_file
  end
  local line = redact.encode({
    quarantine_id = record.quarantine_id,
    raw_sha256 = record.raw_sha256 or json.null,
    reason = record.reason or json.null,
    tool = record.tool,
    ts = record.ts or runlog.timestamp(),
  }, json.encode)
  return append_line(path, line)
end

--- The decoded values of the last n non-blank lines that parse as JSON (the tolerant reader of
--- the reference: non-objects count, unparseable lines are skipped and counted). Reads only the
--- tail of the file. Returns rows (file order), info {log_file, exists, skipped, torn, offsets =
--- {byte offset of each row's line}}; or nil, message.
function runlog.read_window(n, path)
  local file, err = log_path(path)
  if not file then return nil, err end
  local info = { log_file = file, exists = false, skipped = 0, torn = false }
  if not fs.exists(file) then return {}, info end
  info.exists = true
  local native = core.runlog
  if not native then return nil, "run log reader unavailable" end
  local fetch = n
  while true do
    local lines, meta_or_err, class = native.tail(file, fetch)
    if not lines then
      if class == "not_found" then
        info.exists = false
        return {}, info
      end
      return nil, meta_or_err
    end
    local rows, offsets, skipped = {}, {}, 0
    local line_offsets = meta_or_err and meta_or_err.offsets or {}
    for i = #lines, 1, -1 do
      if #rows == n then break end
      local v = utf8.len(lines[i]) and json.decode(lines[i])
      if v == nil then
        skipped = skipped + 1
      else
        rows[#rows + 1] = v
        offsets[#rows] = line_offsets[i]
      end
    end
    -- Fewer rows than asked while the tail was full: unparseable lines took places; read further.
    if #rows < n and #lines == fetch and skipped > 0 then
      fetch = fetch + (n - #rows) * 2
    else
      local ordered, ordered_offsets = {}, {}
      for i = #rows, 1, -1 do
        ordered[#ordered + 1] = rows[i]
        ordered_offsets[#ordered] = offsets[i]
      end
      info.skipped = skipped
      info.torn = meta_or_err and meta_or_err.torn or false
      info.offsets = ordered_offsets
      return ordered, info
    end
  end
end

return runlog
