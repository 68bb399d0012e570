--- The schema execution pipeline shared by every structured command (next, diffsum, commitjson,
--- fix-run, replay): build the envelope, ask the adapter, validate the answer against the schema, and
--- retry once with the failure reason (not in relaxed mode). Adapter-agnostic: the caller passes an
--- `invoke(prompt)` function, so the same pipeline runs over codex, ollama, HTTP or the mock.
local core = require "cx.core"
local json = require "cx.json"
local envelope_prompt = require "cx.schema.envelope_prompt"
local validator = require "cx.schema.validator"

local structured = {}

local function sha256(s)
  return core.digest.sha256_hex(s)
end

--- Check an agent text against a loaded schema. Returns the decoded value, or nil, the failure
--- reason (`empty_agent_message`, `invalid JSON: <msg>`, `schema_validation_failed: <e1> | ...`) and
--- the validator's error list when the JSON did not match.
function structured.check(schema, text)
  if text == nil or not text:find("%S") then return nil, "empty_agent_message" end
  local value, err = json.decode(text)
  if value == nil then return nil, "invalid JSON: " .. tostring(err) end
  local ok, errors = validator.validate(schema.compiled, value)
  if not ok then return nil, validator.reason(errors), errors end
  return value
end

--- Run a structured command. opts:
---   tool        the tool name (for the caller's records)
---   schema      a loaded schema (cx.schema.registry.load)
---   task_input  the task input text
---   relaxed     true for CX_SCHEMA_RELAXED=1: relaxed envelope, no retry
---   max_attempts  1 for a single attempt (replay); default 2 (1 when relaxed)
---   invoke      function(prompt) -> { text = agent_text, usage = ..., ... } | nil, message, class
--- Returns one of
---   { ok = true, value =, json = compact text, attempt = n, attempts =, responses = }
---   { ok = false, kind = "schema", reason =, errors =, raw_response =, attempts =, responses = }
---   { ok = false, kind = "adapter", error =, class =, attempt = n, attempts =, responses = }
--- attempts[i] = { reason, prompt, prompt_sha256, raw_response, raw_sha256 } (the quarantine shape;
--- reason is nil for the attempt that succeeded); responses[i] = what invoke returned.
function structured.run(opts)
  assert(type(opts.invoke) == "function", "structured.run: invoke must be a function")
  assert(opts.schema and opts.schema.compiled, "structured.run: schema must come from registry.load")
  local envelope = envelope_prompt.build(opts.schema.text, opts.task_input or "", opts.relaxed)
  local max_attempts = opts.max_attempts or (opts.relaxed and 1 or 2)
  local attempts, responses = {}, {}
  local prompt = envelope
  local reason, errors, raw
  for n = 1, max_attempts do
    local res, err, class = opts.invoke(prompt)
    if not res then
      return { ok = false, kind = "adapter", error = err, class = class, attempt = n,
        attempts = attempts, responses = responses }
    end
    responses[n] = res
    raw = res.text or ""
    local value
    value, reason, errors = structured.check(opts.schema, raw)
    attempts[n] = { reason = reason, prompt = prompt, prompt_sha256 = sha256(prompt), raw_response = raw,
      raw_sha256 = sha256(raw) }
    if value ~= nil then
      return { ok = true, value = value, json = json.encode(value), attempt = n, attempts = attempts,
        responses = responses }
    end
    prompt = envelope_prompt.retry(envelope, reason)
  end
  return { ok = false, kind = "schema", reason = reason, errors = errors, raw_response = raw, attempts = attempts,
    responses = responses }
end

--- The quarantine record for a failed run (cx.quarantine.write adds id and ts): `prompt` is the task
--- input, `schema` the sorted pretty schema text, `reason`/`raw_response` those of the last attempt.
function structured.quarantine_record(opts, result)
  local raw = result.raw_response or ""
  return {
    tool = opts.tool,
    reason = result.reason,
    schema = opts.schema.text,
    prompt = opts.task_input or "",
    prompt_sha256 = sha256(opts.task_input or ""),
    raw_response = raw,
    raw_sha256 = sha256(raw),
    attempts = result.attempts or {},
  }
end

--- Record a failed run as the reference does (logs.md §6.4 steps 1-2, in that order): the quarantine
--- file, then the schema_failures.jsonl row. where = { quarantine_dir, schema_failures_file }.
--- Returns the quarantine id and the written record, or nil and the first error
--- (`failed to write <path>: ...`). The run-log rows (step 3) are the caller's.
function structured.record_failure(opts, result, where)
  local quarantine = require "cx.quarantine"
  local runlog = require "cx.runlog"
  local id, path_or_err, rec = quarantine.write(where.quarantine_dir, structured.quarantine_record(opts, result))
  if not id then return nil, path_or_err end
  local ok, err = runlog.append_schema_failure({ quarantine_id = id, raw_sha256 = rec.raw_sha256, reason = rec.reason,
    tool = rec.tool, ts = rec.ts }, where.schema_failures_file)
  if not ok then return nil, err end
  return id, rec
end

return structured
