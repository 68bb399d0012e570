--- Structured runs end to end: load the schema, run the schema pipeline (cx.structured: strict
--- prompt, one retry carrying the reason) through the selected adapter, and record the outcome as the
--- reference does — the quarantine file, the schema_failures.jsonl row and the run rows — with one
--- deviation: adapter failures of structured commands are logged too.
local core = require "cx.core"
local json = require "cx.json"
local adapters = require "cx.adapters"
local config = require "cx.config"
local execute = require "cx.execute"
local paths = require "cx.paths"
local quarantine = require "cx.quarantine"
local registry = require "cx.schema.registry"
local runlog = require "cx.runlog"
local structured = require "cx.structured"

local M = {}

local function merge(into, from)
  for k, v in pairs(from or {}) do into[k] = v end
  return into
end

local function sha(s)
  return core.digest.sha256_hex(s)
end

-- The minimal row the reference writes first on a schema failure (logs.md §2.4).
local function failure_base_row(tool, d, schema, name, reason, qid, task_input)
  return runlog.row(tool, merge(adapters.telemetry(d), {
    schema_enforced = true, schema_name = name, schema_valid = false, schema_ok = false,
    schema_reason = reason, quarantine_id = qid, schema_sha256 = schema.sha256,
    schema_prompt_sha256 = sha(task_input), failure_class = "schema_invalid",
  }))
end

--- Run a structured command. opts = {tool, schema_name, task_input, capture_fields, started_ms}.
--- Returns {ok=true, value, json} or {ok=false, kind="schema"|"adapter"|"setup", message, quarantine_id?,
--- raw?, reason?}.
function M.run(opts)
  local p, perr = paths.resolve()
  if not p then return { ok = false, kind = "setup", message = perr } end
  local schema, serr = registry.load(p.schemas_dir, opts.schema_name)
  if not schema then return { ok = false, kind = "setup", message = serr } end
  local d = execute.descriptor()
  local last
  local function invoke(prompt)
    local sent = execute.filter_prompt(prompt, true)
    last = adapters.run(d, { prompt = sent, mode = "schema", timeout_secs = config.llm_timeout_secs() })
    last.prompt = sent
    if not last.ok then return nil, last.reason, last.class end
    return { text = last.text or "", usage = last.usage }
  end
  local res = structured.run({
    tool = opts.tool, schema = schema, task_input = opts.task_input,
    relaxed = config.u8_bool("CX_SCHEMA_RELAXED", false), invoke = invoke,
  })

  local fields = merge(adapters.telemetry(d), opts.capture_fields)
  fields.schema_enforced = true
  fields.schema_name = schema.name .. ".schema.json"
  fields.schema_sha256 = schema.sha256
  local attempt = res.attempt or (res.attempts and #res.attempts) or 1
  fields.schema_attempt = attempt
  -- The prompt a row describes: the task input when the first attempt succeeded, else the last envelope.
  local sent = (res.ok and attempt == 1) and opts.task_input or (last and last.prompt) or opts.task_input
  merge(fields, execute.prompt_fields(sent, sent))
  fields.schema_prompt_sha256 = last and last.prompt and sha(last.prompt) or json.null
  if last then merge(fields, execute.result_fields(last)) end

  local out
  if res.ok then
    fields.schema_valid, fields.schema_ok = true, true
    out = { ok = true, value = res.value, json = res.json }
  elseif res.kind == "adapter" then
    fields.schema_valid, fields.schema_ok = false, false
    out = { ok = false, kind = "adapter", message = res.error, class = res.class }
  else
    local final = res.attempts[#res.attempts] or {}
    local qid, qerr = quarantine.write(p.quarantine_dir, {
      tool = opts.tool, reason = res.reason, schema = schema.text, prompt = opts.task_input,
      raw_response = final.raw_response or "", attempts = res.attempts,
    })
    if not qid then return { ok = false, kind = "setup", message = qerr } end
    local ok_sf, sferr = runlog.append_schema_failure({
      quarantine_id = qid, raw_sha256 = sha(final.raw_response or ""), reason = res.reason, tool = opts.tool,
    })
    if not ok_sf then return { ok = false, kind = "setup", message = sferr } end
    runlog.append(failure_base_row(opts.tool, d, schema, schema.name, res.reason, qid, opts.task_input))
    fields.schema_valid, fields.schema_ok = false, false
    fields.schema_reason, fields.quarantine_id = res.reason, qid
    fields.failure_class = "schema_invalid"
    out = { ok = false, kind = "schema", quarantine_id = qid, raw = final.raw_response or "", reason = res.reason }
  end
  fields.duration_ms = execute.elapsed_ms(opts.started_ms or core.loop.monotonic_ms())
  runlog.append(runlog.row(opts.tool, fields))
  return out
end

return M
