--- mock: a deterministic in-process provider. The reference's knobs (CX_MOCK_PLAIN_RESPONSE,
--- CX_MOCK_JSONL_RESPONSE, CX_MOCK_ERROR) plus latency and failure injection, so every failure path
--- can be tested without a child or a socket. In schema mode without a canned response it answers
--- with a document its schema accepts (cx.adapters.mock_instance).
---   CX_MOCK_LATENCY_MS   N, or MIN-MAX drawn per call from CX_MOCK_SEED (a timer in the loop)
---   CX_MOCK_FAIL         timeout | unreachable | malformed | rate_limited | server_error | incomplete
---                        | quota_exhausted
---   CX_MOCK_FAIL_EVERY   N: only calls 1, N+1, 2N+1, ... fail (N=2: fail, succeed, fail, ...)
---   CX_MOCK_FAIL_PERCENT P: a call fails with probability P% (drawn from CX_MOCK_SEED and the call)
---   CX_MOCK_FAIL_TASKS   id,id,...: only calls made for these tasks fail
---   CX_MOCK_FAIL_BACKEND codex | ollama: only calls made for that logical backend fail
---   CX_MOCK_RETRY_AFTER_MS N: a rate_limited or quota_exhausted failure says the provider resets in
---                        N ms (as a Retry-After header would)
--- A call is numbered per task inside a task attempt (the task's 1st, 2nd, ... call to the mock, so
--- draws do not depend on how attempts interleave), else per process. The latency is a timer of the
--- loop, or of the virtual clock when one runs (cx.vclock); a latency beyond the request's timeout
--- times out at the timeout, as a real provider would.
local json = require "cx.json"
local context = require "cx.context"
local vclock = require "cx.vclock"
local instance = require "cx.adapters.mock_instance"
local validator = require "cx.schema.validator"
local R = require "cx.adapters.result"

local M = {}

M.default_plain = '{"commands":["echo mock"]}'
M.failures = { "timeout", "unreachable", "malformed", "rate_limited", "server_error", "incomplete",
  "quota_exhausted" }

local attempt_counter = 0
local task_calls = {} -- task id -> calls made for it in this process

local function env(name)
  local v = context.getenv(name)
  if v == nil then return nil end
  local t = v:match("^%s*(.-)%s*$")
  if t == "" then return nil end
  return t
end

-- A 64-bit mix of (seed, attempt): the same pair always gives the same draw.
local function mix(seed, k)
  local x = seed * 0x9E3779B97F4A7C15 + k
  x = (x ~ (x >> 30)) * 0xBF58476D1CE4E5B9
  x = (x ~ (x >> 27)) * 0x94D049BB133111EB
  return x ~ (x >> 31)
end

local function seed()
  return math.tointeger(tonumber(env("CX_MOCK_SEED") or "0")) or 0
end

-- FNV-1a of a string: a task id's part of a draw key.
local function fnv(s)
  local h = 0xcbf29ce484222325
  for i = 1, #s do h = (h ~ s:byte(i)) * 0x100000001b3 end
  return h
end

--- The latency in ms for a call (a number, or {task, n}), from CX_MOCK_LATENCY_MS / CX_MOCK_SEED.
function M.latency_ms(call)
  local spec = env("CX_MOCK_LATENCY_MS")
  if not spec then return 0 end
  local lo, hi = spec:match("^(%d+)%s*%-%s*(%d+)$")
  if lo then
    lo, hi = math.tointeger(tonumber(lo)), math.tointeger(tonumber(hi))
    if hi < lo then lo, hi = hi, lo end
    return lo + (mix(seed(), M.key(call)) & 0x7FFFFFFF) % (hi - lo + 1)
  end
  return math.tointeger(tonumber(spec:match("^%d+$") or "0")) or 0
end

--- The draw key of a call: its number, or a mix of its task id and its number for that task.
function M.key(call)
  if type(call) == "table" then return fnv(call.task) ~ (call.n * 0x9E3779B97F4A7C15) end
  return call
end

local function listed(list, item)
  for x in (list or ""):gmatch("[^,%s]+") do
    if x == item then return true end
  end
  return false
end

--- The injected failure for a call (a number, or {task, n, backend}), or nil.
function M.failure_for(call)
  local kind = env("CX_MOCK_FAIL")
  if not kind then return nil end
  local n = type(call) == "table" and call.n or call
  local every = math.tointeger(tonumber(env("CX_MOCK_FAIL_EVERY") or ""))
  if every and every > 0 and (n - 1) % every ~= 0 then return nil end
  local tasks = env("CX_MOCK_FAIL_TASKS")
  if tasks and not (type(call) == "table" and listed(tasks, call.task)) then return nil end
  local backend = env("CX_MOCK_FAIL_BACKEND")
  if backend and not (type(call) == "table" and call.backend == backend:lower()) then return nil end
  local percent = math.tointeger(tonumber(env("CX_MOCK_FAIL_PERCENT") or ""))
  if percent and (mix(seed() ~ 0x5bd1e995, M.key(call)) & 0x7FFFFFFF) % 100 >= percent then return nil end
  return kind:lower()
