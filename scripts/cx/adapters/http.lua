--- http-curl: HTTP in process through libcurl (the event loop's HTTP jobs). Speaks the reference's
--- text | json | jsonl bodies (the prompt POSTed as text/plain) and the OpenAI chat-completions and
--- Ollama native APIs, streamed (SSE, NDJSON) or not. The bearer token goes into the request in
--- process and is scrubbed from anything the result carries.
local core = require "cx.core"
local json = require "cx.json"
local context = require "cx.context"
local R = require "cx.adapters.result"
local reset_hint = require "cx.adapters.reset_hint"

local M = {}

M.missing_url = "http-curl adapter requires CX_HTTP_PROVIDER_URL to be set"

local function env_secs(name, default)
  local v = context.getenv(name)
  local n = v and math.tointeger(tonumber(v))
  if n and n >= 1 then return n end
  return default
end

function M.label(d)
  return "http provider " .. d.http.format
end

-- The request body for a format: the raw prompt for the reference formats, the API's JSON otherwise.
local function request_for(d, prompt)
  local f, stream = d.http.format, d.http.stream
  if f == "openai" then
    local body = { messages = { { role = "user", content = prompt } }, stream = stream }
    if d.model then body.model = d.model end
    if stream then body.stream_options = { include_usage = true } end
    return json.encode(body), "application/json"
  elseif f == "ollama" then
    local body = { stream = stream }
    if d.model then body.model = d.model end
    if (d.http.url or ""):match("/api/chat/?$") then
      body.messages = { { role = "user", content = prompt } }
    else
      body.prompt = prompt
    end
    return json.encode(body), "application/json"
  end
  return prompt, "text/plain; charset=utf-8"
end

function M.start(loop, d, req)
  if not d.http.url then return nil, R.fail("config_error", M.missing_url) end
  local body, ctype = request_for(d, req.prompt)
  local total = req.timeout_secs * 1000
  local token = context.getenv("CX_HTTP_PROVIDER_TOKEN")
  token = token and token:match("^%s*(.-)%s*$")
  if token == "" then token = nil end
  local id, err, class = loop:http({
    url = d.http.url, method = "POST", headers = { "Content-Type: " .. ctype, "Accept: */*" }, body = body,
    bearer = token,
    connect_timeout_ms = math.min(total, env_secs("CX_HTTP_CONNECT_TIMEOUT_SECS", 10) * 1000),
    first_byte_timeout_ms = math.min(total, env_secs("CX_HTTP_FIRST_BYTE_TIMEOUT_SECS", req.timeout_secs) * 1000),
    idle_timeout_ms = math.min(total, env_secs("CX_HTTP_IDLE_TIMEOUT_SECS", req.timeout_secs) * 1000),
    total_timeout_ms = total,
    max_bytes = req.max_bytes,
    -- parsed as it streams: a terminal marker or an in-band error ends the job at once
    envelope = d.http.format,
  })
  if not id then
    return nil, R.redact(R.fail(class or "transport_error", "http provider: " .. tostring(err)), token)
  end
  return { job = id, d = d, mode = req.mode, timeout_secs = req.timeout_secs, token = token }
end

-- The provider's own error message from an error body, if it has one.
local function body_error(body)
  local v = json.decode(body or "")
  if type(v) ~= "table" then return nil end
  local e = v.error
  if type(e) == "string" then return e end
  if type(e) == "table" and type(e.message) == "string" then return e.message end
  if type(v.message) == "string" then return v.message end
  return nil
end

-- A 429 whose body says the account's quota is used up is not a passing rate limit.
local function is_quota(body)
  local text = (body or ""):lower()
  return text:find("insufficient_quota", 1, true) or text:find("quota", 1, true)
    or text:find("usage limit", 1, true)
end

local function transport_failure(att, c)
  local label = M.label(att.d)
  if c.timed_out then
    return R.fail("timeout", string.format("%s timed out after %ds (%s)", label, att.timeout_secs,
      c.timeout_phase or "total"), { timed_out = true, timeout_secs = att.timeout_secs, command_label = label })
  end
  local class = c.class or "transport_error"
  local detail = c.error or ""
  if c.status and c.status >= 300 and c.status < 400 then
    class = "http_redirect" -- never the reply: the body of a redirect is not the provider's answer
  elseif c.status and c.status >= 400 then
    detail = string.format("HTTP %d%s", c.status, body_error(c.body) and (": " .. body_error(c.body)) or "")
  end
  if c.status == 429 and is_quota(c.body) then class = "quota_exhausted" end
  local hint
  if c.status == 429 or c.status == 503 then hint = reset_hint.from_headers(c.headers, core.loop.epoch_ms()) end
  return R.fail(class, string.format("http provider [%s] %s", class, detail), { retry_after_ms = hint })
end

function M.finish(att, c)
  local r
  if not c.ok or (c.status and c.status >= 300) then
    r = transport_failure(att, c)
  else
    -- The loop's streamed parse when it ran (2xx replies); else the whole body, parsed here.
    local parsed = c.envelope or core.envelope.parse(att.d.http.format, c.body or "", { max_bytes = att.max_bytes })
    if parsed.ok then
      r = R.ok({ text = parsed.text or "", usage = parsed.usage, events = parsed.events, notices = parsed.notices })
      if att.d.http.format == "jsonl" then r.jsonl = c.body end
      R.with_synthetic_jsonl(r)
    else
      r = R.fail(parsed.class, string.format("http-curl adapter [%s] %s", parsed.class, tostring(parsed.reason)))
    end
  end
  r.duration_ms, r.http_status = c.duration_ms, c.status
  return R.redact(r, att.token)
end

return M
