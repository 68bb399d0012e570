--- Aggregates over a window of typed run-log rows (reference commands.md §6): metrics, profile,
--- alert, trace, worklog and promptlint. Pure: rows in, plain tables out; the commands render them.
--- Missing numbers count as 0 and a missing tool as `unknown`, as in the reference. Where the
--- reference left ties in hash order, ties are broken by tool name so the output is deterministic.
local fields = require "cx.diag.fields"
local stats = require "cx.diag.stats"

local runs = {}

local function num(row, key)
  return fields.u64(row, key)
end

local function tool_of(row)
  return fields.str(row, "tool") or "unknown"
end

runs.tool_of = tool_of

local function totals(rows)
  local t = { duration_ms = 0, input_tokens = 0, cached_input_tokens = 0, effective_input_tokens = 0,
    output_tokens = 0 }
  for _, r in ipairs(rows) do
    for k in pairs(t) do t[k] = t[k] + (num(r, k) or 0) end
  end
  return t
end

local function by_tool(rows)
  local groups, order = {}, {}
  for _, r in ipairs(rows) do
    local name = tool_of(r)
    local g = groups[name]
    if not g then
      g = { tool = name, rows = {} }
      groups[name] = g
      order[#order + 1] = g
    end
    g.rows[#g.rows + 1] = r
  end
  for _, g in ipairs(order) do
    g.runs = #g.rows
    g.totals = totals(g.rows)
  end
  return order
end

local function float_avg(sum, n)
  if n == 0 then return 0.0 end
  return sum / n
end

--- `metrics`: floats averages over the window and per tool (sorted by runs, then tool).
function runs.metrics(rows, log_file)
  local t = totals(rows)
  local n = #rows
  local tools = {}
  for _, g in ipairs(by_tool(rows)) do
    tools[#tools + 1] = {
      tool = g.tool, runs = g.runs,
      avg_duration_ms = float_avg(g.totals.duration_ms, g.runs),
      avg_effective_input_tokens = float_avg(g.totals.effective_input_tokens, g.runs),
      avg_output_tokens = float_avg(g.totals.output_tokens, g.runs),
    }
  end
  table.sort(tools, function(a, b)
    if a.runs ~= b.runs then return a.runs > b.runs end
    return a.tool < b.tool
  end)
  return {
    log_file = log_file,
    runs = n,
    avg_duration_ms = float_avg(t.duration_ms, n),
    avg_input_tokens = float_avg(t.input_tokens, n),
    avg_cached_input_tokens = float_avg(t.cached_input_tokens, n),
    avg_effective_input_tokens = float_avg(t.effective_input_tokens, n),
    avg_output_tokens = float_avg(t.output_tokens, n),
    by_tool = tools,
  }
end

--- The cache hit rate as an integer percent, or nil when no input tokens were recorded.
local function cache_pct(t)
  if t.input_tokens == 0 then return nil end
  return stats.pct(t.cached_input_tokens / t.input_tokens)
end

-- The row with the largest field (rows without it skipped); ties go to the last one.
local function max_row(rows, key)
  local best, best_v
  for _, r in ipairs(rows) do
    local v = num(r, key)
    if v and (best_v == nil or v >= best_v) then best, best_v = r, v end
  end
  return best, best_v
end

--- `profile`: runs, integer averages, cache hit percent, output/input ratio, slowest and heaviest.
function runs.profile(rows)
  local t = totals(rows)
  local n = #rows
  local slow, slow_v = max_row(rows, "duration_ms")
  local heavy, heavy_v = max_row(rows, "effective_input_tokens")
  return {
    runs = n,
    avg_duration_ms = n > 0 and t.duration_ms // n or 0,
    avg_effective_tokens = n > 0 and t.effective_input_tokens // n or 0,
    cache_hit_pct = cache_pct(t),
    output_input_ratio = stats.ratio(t.output_tokens, t.effective_input_tokens),
    slowest = slow and { duration_ms = slow_v, tool = tool_of(slow) } or nil,
    heaviest = heavy and { effective_input_tokens = heavy_v, tool = tool_of(heavy) } or nil,
  }
end

--- The alert policy's input: one plain record per run.
function runs.alert_input(rows, window)
  local list = {}
  for _, r in ipairs(rows) do
    list[#list + 1] = { execution_id = fields.str(r, "execution_id"), tool = tool_of(r), ts = fields.str(r, "ts"),
      duration_ms = num(r, "duration_ms"), effective_input_tokens = num(r, "effective_input_tokens") }
  end
  return { window = window, runs = list }
end

-- The top 5 rows by a field, descending, stable (ties keep log order); rows without it are skipped.
local function top5(rows, key)
  local with = {}
  for i, r in ipairs(rows) do
    local v = num(r, key)
    if v then with[#with + 1] = { i = i, v = v, tool = tool_of(r), ts = fields.str(r, "ts") } end
  end
  table.sort(with, function(a, b)
    if a.v ~= b.v then return a.v > b.v end
    return a.i < b.i
  end)
  local out = {}
  for i = 1, math.min(5, #with) do out[i] = { value = with[i].v, tool = with[i].tool, ts = with[i].ts } end
  return out
end

--- `alert`'s lists and rate (the violation counts come from the alert policy's findings).
function runs.alert(rows)
  return {
    runs = #rows,
    cache_hit_pct = cache_pct(totals(rows)),
    slowest = top5(rows, "duration_ms"),
    heaviest = top5(rows, "effective_input_tokens"),
  }
end

runs.TRACE_FIELDS = { "ts", "tool", "cwd", "duration_ms", "input_tokens", "cached_input_tokens",
  "effective_input_tokens", "output_tokens", "scope", "repo_root", "llm_backend", "llm_model", "prompt_sha256",
  "prompt_preview" }

--- `trace`'s `{field, value-or-nil}` pairs for one row.
function runs.trace(row)
  local out = {}
  for _, k in ipairs(runs.TRACE_FIELDS) do
    local v = row[k]
    if type(v) ~= "string" and math.type(v) ~= "integer" then v = nil end
    out[#out + 1] = { k, v }
  end
  return out
end

--- `worklog`: per tool (runs desc, average duration desc, tool) and the runs in log order.
function runs.worklog(rows)
  local tools = {}
  for _, g in ipairs(by_tool(rows)) do
    tools[#tools + 1] = { tool = g.tool, runs = g.runs, avg_duration_ms = g.totals.duration_ms // g.runs,
      avg_effective_tokens = g.totals.effective_input_tokens // g.runs }
  end
  table.sort(tools, function(a, b)
    if a.runs ~= b.runs then return a.runs > b.runs end
    if a.avg_duration_ms ~= b.avg_duration_ms then return a.avg_duration_ms > b.avg_duration_ms end
    return a.tool < b.tool
  end)
  local chrono = {}
  for _, r in ipairs(rows) do
    chrono[#chrono + 1] = { ts = fields.str(r, "ts"), tool = tool_of(r), duration_ms = num(r, "duration_ms") or 0,
      effective_input_tokens = num(r, "effective_input_tokens") or 0 }
  end
  return { tools = tools, runs = chrono }
end

-- The execution ids of a tool's last rows (at most 5), as policy evidence.
local function evidence(list)
  local out = {}
  for i = math.max(1, #list - 4), #list do
    local id = fields.str(list[i], "execution_id")
    if id then out[#out + 1] = { execution_id = id } end
  end
  return out
end

local function avg_eff(list)
  return totals(list).effective_input_tokens // #list
end

local function by_value_then_tool(key, descending)
  return function(a, b)
    if a[key] ~= b[key] then
      if descending then return a[key] > b[key] end
      return a[key] < b[key]
    end
    return a.tool < b.tool
  end
end

--- promptlint's input: heavy tools (avg effective tokens, desc), drift (second half minus first half
--- of the window, desc) and cache-hit percent per tool with input tokens (asc). Lists are complete;
--- the command shows the top 5.
function runs.promptlint(rows, window)
  local heavy, drift, cache = {}, {}, {}
  for _, g in ipairs(by_tool(rows)) do
    heavy[#heavy + 1] = { tool = g.tool, avg = avg_eff(g.rows), evidence = evidence(g.rows) }
    if g.totals.input_tokens > 0 then
      cache[#cache + 1] = { tool = g.tool, pct = cache_pct(g.totals), evidence = evidence(g.rows) }
    end
  end
  local split = math.max(#rows // 2, 1)
  local first, second = {}, {}
  for i, r in ipairs(rows) do
    local side = i <= split and first or second
    local name = tool_of(r)
    side[name] = side[name] or {}
    table.insert(side[name], r)
  end
  for name, list in pairs(first) do
    local later = second[name]
    if later then
      local f, s = avg_eff(list), avg_eff(later)
      drift[#drift + 1] = { tool = name, first = f, second = s, delta = s - f, evidence = evidence(later) }
    end
  end
  table.sort(heavy, by_value_then_tool("avg", true))
  table.sort(drift, by_value_then_tool("delta", true))
  table.sort(cache, by_value_then_tool("pct", false))
  return { window = window, heavy = heavy, drift = drift, cache = cache }
end

return runs
