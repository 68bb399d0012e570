--- The execution core for prompt runs: capture (or take) the prompt, filter it, run it through the
--- selected adapter, and write exactly one run-log row — failures included (a capture that times
--- out, an adapter that cannot be built, a provider error). Returns data; commands render it.
local core = require "cx.core"
local json = require "cx.json"
local adapters = require "cx.adapters"
local capture = require "cx.capture"
local config = require "cx.config"
local context = require "cx.context"
local progress = require "cx.progress"
local prompt_filter = require "cx.prompt_filter"
local runlog = require "cx.runlog"
local state = require "cx.state"

local M = {}

--- Whole milliseconds since a core.loop.monotonic_ms() reading.
function M.elapsed_ms(started)
  return math.tointeger(math.floor(core.loop.monotonic_ms() - started + 0.5))
end

local function chars(s)
  return utf8.len(s) or #s
end

--- The current adapter descriptor (environment over state preferences). When .codex/state.json is
--- broken it is the defaults' descriptor plus the error message and class: a run must then stop
--- (the preferences may route prompts to a local model rather than a cloud provider), and a command
--- that shows the configuration must say the file is broken (docs/security.md).
function M.descriptor()
  local prefs, err, class = state.get("preferences")
  if err or type(prefs) ~= "table" then prefs = {} end
  return adapters.describe(context.getenv, prefs), err, class
end

--- Row fields describing the prompt that was sent.
function M.prompt_fields(raw, filtered)
  local sha_raw = core.digest.sha256_hex(raw)
  local sha = core.digest.sha256_hex(filtered)
  local preview = filtered
  if chars(preview) > 180 then
    preview = utf8.len(preview) and preview:sub(1, utf8.offset(preview, 181) - 1) or preview:sub(1, 180)
  end
  return {
    prompt_sha256 = sha, prompt_sha256_filtered = sha, prompt_sha256_raw = sha_raw,
    prompt_len_raw = chars(raw), prompt_len_filtered = chars(filtered),
    prompt_filter_applied = raw ~= filtered, prompt_preview = preview,
  }
end

--- Row fields for an adapter result (success or failure).
function M.result_fields(r)
  local f = {
    schema_valid = r.ok, schema_ok = r.ok,
    failure_class = r.ok and json.null or r.class,
    http_status = r.http_status or json.null,
    retry_after_ms = r.retry_after_ms, -- an optional key: only on a failure that said when to retry
  }
  if not r.ok then
    f.schema_reason = r.reason
    f.timed_out = r.timed_out and true or false
    if r.timed_out then
      f.timeout_secs = r.timeout_secs
      f.command_label = r.command_label
    end
  end
  local u = r.ok and r.usage
  if type(u) == "table" then
    local input, cached = u.input_tokens, u.cached_input_tokens
    f.input_tokens, f.cached_input_tokens, f.output_tokens = input, cached, u.output_tokens
    if math.type(input) == "integer" then
      f.effective_input_tokens = math.type(cached) == "integer" and math.max(0, input - cached) or input
    end
  end
  return f
end

local function merge(into, from)
  for k, v in pairs(from or {}) do into[k] = v end
  return into
end

--- Apply the prompt filter as configured (CX_PROMPT_FILTER on by default).
function M.filter_prompt(raw, is_schema)
  local on = config.flag("CX_PROMPT_FILTER", true)
  if is_schema then on = config.flag("CX_PROMPT_FILTER_STRICT", false) end
  if not on then return raw end
  return prompt_filter.filter(raw, config.uint("CX_PROMPT_FILTER_MAX_CHARS"))
end

-- Send raw (filtered as configured) through the adapter of d; the prompt fields go into fields.
local function ask(d, fields, raw, mode)
  local filtered = M.filter_prompt(raw, false)
  merge(fields, M.prompt_fields(raw, filtered))
  return adapters.run(d, { prompt = filtered, mode = mode, timeout_secs = config.llm_timeout_secs(),
    progress = progress.ticker(d.name) })
end

-- The run's one row: the result's fields, the duration; appended (a failure to write is remembered
-- by cx.runlog for the CLI to report).
local function write_row(tool, fields, result, started)
  merge(fields, M.result_fields(result))
  fields.schema_enforced = false
  fields.duration_ms = M.elapsed_ms(started)
  local row = runlog.row(tool, fields)
  runlog.append(row)
  return row
end

-- The descriptor a run may use, or nil and the outcome of a run that stops before anything runs (a
-- broken state.json: the preferences may route prompts elsewhere, so nothing is sent).
local function usable_descriptor()
  local d, derr = M.descriptor()
  if derr then
    return nil, { result = adapters.result.fail("config_error", derr), exit_code = 1, descriptor = { warnings = {} } }
  end
  return d
end

--- Run a captured command's output through the adapter. opts = {tool, mode, argv, make_prompt?}:
--- make_prompt(capture, argv) builds the prompt around the capture (default: the captured text).
--- Returns {result, exit_code (the captured command's), row, descriptor, message (on failure)}. When
--- the configuration cannot be read (a broken state.json) nothing runs and no row is written: the
--- result is a `config_error` failure naming the file.
function M.run_captured(opts)
  local started = core.loop.monotonic_ms()
  local d, stopped = usable_descriptor()
  if stopped then return stopped end
  local fields = adapters.telemetry(d)
  local cap, err, class, secs = capture.capture(opts.argv)
  local result
  if not cap then
    result = adapters.result.fail(class, err, {
      timed_out = class == "timeout", timeout_secs = secs, command_label = capture.label(opts.argv),
    })
  else
    merge(fields, cap.fields)
    result = ask(d, fields, opts.make_prompt and opts.make_prompt(cap, opts.argv) or cap.text, opts.mode)
  end
  local row = write_row(opts.tool, fields, result, started)
  return { result = result, exit_code = cap and cap.exit_code or 1, row = row, descriptor = d }
end

--- Send a prompt as it is (a task's free-text objective). opts = {tool, mode, prompt}.
--- Returns {result, exit_code (0, or 1 when the run failed), row, descriptor}; a broken state.json
--- is a `config_error` failure as in run_captured.
function M.run_prompt(opts)
  local started = core.loop.monotonic_ms()
  local d, stopped = usable_descriptor()
  if stopped then return stopped end
  local fields = adapters.telemetry(d)
  local result = ask(d, fields, opts.prompt, opts.mode)
  local row = write_row(opts.tool, fields, result, started)
  return { result = result, exit_code = result.ok and 0 or 1, row = row, descriptor = d }
end

return M
