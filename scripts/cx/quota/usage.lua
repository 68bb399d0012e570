--- Token usage over the last days of the run log, for `cx quota` (reference commands.md §7.1): the
--- rows of the time window (the last 10,000 JSON values whose `timestamp`, else `ts`, is an RFC 3339
--- time within the window), the burn report, and the tokens a backend used. Pure but for the clock
--- (`now` can be given).
local json = require "cx.json"
local epoch = require "cx.epoch"
local fields = require "cx.diag.fields"

local usage = {}

usage.MAX_ROWS = 10000
usage.TOP_COMMANDS = 5

usage.RECOMMENDATIONS = {
  "Set a provider quota total with CX_QUOTA_<BACKEND>_TOTAL_TOKENS or CX_QUOTA_TOTAL_TOKENS.",
  "Use quota catalog for official-source references: cx quota catalog refresh && cx quota catalog show.",
  "Use --actions + --strict gates to avoid broad retries.",
  "Prefer lean mode and tighter context budgets on token-heavy commands.",
}

--- Epoch seconds of an RFC 3339 time (`2026-03-05T14:15:02Z`, fractions and offsets allowed), or nil.
function usage.parse_time(text)
  if type(text) ~= "string" then return nil end
  local y, mo, d, h, mi, s, rest = text:match("^(%d%d%d%d)%-(%d%d)%-(%d%d)[Tt ](%d%d):(%d%d):(%d%d)(.*)$")
  if not y then return nil end
  rest = rest:gsub("^%.%d+", "")
  local offset
  if rest == "Z" or rest == "z" then
    offset = 0
  else
    local sign, oh, om = rest:match("^([+-])(%d%d):(%d%d)$")
    if not sign then return nil end
    offset = (tonumber(oh) * 60 + tonumber(om)) * 60
    if sign == "-" then offset = -offset end
  end
  y, mo, d, h, mi, s = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(s)
  if mo < 1 or mo > 12 or d < 1 or d > 31 or h > 23 or mi > 59 or s > 60 then return nil end
  return epoch.days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - offset
end

local function row_time(row)
  if type(row) ~= "table" then return nil end
  local t = row.timestamp
  if type(t) ~= "string" then t = row.ts end
  return usage.parse_time(t)
end

--- The rows of the last `days` days among rows (each returned as {row=, t=}), oldest first.
function usage.in_window(rows, days, now)
  local from = (now or os.time()) - days * 86400
  local out = {}
  for _, r in ipairs(rows) do
    local t = row_time(r)
    if t and t >= from then out[#out + 1] = { row = r, t = t } end
  end
  return out
end

--- Effective input tokens of a row: effective_input_tokens, else input_tokens, else 0.
function usage.effective(row)
  return fields.u64(row, "effective_input_tokens") or fields.u64(row, "input_tokens") or 0
end

local function ratio_or_null(a, b)
  if b == 0 then return json.null end
  return a / b
end

--- The burn report (JSON keys of the reference) for windowed rows.
function usage.burn(windowed, days, log_file)
  local t = { input = 0, cached = 0, output = 0, eff = 0 }
  local days_sum, groups, order = {}, {}, {}
  for _, w in ipairs(windowed) do
    local r = w.row
    local eff = usage.effective(r)
    t.input = t.input + (fields.u64(r, "input_tokens") or 0)
    t.cached = t.cached + (fields.u64(r, "cached_input_tokens") or 0)
    t.output = t.output + (fields.u64(r, "output_tokens") or 0)
    t.eff = t.eff + eff
    local day = os.date("!%Y-%m-%d", w.t)
    days_sum[day] = (days_sum[day] or 0) + eff
    local name = fields.str(r, "command") or fields.str(r, "tool") or "unknown"
    local g = groups[name]
    if not g then
      g = { command = name, runs = 0, eff = 0, dur = 0 }
      groups[name] = g
      order[#order + 1] = g
    end
    g.runs = g.runs + 1
    g.eff = g.eff + math.max(fields.u64(r, "effective_input_tokens") or 0, fields.u64(r, "input_tokens") or 0)
    g.dur = g.dur + (fields.u64(r, "duration_ms") or 0)
  end
  local daily = json.array({})
  local keys = {}
  for k in pairs(days_sum) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do daily[#daily + 1] = { day = k, effective_tokens = days_sum[k] } end
  local top = {}
  for _, g in ipairs(order) do
    top[#top + 1] = { command = g.command, runs = g.runs, avg_effective_tokens = g.eff // g.runs,
      avg_duration_ms = g.dur // g.runs }
  end
  table.sort(top, function(a, b)
    if a.avg_effective_tokens ~= b.avg_effective_tokens then return a.avg_effective_tokens > b.avg_effective_tokens end
    return a.command < b.command
  end)
  local top_commands = json.array({})
  for i = 1, math.min(usage.TOP_COMMANDS, #top) do top_commands[i] = top[i] end
  local per_day = t.eff // days
  return {
    window_days = days,
    log_file = log_file,
    runs = #windowed,
    tokens = { input = t.input, cached_input = t.cached, output = t.output, effective_input = t.eff,
      cache_hit_rate = ratio_or_null(t.cached, t.input) },
    daily_effective_tokens_avg = per_day,
    monthly_effective_projection = per_day * 30,
    daily_burn = daily,
    top_commands = top_commands,
    recommendations = json.array({ table.unpack(usage.RECOMMENDATIONS) }),
  }
end

--- Effective tokens a backend used in the window: rows that name another backend (backend_used,
--- else llm_backend) do not count; rows that name none (older logs) do.
function usage.used_by(windowed, backend)
  local sum = 0
  for _, w in ipairs(windowed) do
    local b = fields.str(w.row, "backend_used") or fields.str(w.row, "llm_backend")
    if b == nil or b:lower() == backend then sum = sum + usage.effective(w.row) end
  end
  return sum
end

return usage
