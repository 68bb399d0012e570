--- `prompt-stats`: how many prompt characters the prompt filter saved over a window of rows read
--- by the tolerant reader (any JSON value is a row; only rows with a `prompt_len_raw` count).
local json = require "cx.json"
local fields = require "cx.diag.fields"

local prompt_stats = {}

prompt_stats.TOP_TOOLS = 10

local function pct(saved, raw)
  if raw == 0 then return json.null end
  return saved / raw
end

local function tool_of(row)
  return fields.str(row, "tool") or fields.str(row, "command") or "unknown"
end

--- The report for rows (the window), window (N) and log_file.
function prompt_stats.compute(rows, window, log_file)
  local r = { raw = 0, filtered = 0, saved = 0, with = 0, applied = 0 }
  local groups, order = {}, {}
  for _, row in ipairs(rows) do
    local raw = fields.u64(row, "prompt_len_raw")
    if raw then
      local filtered = fields.u64(row, "prompt_len_filtered") or raw
      local saved = math.max(raw - filtered, 0)
      r.with = r.with + 1
      r.raw, r.filtered, r.saved = r.raw + raw, r.filtered + filtered, r.saved + saved
      if fields.bool(row, "prompt_filter_applied") == true then r.applied = r.applied + 1 end
      local name = tool_of(row)
      local g = groups[name]
      if not g then
        g = { tool = name, runs = 0, raw_chars = 0, filtered_chars = 0, saved_chars = 0 }
        groups[name] = g
        order[#order + 1] = g
      end
      g.runs, g.raw_chars = g.runs + 1, g.raw_chars + raw
      g.filtered_chars, g.saved_chars = g.filtered_chars + filtered, g.saved_chars + saved
    end
  end
  table.sort(order, function(a, b)
    if a.saved_chars ~= b.saved_chars then return a.saved_chars > b.saved_chars end
    return a.tool < b.tool
  end)
  local by_tool = json.array({})
  for i = 1, math.min(prompt_stats.TOP_TOOLS, #order) do
    local g = order[i]
    g.saved_pct = pct(g.saved_chars, g.raw_chars)
    by_tool[i] = g
  end
  return {
    window = window,
    log_file = log_file,
    runs = #rows,
    rows_with_prompt_lengths = r.with,
    prompt_filter_applied_runs = r.applied,
    raw_chars_total = r.raw,
    filtered_chars_total = r.filtered,
    saved_chars_total = r.saved,
    saved_pct = pct(r.saved, r.raw),
    by_tool = by_tool,
  }
end

return prompt_stats
