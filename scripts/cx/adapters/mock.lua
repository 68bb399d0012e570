--- mock: a deterministic in-process provider. The reference's knobs (CX_MOCK_PLAIN_RESPONSE,
--- CX_MOCK_JSONL_RESPONSE, CX_MOCK_ERROR) plus latency and failure injection, so every failure path
--- can be tested without a child or a socket. In schema mode without a canned response it answers
--- with a document its schema accepts (cx.adapters.mock_instance).
---   CX_MOCK_LATENCY_MS   N, or MIN-MAX drawn per attempt from CX_MOCK_SEED (a timer in the loop)
---   CX_MOCK_FAIL         timeout | unreachable | malformed | rate_limited | server_error | incomplete
---   CX_MOCK_FAIL_EVERY   N: only attempts 1, N+1, 2N+1, ... fail (N=2: fail, succeed, fail, ...)
local json = require "cx.json"
local instance = require "cx.adapters.mock_instance"
local validator = require "cx.schema.validator"
local R = require "cx.adapters.result"

local M = {}

M.default_plain = '{"commands":["echo mock"]}'
M.failures = { "timeout", "unreachable", "malformed", "rate_limited", "server_error", "incomplete" }

local attempt_counter = 0

local function env(name)
  local v = os.getenv(name)
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

--- The latency in ms for an attempt number, from CX_MOCK_LATENCY_MS / CX_MOCK_SEED.
function M.latency_ms(attempt)
  local spec = env("CX_MOCK_LATENCY_MS")
  if not spec then return 0 end
  local lo, hi = spec:match("^(%d+)%s*%-%s*(%d+)$")
  if lo then
    lo, hi = math.tointeger(tonumber(lo)), math.tointeger(tonumber(hi))
    if hi < lo then lo, hi = hi, lo end
    local seed = math.tointeger(tonumber(env("CX_MOCK_SEED") or "0")) or 0
    return lo + (mix(seed, attempt) & 0x7FFFFFFF) % (hi - lo + 1)
  end
  return math.tointeger(tonumber(spec:match("^%d+$") or "0")) or 0
end

--- The injected failure for an attempt number, or nil.
function M.failure_for(attempt)
  local kind = env("CX_MOCK_FAIL")
  if not kind then return nil end
  local every = math.tointeger(tonumber(env("CX_MOCK_FAIL_EVERY") or ""))
  if every and every > 0 and (attempt - 1) % every ~= 0 then return nil end
  return kind:lower()
end

function M.start(loop, _, req)
  attempt_counter = attempt_counter + 1
  local attempt = req.attempt or attempt_counter
  local id = loop:timer(M.latency_ms(attempt))
  return { job = id, mode = req.mode, attempt = attempt, timeout_secs = req.timeout_secs, prompt = req.prompt }
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

local function injected(kind, att)
  if kind == "timeout" then
    return R.fail("timeout", string.format("mock timed out after %ds (injected)", att.timeout_secs),
      { timed_out = true, timeout_secs = att.timeout_secs, command_label = "mock" })
  elseif kind == "unreachable" then
    return R.fail("transport_unreachable", "mock provider unreachable: connection refused (injected)")
  elseif kind == "rate_limited" then
    return R.fail("rate_limited", "mock provider rate limited: HTTP 429 (injected)", { http_status = 429 })
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
  if kind then
    r = injected(kind, att)
  elseif err then
    r = R.fail("provider_error", err)
  else
    local plain = os.getenv("CX_MOCK_PLAIN_RESPONSE")
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
