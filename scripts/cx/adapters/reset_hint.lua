--- When a provider says it will take requests again: the reset hint of a 429 (or a quota) reply,
--- from its headers, in milliseconds from now. The scheduler parks a backend that gives one
--- instead of burning retries into it (docs/scheduler.md, "Parking").
---   Retry-After: <seconds> | <HTTP-date>          (RFC 9110 10.2.3)
---   x-ratelimit-reset-requests / -tokens: 1s, 6m0s, 20ms, 1h2m3.5s   (OpenAI style durations)
---   x-ratelimit-reset / ratelimit-reset: <seconds>, or epoch seconds when the number is that large
--- Several hints: the latest wins (waiting less would only meet the same refusal).
local epoch = require "cx.epoch"

local M = {}

local MONTHS = { Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9, Oct = 10,
  Nov = 11, Dec = 12 }

--- Epoch ms of an IMF-fixdate (`Wed, 21 Oct 2015 07:28:00 GMT`), or nil.
function M.http_date_ms(text)
  local d, mon, y, hh, mm, ss = text:match("^%a+, (%d%d?) (%a%a%a) (%d%d%d%d) (%d%d):(%d%d):(%d%d) GMT$")
  local m = MONTHS[mon or ""]
  if not m then return nil end
  return epoch.seconds(tonumber(y), m, tonumber(d), tonumber(hh), tonumber(mm), tonumber(ss)) * 1000
end

local UNIT_MS = { h = 3600000, m = 60000, s = 1000, ms = 1, us = 0.001, ["µs"] = 0.001, ns = 0.000001 }

--- Milliseconds of a duration such as `1s`, `6m0s`, `20ms`, `1h2m3.5s`, or nil.
function M.duration_ms(text)
  if not text:find("^[%d.]") then return nil end
  local total, pos = 0, 1
  while pos <= #text do
    local num, unit, after = text:match("^(%d+%.?%d*)(%a+)()", pos)
    if not num or not UNIT_MS[unit] then return nil end
    total = total + tonumber(num) * UNIT_MS[unit]
    pos = after
  end
  return total
end

local EPOCH_SECONDS = 1000000000 -- a "reset" number this large is a time, not a delay

local function seconds_or_epoch(text, now_ms)
  local n = tonumber(text:match("^%d+%.?%d*$"))
  if not n then return nil end
  if n >= EPOCH_SECONDS then return n * 1000 - now_ms end
  return n * 1000
end

--- The reset hint in ms from now (an integer >= 0) from a table of lower-case header names, or
--- nil when the headers give none. now_ms: epoch ms (for dates).
function M.from_headers(headers, now_ms)
  if type(headers) ~= "table" then return nil end
  local best
  local function consider(ms)
    if ms and ms == ms and ms < 1e12 then best = math.max(best or 0, ms) end
  end
  local ra = headers["retry-after"]
  if ra then
    local date = M.http_date_ms(ra)
    consider(date and (date - now_ms) or seconds_or_epoch(ra, now_ms))
  end
  for _, k in ipairs({ "x-ratelimit-reset-requests", "x-ratelimit-reset-tokens" }) do
    if headers[k] then consider(M.duration_ms(headers[k]) or seconds_or_epoch(headers[k], now_ms)) end
  end
  for _, k in ipairs({ "x-ratelimit-reset", "ratelimit-reset" }) do
    if headers[k] then consider(seconds_or_epoch(headers[k], now_ms)) end
  end
  if best == nil then return nil end
  return math.max(0, math.tointeger(math.ceil(best)) or 0)
end

return M
