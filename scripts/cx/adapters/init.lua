--- The adapter contract: one descriptor (which adapter, its normalized configuration, capabilities,
--- status, identity) and one result shape (cx.adapters.result) whatever the transport. Each adapter is
--- a non-blocking state machine over the native event loop: start(loop, descriptor, request) adds a job
--- and returns an attempt; finish(attempt, completion) turns the job's completion into the result. The
--- scheduler runs many attempts in one loop; `run` is the same with one attempt.
local core = require "cx.core"
local json = require "cx.json"
local catalog = require "cx.adapters.catalog"
local context = require "cx.context"
local identity = require "cx.adapters.identity"
local jobs = require "cx.jobs"
local select = require "cx.adapters.select"
local status = require "cx.adapters.status"
local R = require "cx.adapters.result"
local redact = require "cx.redact"

local M = {}

-- Durations are whole milliseconds in results and rows.
local function whole_ms(x)
  if type(x) ~= "number" then return x end
  return math.tointeger(math.floor(x + 0.5))
end

local impl_modules = {
  ["codex-cli"] = "cx.adapters.codex",
  ["ollama-cli"] = "cx.adapters.ollama",
  ["http-curl"] = "cx.adapters.http",
  ["http-stub"] = "cx.adapters.http_stub",
  mock = "cx.adapters.mock",
}

M.modes = { plain = true, jsonl = true, agent = true, schema = true }

--- The descriptor for the current environment and state preferences (see cx.adapters.select).
function M.describe(getenv, prefs)
  local d = select.resolve(getenv or context.getenv, prefs)
  d.id = identity.id(d)
  return d
end

--- The adapter fields every run-log row carries.
function M.telemetry(d)
  return {
    adapter_type = d.name,
    provider_transport = d.transport,
    provider_status = status.logged(d.status),
    http_provider_format = d.http and d.http.format or json.null,
    http_parser_mode = d.http and d.http.parser_mode or json.null,
    adapter_id = d.id,
  }
end

local function impl(d)
  return require(impl_modules[d.name])
end

--- Add one attempt to a loop. request = {prompt, mode, timeout_secs, attempt?, max_bytes?}.
--- Returns the attempt, or nil and a failure result (configuration or spawn failures).
--- The prompt passes through cx.redact here, the one door to every provider: a configured secret
--- (a captured `printenv`, a token on a command line) is never sent to a third party.
function M.start(loop, d, request)
  assert(M.modes[request.mode], "unknown adapter mode")
  if redact.active() then
    local r = {}
    for k, v in pairs(request) do r[k] = v end
    r.prompt = redact.string(r.prompt)
    request = r
  end
  local a, failure = impl(d).start(loop, d, request)
  if not a then return nil, failure end
  a.descriptor = d
  a.started_ms = core.loop.monotonic_ms()
  return a
end

--- The normalized result of an attempt from its job's completion. A job stopped by cx.jobs (an
--- interrupt: class `interrupted`) fails with that class whatever the adapter; attempt may then be
--- nil (the job was never started).
function M.finish(attempt, completion)
  if completion.cancel_reason then
    return R.fail(completion.class, completion.error, { duration_ms = whole_ms(completion.duration_ms),
      signal_name = completion.signal_name, exit_code = completion.exit_code, signal = completion.signal })
  end
  local r = impl(attempt.descriptor).finish(attempt, completion)
  r.duration_ms = whole_ms(r.duration_ms or completion.duration_ms)
  return r
end

--- Run one attempt to completion through cx.jobs (alone: its own loop; inside a scheduled attempt:
--- the scheduler's). request.progress, when given, is called about once a second with the elapsed
--- milliseconds while the attempt runs, and with nil when it ends.
function M.run(d, request)
  local started = core.loop.monotonic_ms()
  local a, failure
  local c = jobs.await(function(loop)
    a, failure = M.start(loop, d, request)
    if not a then return nil, failure.reason, failure.class end
    return a.job
  end, { progress = request.progress })
  if not c then
    failure.duration_ms = whole_ms(core.loop.monotonic_ms() - started)
    return failure
  end
  return M.finish(a, c)
end

--- Facts about every adapter for `cx llm show` / `cx doctor`.
function M.catalog()
  local out = {}
  for _, name in ipairs(catalog.names) do
    local f = catalog.get(name)
    out[#out + 1] = { name = name, transport = f.transport, status = f.status,
      capabilities = catalog.capabilities(name) }
  end
  return out
end

M.result = R
return M
