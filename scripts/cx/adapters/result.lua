--- The normalized adapter result: the one shape every adapter returns, success or failure.
---   ok, text (plain text or agent text), jsonl (the JSONL stream for `cxj`), usage, events, notices,
---   duration_ms, exit_code, signal, http_status, timed_out, timeout_secs, command_label,
---   retry_after_ms (the provider said it resets in that many ms: Retry-After, x-ratelimit-reset-*),
---   class and reason (failures only).
local json = require "cx.json"

local M = {}

--- A success. fields may carry any of the keys above.
function M.ok(fields)
  fields.ok = true
  fields.timed_out = fields.timed_out or false
  fields.notices = fields.notices or {}
  return fields
end

--- A failure of one named class with a readable reason.
function M.fail(class, reason, fields)
  fields = fields or {}
  fields.ok = false
  fields.class = class
  fields.reason = reason
  fields.timed_out = fields.timed_out or false
  fields.notices = fields.notices or {}
  return fields
end

--- The one synthetic codex-style line for adapters without native JSONL (byte-compatible with the
--- reference: sorted keys, text unchanged).
function M.agent_message_line(text)
  return json.encode({ type = "item.completed", item = { type = "agent_message", text = text } })
end

--- Fill `jsonl` for a success in jsonl mode when the transport has no native stream.
function M.with_synthetic_jsonl(r)
  if r.ok and r.jsonl == nil then r.jsonl = M.agent_message_line(r.text or "") end
  return r
end

--- Remove a secret from every string of a result (messages, bodies): defence in depth, so a server
--- that echoes the Authorization header cannot leak the token into a row or an error.
function M.redact(r, secret)
  if not secret or secret == "" then return r end
  local function scrub(s)
    if type(s) ~= "string" then return s end
    local out = s:gsub(secret:gsub("%p", "%%%0"), "[REDACTED]")
    return out
  end
  for k, v in pairs(r) do
    if type(v) == "string" then r[k] = scrub(v) end
  end
  for i, n in ipairs(r.notices or {}) do r.notices[i] = scrub(n) end
  return r
end

--- "<label> spawn failed: <OS error>" from the loop's spawn message (which names argv[0] itself).
function M.spawn_reason(label, err)
  return label .. " spawn failed: " .. (tostring(err):gsub("^.-spawn failed: ", ""))
end

--- The last meaningful line of a child's stderr, for messages (noise lines filtered by the caller).
function M.last_line(text, skip)
  local last
  for line in (text or ""):gmatch("[^\n]+") do
    line = line:gsub("\r$", ""):gsub("\27%[[%d;?]*[%a]", "")
    if line:match("%S") and not (skip and skip(line)) then last = line end
  end
  return last
end

return M
