--- Reading fields out of decoded run-log rows the way the reference does (diagnostics.md §0.2).
--- A row is whatever JSON value a log line held; fields of anything but an object are absent.
--- "Absent" covers missing, null and wrong type alike.
local json = require "cx.json"

local fields = {}

local function get(row, key)
  if type(row) ~= "table" then return nil end
  return row[key]
end

--- A non-negative JSON integer, or nil (floats such as 100.0, negatives, strings are absent).
function fields.u64(row, key)
  local v = get(row, key)
  if math.type(v) == "integer" and v >= 0 then return v end
  return nil
end

--- A JSON string, or nil.
function fields.str(row, key)
  local v = get(row, key)
  if type(v) == "string" then return v end
  return nil
end

--- A JSON boolean, or nil.
function fields.bool(row, key)
  local v = get(row, key)
  if type(v) == "boolean" then return v end
  return nil
end

--- Trim ASCII whitespace at both ends.
function fields.trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

-- Types of the run-record fields the reference's typed loader checks (types.rs RunEntry). A row
-- whose known field holds another type is dropped by optimize, like the reference does.
local U32_MAX = 4294967295
local typed = {
  u64 = {
    "duration_ms", "input_tokens", "cached_input_tokens", "effective_input_tokens", "output_tokens",
    "system_output_len_raw", "system_output_len_processed", "system_output_len_clipped",
    "system_output_lines_raw", "system_output_lines_processed", "system_output_lines_clipped",
    "schema_attempt", "timeout_secs", "queue_ms", "retry_backoff_ms", "budget_chars", "budget_lines",
  },
  u32 = { "retry_attempt", "retry_max" },
  bool = {
    "timed_out", "clipped", "schema_enforced", "schema_valid", "policy_blocked", "clip_footer", "rtk_used",
  },
  str = {
    "ts", "tool", "cwd", "scope", "repo_root", "prompt_sha256", "prompt_preview", "command_label",
    "capture_provider", "task_id", "task_parent_id", "policy_reason", "retry_reason", "worker_id", "clip_mode",
  },
}

--- Whether a row passes the typed loader: an object whose known fields are absent/null or of
--- the declared type. Returns true, or false and the name of the first offending field.
function fields.typed_ok(row)
  if type(row) ~= "table" or json.is_array(row) then return false, "(not an object)" end
  local function absent(v) return v == nil or v == json.null end
  for _, k in ipairs(typed.u64) do
    local v = row[k]
    if not absent(v) and not (math.type(v) == "integer" and v >= 0) then return false, k end
  end
  for _, k in ipairs(typed.u32) do
    local v = row[k]
    if not absent(v) and not (math.type(v) == "integer" and v >= 0 and v <= U32_MAX) then return false, k end
  end
  for _, k in ipairs(typed.bool) do
    local v = row[k]
    if not absent(v) and type(v) ~= "boolean" then return false, k end
  end
  for _, k in ipairs(typed.str) do
    local v = row[k]
    if not absent(v) and type(v) ~= "string" then return false, k end
  end
  return true
end

return fields
