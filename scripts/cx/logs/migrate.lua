--- `logs migrate`: rewrite a run log so every row has the full contract, keys in declaration order
--- (as the reference's struct serializer writes them), losing nothing: keys outside the contract
--- are carried over, every original value the contract could not keep as it was is recorded in the
--- row's legacy_fields, and lines that are not rows go verbatim to a rejects file. Streams the
--- input into a crash-safe file (cx.core.atomicfile: temp + fsync + rename). In place, the whole
--- rewrite runs under the writers' lock (cx.core.runlog.lock), so rows appended meanwhile wait and
--- then land in the new log; the backup never overwrites an earlier one.
local core = require "cx.core"
local json = require "cx.json"
local contract = require "cx.log_contract"
local adapter_status = require "cx.adapters.status"

local migrate = {}

local function str(v)
  if type(v) == "string" then return v end
  return nil
end

local function bool(v)
  if type(v) == "boolean" then return v end
  return nil
end

-- Keys copied when their value has the contract type (else null); the base keys are set explicitly
-- below. Unlike the reference, which reset the routing, task, prompt-filter and run-all keys to null,
-- nothing a row carries with the right type is lost (docs/compat.md).
local COPIED = {
  "llm_model", "adapter_type", "provider_transport", "http_provider_format", "http_parser_mode",
  "capture_provider", "duration_ms", "schema_name", "schema_reason", "quarantine_id", "task_id",
  "task_parent_id", "input_tokens", "cached_input_tokens", "effective_input_tokens", "output_tokens",
  "system_output_len_raw", "system_output_len_processed", "system_output_len_clipped",
  "system_output_lines_raw", "system_output_lines_processed", "system_output_lines_clipped",
  "clipped", "budget_chars", "budget_lines", "clip_mode", "clip_footer", "rtk_used", "prompt_sha256",
  "schema_prompt_sha256", "schema_sha256", "schema_attempt", "timed_out", "timeout_secs",
  "command_label", "prompt_preview", "policy_blocked", "policy_reason", "retry_attempt", "retry_max",
  "retry_reason", "retry_backoff_ms", "adapter_id", "failure_class", "http_status",
  "backend_selected", "model_selected", "route_policy", "route_reason", "worker_id", "replica_index",
  "replica_count", "converge_mode", "converge_winner", "converge_votes", "queue_ms", "prompt_sha256_raw",
  "prompt_sha256_filtered", "prompt_len_raw", "prompt_len_filtered", "prompt_filter_applied",
  "run_all_mode", "halt_on_critical", "run_all_scheduled", "run_all_complete", "run_all_failed",
  "run_all_blocked", "run_all_retryable_failures", "run_all_non_retryable_failures", "run_all_critical_errors",
}

local OPTIONAL = {}
for _, k in ipairs(contract.OPTIONAL_KEYS) do OPTIONAL[k] = true end

-- Same JSON value: the decoded value itself (tables are carried over, never rebuilt), and numbers
-- of the same kind (1 and 1.0 encode differently).
local function same(a, b)
  if type(a) == "number" and type(b) == "number" then return math.type(a) == math.type(b) and a == b end
  return a == b
end

-- Record an original value the output could not keep under its own key. A key already recorded by
-- an earlier migration keeps its entry; a different value goes under `<key>~2`, `<key>~3` ...
local function record(legacy, k, v)
  local name, n = k, 1
  while legacy[name] ~= nil and not same(legacy[name], v) do
    n = n + 1
    name = k .. "~" .. n
  end
  legacy[name] = v
end

--- The normalized row for a decoded object: returns the row (contract keys), whether the input was
--- modern (had execution_id and timestamp), the sorted names of its keys outside the contract
--- (carried over unchanged) and legacy_fields (the original value of every contract key whose
--- value had to change: wrong type, normalized, filled from its legacy twin), or nil when none.
function migrate.normalize(obj)
  local modern = obj.execution_id ~= nil and obj.timestamp ~= nil
  local out = {}
  for _, k in ipairs(contract.ROW_KEYS) do out[k] = json.null end
  for _, k in ipairs(COPIED) do
    if obj[k] ~= nil and contract.check_type(k, obj[k]) then out[k] = obj[k] end
  end
  local ts = str(obj.timestamp) or str(obj.ts) or ""
  local command = str(obj.command) or str(obj.tool) or "unknown"
  local cwd = str(obj.cwd) or ""
  out.timestamp, out.ts = ts, ts
  out.command, out.tool = command, command
  out.cwd = cwd
  out.scope = str(obj.scope) or "repo"
  out.repo_root = str(obj.repo_root) or ""
  local backend = str(obj.backend_used) or str(obj.llm_backend) or "codex"
  out.backend_used, out.llm_backend = backend, backend
  local id = str(obj.execution_id)
  if not id or id == "" then
    id = "legacy_" .. core.digest.sha256_hex(command .. "|" .. ts .. "|" .. cwd)
  end
  out.execution_id = id
  out.execution_mode = str(obj.execution_mode) or (modern and "lean" or "legacy")
  local schema_valid = bool(obj.schema_valid)
  if schema_valid == nil then schema_valid = bool(obj.schema_ok) end
  if schema_valid == nil then schema_valid = true end
  out.schema_valid = schema_valid
  local enforced = bool(obj.schema_enforced)
  if enforced == nil then enforced = false end
  out.schema_enforced = enforced
  local ok = bool(obj.schema_ok)
  if ok == nil then ok = schema_valid end -- the legacy name of schema_valid (the reference said true)
  out.schema_ok = ok
  out.provider_status = adapter_status.logged(obj.provider_status)

  local legacy = {}
  local old = obj.legacy_fields
  if type(old) == "table" and not json.is_array(old) then
    for k, v in pairs(old) do legacy[k] = v end
  end
  local extra = {}
  for k, v in pairs(obj) do
    if k == "legacy_fields" then
      if v ~= json.null and not (type(v) == "table" and not json.is_array(v)) then record(legacy, k, v) end
    elseif OPTIONAL[k] then
      if contract.check_type(k, v) then out[k] = v else record(legacy, k, v) end
    elseif contract.TYPES[k] then
      if not same(out[k], v) then record(legacy, k, v) end
    else
      extra[#extra + 1] = k
      out[k] = v
    end
  end
  table.sort(extra)
  if next(legacy) ~= nil then out.legacy_fields = legacy end
  return out, modern, extra
end

--- One compact line: the contract's keys in declaration order (the reference's 82, then cx's),
--- the optional keys the row has, its keys outside the contract (sorted), then legacy_fields.
function migrate.encode(row, extra)
  local parts = {}
  local function add(k) parts[#parts + 1] = json.encode(k) .. ":" .. json.encode(row[k]) end
  for _, k in ipairs(contract.ROW_KEYS) do add(k) end
  for _, k in ipairs(contract.OPTIONAL_KEYS) do
    if k ~= "legacy_fields" and row[k] ~= nil then add(k) end
  end
  for _, k in ipairs(extra or {}) do add(k) end
  if row.legacy_fields ~= nil then add("legacy_fields") end
  return "{" .. table.concat(parts, ",") .. "}"
end

--- `<path without its last extension>.<ext>`, like Rust's Path::with_extension.
function migrate.with_extension(path, ext)
  local dir, name = path:match("^(.*/)([^/]*)$")
  if not dir then dir, name = "", path end
  local stem = name:match("^(.+)%.[^.]*$") or name
  return dir .. stem .. "." .. ext
end

-- A crash-safe copy of src published under a name nothing else holds (base, base.1, ...).
local function backup(src, base)
  local out, err = core.atomicfile.open(base)
  if not out then return nil, err end
  local fin
  fin, err = io.open(src, "rb")
  if not fin then
    out:abort()
    return nil, "cannot read " .. src .. ": " .. tostring(err)
  end
  while true do
    local chunk = fin:read(1 << 16)
    if not chunk then break end
    local ok, werr = out:write(chunk)
    if not ok then
      fin:close()
      out:abort()
      return nil, werr
    end
  end
  fin:close()
  return out:commit_new()
end

-- Reads every line of the log (through the held writers' lock when migrating in place), writes the
-- normalized rows to out and every line that is not an object row, verbatim, to the rejects file
-- (opened on the first one).
local function convert(log, out, rejects, summary, lock)
  local step, box, init, closing
  if lock then
    step, box, init, closing = lock:lines()
  else
    step, box, init, closing = core.runlog.lines(log)
  end
  if not step then return nil, box end
  local failure
  local function put(file, text)
    local ok, err = file:write(text)
    if not ok then failure = err end
    return ok
  end
  local ok, ierr = pcall(function()
    for _, text in step, box, init, closing do
      if text:find("%S") then
        summary.entries_in = summary.entries_in + 1
        local utf8_ok = utf8.len(text) ~= nil
        local v = utf8_ok and json.decode(text) or nil
        if v == nil or type(v) ~= "table" or json.is_array(v) then
          if utf8_ok and v == nil then summary.invalid_json_skipped = summary.invalid_json_skipped + 1 end
          summary.rejected = summary.rejected + 1
          local file, err = rejects()
          if not file then
            failure = err
            return
          end
          if not put(file, text .. "\n") then return end
        else
          local row, modern, extra = migrate.normalize(v)
          if not put(out, migrate.encode(row, extra) .. "\n") then return end
          summary.entries_out = summary.entries_out + 1
          if modern then
            summary.modern_normalized = summary.modern_normalized + 1
          else
            summary.legacy_normalized = summary.legacy_normalized + 1
          end
        end
      end
    end
  end)
  if not ok then failure = tostring(ierr) end
  if failure then return nil, failure end
  return true
end

-- The rewrite itself; lock is held throughout when migrating in place. Everything is published
-- in an order a crash cannot hurt: the rejects and the backup (new names, never overwriting) before
-- the output replaces its target (rename); until then the log is untouched.
local function rewrite(log, target, opts, summary, lock)
  local out, err = core.atomicfile.open(target)
  if not out then return nil, err end
  local rej
  local function rejects()
    if not rej then
      local rerr
      rej, rerr = core.atomicfile.open(target .. ".rejects")
      if not rej then return nil, rerr end
    end
    return rej
  end
  local ok
  ok, err = convert(log, out, rejects, summary, lock)
  if ok and rej then
    summary.rejects, err = rej:commit_new()
    ok = summary.rejects ~= nil
  end
  if ok and opts.in_place then
    summary.backup, err = backup(log, migrate.with_extension(log, "jsonl.bak." .. os.date("!%Y%m%dT%H%M%SZ", opts.now)))
    ok = summary.backup ~= nil
  end
  if ok then ok, err = out:commit() end
  if not ok then
    out:abort()
    if rej then rej:abort() end
    return nil, err
  end
  return summary
end

--- Migrate log into target (default `<log dir>/runs.migrated.jsonl`); in place, back the log up
--- to `<log>.bak.<UTC stamp>` (or `.1`, `.2` ... when taken) and replace it. Lines that are not
--- object rows go, verbatim, to `<target>.rejects` (the first free name likewise). Returns the
--- summary {input, output, entries_in, entries_out, invalid_json_skipped, rejected,
--- legacy_normalized, modern_normalized, rejects?, backup?}, or nil, message.
---
--- In place, the writers' lock on log is taken before reading and kept until the new log has been
--- renamed over it: appenders wait, then find the log replaced and append to the new one (see
--- docs/runlog.md), so no row is lost. Readers wait for it at most about 2 s, then read the old file.
function migrate.run(log, opts)
  opts = opts or {}
  local target = opts.in_place and log or opts.out or ((log:match("^(.*/)") or "") .. "runs.migrated.jsonl")
  local summary = { input = log, output = opts.out or target, entries_in = 0, entries_out = 0,
    invalid_json_skipped = 0, rejected = 0, legacy_normalized = 0, modern_normalized = 0 }
  if not opts.in_place then return rewrite(log, target, opts, summary) end
  local lock <close>, err = core.runlog.lock(log)
  if not lock then return nil, err end
  local result, rerr = rewrite(log, target, opts, summary, lock)
  lock:unlock()
  return result, rerr
end

return migrate
