--- Structured runs end to end: load the schema, run the schema pipeline (cx.structured: strict
--- prompt, one retry carrying the reason) through the selected adapter, and record the outcome as the
--- reference does — the quarantine file, the schema_failures.jsonl row and the run rows — with two
--- deviations: adapter failures of structured commands are logged, and so are replays.
local core = require "cx.core"
local json = require "cx.json"
local adapters = require "cx.adapters"
local config = require "cx.config"
local execute = require "cx.execute"
local paths = require "cx.paths"
local progress = require "cx.progress"
local quarantine = require "cx.quarantine"
local registry = require "cx.schema.registry"
local runlog = require "cx.runlog"
local structured = require "cx.structured"
local validator = require "cx.schema.validator"

local M = {}

local function merge(into, from)
  for k, v in pairs(from or {}) do into[k] = v end
  return into
end

local function sha(s)
  return core.digest.sha256_hex(s)
end

local function blank(s)
  return type(s) ~= "string" or not s:find("%S")
end

-- The minimal row the reference writes first on a schema failure (logs.md §2.4).
local function failure_base_row(tool, d, schema, reason, qid, task_input)
  return runlog.row(tool, merge(adapters.telemetry(d), {
    schema_enforced = true, schema_name = schema.base or json.null, schema_valid = false, schema_ok = false,
    schema_reason = reason, quarantine_id = qid, schema_sha256 = schema.sha256,
    schema_prompt_sha256 = sha(task_input), failure_class = "schema_invalid",
  }))
end

-- Run the pipeline through the adapter of descriptor d. Returns the pipeline result and the last
-- adapter result (with the prompt actually sent).
local function pipeline(d, schema, opts)
  local last
  local function invoke(prompt)
    local sent = execute.filter_prompt(prompt, true)
    last = adapters.run(d, { prompt = sent, mode = "schema", timeout_secs = config.llm_timeout_secs(),
      progress = progress.ticker(d.name) })
    last.prompt = sent
    if not last.ok then return nil, last.reason, last.class end
    return { text = last.text or "", usage = last.usage }
  end
  local res = structured.run({
    tool = opts.tool, schema = schema, task_input = opts.task_input, invoke = invoke,
    relaxed = config.u8_bool("CX_SCHEMA_RELAXED", false), max_attempts = opts.max_attempts,
  })
  return res, last
end

-- Record the outcome of a pipeline run: the rows, and the quarantine on a schema failure.
-- Returns the command's outcome ({ok, value, json} or {ok=false, kind, ...}).
local function record(p, d, schema, opts, res, last)
  local fields = merge(adapters.telemetry(d), opts.capture_fields)
  fields.schema_enforced = true
  fields.schema_name = schema.name or json.null
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
    out = { ok = true, value = res.value, json = res.json, raw = last and last.text }
  elseif res.kind == "adapter" then
    out = { ok = false, kind = "adapter", message = res.error, class = res.class }
  else
    local qid, qerr = structured.record_failure({ tool = opts.tool, schema = schema, task_input = opts.task_input },
      res, { quarantine_dir = p.quarantine_dir, schema_failures_file = p.schema_failures_file })
    if not qid then return { ok = false, kind = "setup", message = qerr } end
    runlog.append(failure_base_row(opts.tool, d, schema, res.reason, qid, opts.task_input))
    fields.schema_reason, fields.quarantine_id = res.reason, qid
    fields.failure_class = "schema_invalid"
    out = { ok = false, kind = "schema", quarantine_id = qid, raw = res.raw_response or "", reason = res.reason }
  end
  fields.schema_valid, fields.schema_ok = out.ok, out.ok
  fields.duration_ms = execute.elapsed_ms(opts.started_ms or core.loop.monotonic_ms())
  if opts.defer_row then
    out.row_fields = fields -- the caller adds its own fields, then M.append_row
  else
    M.append_row(opts.tool, fields)
  end
  return out
end

--- Append the execution row of a structured run (see opts.defer_row).
function M.append_row(tool, fields)
  return runlog.append(runlog.row(tool, fields))
end

--- Record a structured run stopped before its first adapter call (a signal during its capture):
--- its one row, with the stop's class and reason (no quarantine: there is no reply to replay).
--- opts = {tool, schema_name, class, reason, started_ms}. Returns what runlog.append returns.
function M.record_stopped(opts)
  local d = execute.descriptor()
  local p = paths.resolve()
  local schema = p and registry.load(p.schemas_dir, opts.schema_name)
  local fields = merge(adapters.telemetry(d), execute.result_fields(adapters.result.fail(opts.class, opts.reason)))
  fields.schema_enforced = true
  fields.schema_name = schema and schema.name or json.null
  fields.schema_sha256 = schema and schema.sha256 or json.null
  fields.duration_ms = execute.elapsed_ms(opts.started_ms or core.loop.monotonic_ms())
  return M.append_row(opts.tool, fields)
end

--- Run a structured command. opts = {tool, schema_name | schema (a loaded schema, e.g.
--- registry.inline), task_input, capture_fields, started_ms, defer_row (return the row fields as
--- out.row_fields instead of appending the row)}.
--- Returns {ok=true, value, json} or {ok=false, kind="schema"|"adapter"|"setup", message, quarantine_id?,
--- raw?, reason?}.
function M.run(opts)
  local p, perr = paths.resolve()
  if not p then return { ok = false, kind = "setup", message = perr } end
  local schema, serr = opts.schema, nil
  if not schema then schema, serr = registry.load(p.schemas_dir, opts.schema_name) end
  if not schema then return { ok = false, kind = "setup", message = serr } end
  local d, derr = execute.descriptor()
  if derr then return { ok = false, kind = "setup", message = derr } end
  local res, last = pipeline(d, schema, opts)
  return record(p, d, schema, opts, res, last)
end

--- Replay a quarantined run: its stored schema and task input, one attempt through the current
--- adapter. Success returns {ok=true, raw} (the reply as received); a new failure is quarantined
--- under the tool `<tool>_replay`. Errors before any run: {ok=false, kind="setup"|"usage", message}.
function M.replay(id)
  local started = core.loop.monotonic_ms()
  local p, perr = paths.resolve()
  if not p then return { ok = false, kind = "setup", message = perr } end
  local rec, err, class = quarantine.show(p.quarantine_dir, id)
  if not rec then return { ok = false, kind = class == "invalid_id" and "usage" or "setup", message = err } end
  if blank(rec.schema) or blank(rec.prompt) then
    return { ok = false, kind = "setup", message = "quarantine entry is missing schema/prompt payload" }
  end
  local decoded, derr = json.decode(rec.schema)
  if decoded == nil then
    return { ok = false, kind = "setup", message = "quarantine schema is invalid JSON: " .. derr }
  end
  local compiled, cerr = validator.compile(decoded)
  if not compiled then
    return { ok = false, kind = "setup", message = "quarantine schema does not compile: " .. tostring(cerr) }
  end
  local base = rec.tool:match("^cxrs_(.+)$") or rec.tool:match("^cx_?(.+)$")
  local schema = { text = rec.schema, sha256 = sha(rec.schema), schema = decoded, compiled = compiled,
    base = base, name = base and (base .. ".schema.json") }
  local opts = { tool = rec.tool .. "_replay", task_input = rec.prompt, max_attempts = 1, started_ms = started }
  local d, aerr = execute.descriptor()
  if aerr then return { ok = false, kind = "setup", message = aerr } end
  local res, last = pipeline(d, schema, opts)
  return record(p, d, schema, opts, res, last)
end

return M
