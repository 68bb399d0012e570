--- `logs migrate`: rewrite a run log so every row has the full contract, keys in declaration order
--- (as the reference's struct serializer writes them). Streams the input; writes a temporary file
--- beside the target and renames it into place. In place, the whole rewrite runs under the writers'
--- lock (cx.core.runlog.lock), so rows appended meanwhile wait and then land in the new log.
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

--- The normalized row for a decoded object, and whether the input was modern (had execution_id
--- and timestamp).
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
  return out, modern
end

--- One compact line with keys in declaration order (the 82, then cx's additions).
function migrate.encode(row)
  local parts = {}
  for _, k in ipairs(contract.ROW_KEYS) do
    parts[#parts + 1] = json.encode(k) .. ":" .. json.encode(row[k])
  end
  return "{" .. table.concat(parts, ",") .. "}"
end

--- `<path without its last extension>.<ext>`, like Rust's Path::with_extension.
function migrate.with_extension(path, ext)
  local dir, name = path:match("^(.*/)([^/]*)$")
  if not dir then dir, name = "", path end
  local stem = name:match("^(.+)%.[^.]*$") or name
  return dir .. stem .. "." .. ext
end

local function copy_file(src, dst)
  local fin, err = io.open(src, "rb")
  if not fin then return nil, "cannot read " .. src .. ": " .. tostring(err) end
  local fout
  fout, err = io.open(dst, "wb")
  if not fout then
    fin:close()
    return nil, "cannot write " .. dst .. ": " .. tostring(err)
  end
  while true do
    local chunk = fin:read(1 << 16)
    if not chunk then break end
    local ok, werr = fout:write(chunk)
    if not ok then
      fin:close()
      fout:close()
      os.remove(dst)
      return nil, "cannot write " .. dst .. ": " .. tostring(werr)
    end
  end
  fin:close()
  local ok, cerr = fout:close()
  if not ok then return nil, "cannot write " .. dst .. ": " .. tostring(cerr) end
  return true
end

-- lock: the held writers' lock of log when migrating in place (a second reader would wait for it).
local function convert(log, tmp, summary, lock)
  local step, box, init, closing
  if lock then
    step, box, init, closing = lock:lines()
  else
    step, box, init, closing = core.runlog.lines(log)
  end
  if not step then return nil, box end
  local out, err = io.open(tmp, "wb")
  if not out then return nil, "cannot write " .. tmp .. ": " .. tostring(err) end
  local failure
  local ok, ierr = pcall(function()
    for lineno, text in step, box, init, closing do
      if not utf8.len(text) then
        failure = string.format("line %d: read error: stream did not contain valid UTF-8", lineno)
        return
      end
      if text:find("%S") then
        summary.entries_in = summary.entries_in + 1
        local v = json.decode(text)
        if v == nil then
          summary.invalid_json_skipped = summary.invalid_json_skipped + 1
        elseif type(v) ~= "table" or json.is_array(v) then
          failure = string.format("line %d: run log row is not an object", lineno)
          return
        else
          local row, modern = migrate.normalize(v)
          local wok, werr = out:write(migrate.encode(row), "\n")
          if not wok then
            failure = "cannot write " .. tmp .. ": " .. tostring(werr)
            return
          end
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
  local cok, cerr = out:close()
  if not ok then failure = tostring(ierr) end
  if not failure and not cok then failure = "cannot write " .. tmp .. ": " .. tostring(cerr) end
  if failure then
    os.remove(tmp)
    return nil, failure
  end
  return true
end

-- The rewrite itself; lock is held throughout when migrating in place.
local function rewrite(log, target, opts, summary, lock)
  local tmp = migrate.with_extension(target, "jsonl.tmp")
  local ok, err = convert(log, tmp, summary, lock)
  if not ok then return nil, err end
  local rok, rerr = os.rename(tmp, target)
  if not rok then
    os.remove(tmp)
    return nil, "cannot rename " .. tmp .. " to " .. target .. ": " .. tostring(rerr)
  end
  if opts.in_place then
    local bak = migrate.with_extension(log, "jsonl.bak." .. os.date("!%Y%m%dT%H%M%SZ", opts.now))
    ok, err = copy_file(log, bak)
    if not ok then return nil, err end
    rok, rerr = os.rename(target, log)
    if not rok then return nil, "cannot rename " .. target .. " to " .. log .. ": " .. tostring(rerr) end
    summary.backup = bak
  end
  return summary
end

--- Migrate log into target (default `<log dir>/runs.migrated.jsonl`); with in_place, back the log up
--- to `<log>.bak.<UTC stamp>` and replace it. Returns the summary {in_, out, entries_in, entries_out,
--- invalid_json_skipped, legacy_normalized, modern_normalized, backup?}, or nil, message.
---
--- In place, the writers' lock on log is taken before reading and kept until the new log has been
--- renamed over it: appenders wait, then find the log replaced and append to the new one (see
--- docs/runlog.md), so no row is lost. Readers wait for it at most about 2 s, then read the old file.
function migrate.run(log, opts)
  opts = opts or {}
  local target = opts.out or ((log:match("^(.*/)") or "") .. "runs.migrated.jsonl")
  local summary = { input = log, output = target, entries_in = 0, entries_out = 0,
    invalid_json_skipped = 0, legacy_normalized = 0, modern_normalized = 0 }
  if not opts.in_place then return rewrite(log, target, opts, summary) end
  local lock <close>, err = core.runlog.lock(log)
  if not lock then return nil, err end
  local result, rerr = rewrite(log, target, opts, summary, lock)
  lock:unlock()
  return result, rerr
end

return migrate