end

-- This call's identity: {task, n, backend} inside a task attempt, else the process's call number.
local function next_call(req)
  attempt_counter = attempt_counter + 1
  if req.attempt then return req.attempt end
  local task = env("CX_TASK_ID")
  if not task then return attempt_counter end
  task_calls[task] = (task_calls[task] or 0) + 1
  return { task = task, n = task_calls[task], backend = (env("CX_LLM_BACKEND") or "codex"):lower() }
end

function M.start(loop, _, req)
  local call = next_call(req)
  local latency = M.latency_ms(call)
  local limit = (req.timeout_secs or 0) * 1000
  local timed_out = limit > 0 and latency > limit
  local ms = timed_out and limit or latency
  local id = vclock.running() and vclock.timer(loop, ms) or loop:timer(ms)
  return { job = id, mode = req.mode, attempt = call, timeout_secs = req.timeout_secs, prompt = req.prompt,
    timed_out = timed_out }
end

-- The reply to a structured prompt without a canned response: the default when its schema accepts
-- it (the reference's `{"commands":["echo mock"]}` for next), else a generated valid instance.
local function schema_reply(prompt)
  local schema = instance.schema_of_prompt(prompt or "")
  if not schema then return M.default_plain end
  local compiled = validator.compile(schema)
  local default = json.decode(M.default_plain)
  if not compiled or validator.validate(compiled, default) then return M.default_plain end
  return json.encode(instance.generate(schema))
end

local function reset_hint()
  return math.tointeger(tonumber(env("CX_MOCK_RETRY_AFTER_MS") or ""))
end

local function injected(kind, att)
  if kind == "quota_exhausted" then
    return R.fail("quota_exhausted", "mock provider quota exhausted (injected)",
      { http_status = 429, retry_after_ms = reset_hint() })
  elseif kind == "timeout" then
    return R.fail("timeout", string.format("mock timed out after %ds (injected)", att.timeout_secs),
      { timed_out = true, timeout_secs = att.timeout_secs, command_label = "mock" })
  elseif kind == "unreachable" then
    return R.fail("transport_unreachable", "mock provider unreachable: connection refused (injected)")
  elseif kind == "rate_limited" then
    return R.fail("rate_limited", "mock provider rate limited: HTTP 429 (injected)",
      { http_status = 429, retry_after_ms = reset_hint() })
  elseif kind == "server_error" then
    return R.fail("server_error", "mock provider server error: HTTP 500 (injected)", { http_status = 500 })
  elseif kind == "incomplete" then
    return R.fail("incomplete", "mock stream ended without a terminal event (injected)")
  elseif kind == "malformed" then
    -- a reply cut short: the transport succeeds, the content is not valid JSON
    return R.with_synthetic_jsonl(R.ok({ text = '{"commands": ["echo mock"' }))
  end
  return R.fail("config_error", "CX_MOCK_FAIL='" .. kind .. "' is not one of " .. table.concat(M.failures, ", "))
end

function M.finish(att, c)
  local r
  local kind = M.failure_for(att.attempt)
  local err = env("CX_MOCK_ERROR")
  if att.timed_out then
    r = injected("timeout", att)
    r.reason = string.format("mock timed out after %ds", att.timeout_secs)
  elseif kind then
    r = injected(kind, att)
  elseif err then
    r = R.fail("provider_error", err)
  else
    local plain = context.getenv("CX_MOCK_PLAIN_RESPONSE")
    if plain == nil then plain = att.mode == "schema" and schema_reply(att.prompt) or M.default_plain end
    local jsonl = env("CX_MOCK_JSONL_RESPONSE")
    if att.mode ~= "plain" and jsonl then
      -- parsed like a provider's stream: a canned response that is not one fails with its class
      local parsed = require("cx.core").envelope.parse("jsonl", jsonl)
      if parsed.ok then
        r = R.ok({ text = parsed.text or "", jsonl = jsonl, usage = parsed.usage })
      else
        r = R.fail(parsed.class, string.format("mock CX_MOCK_JSONL_RESPONSE [%s] %s", parsed.class,
          tostring(parsed.reason)))
      end
    else
      r = R.with_synthetic_jsonl(R.ok({ text = plain }))
    end
  end
  r.duration_ms = c.duration_ms
  return r
end

return M
