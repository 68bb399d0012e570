--- Test helper: check a decoded JSON report against a contract fixture in tests/fixtures/contracts
--- (the reference's key lists, plus our key_types). Returns a list of problems ({} when it passes).
local json = require "cx.json"

local M = {}

M.dir = (os.getenv("PWD") or ".") .. "/tests/fixtures/contracts/"

function M.load(name)
  local f = assert(io.open(M.dir .. name, "rb"))
  local fixture = assert(json.decode(f:read("a")))
  f:close()
  return fixture
end

--- The JSON type name of a decoded value: string, integer, float, boolean, null, array, object.
function M.type_of(v)
  if v == json.null then return "null" end
  local t = type(v)
  if t == "number" then return math.type(v) end
  if t == "table" then return json.is_array(v) and "array" or "object" end
  return t
end

local function type_ok(v, spec)
  local actual = M.type_of(v)
  for alt in spec:gmatch("[^|]+") do
    if alt == actual then return true end
  end
  return false, actual
end

--- Check that obj has every key (and, given types, that each has its declared type).
function M.check_keys(problems, where, obj, keys, types)
  if M.type_of(obj) ~= "object" then
    problems[#problems + 1] = where .. " is not an object"
    return
  end
  local listed = {}
  for _, k in ipairs(keys) do
    listed[k] = true
    if obj[k] == nil then problems[#problems + 1] = where .. "." .. k .. " missing" end
  end
  for k, spec in pairs(types or {}) do
    if obj[k] ~= nil then
      local ok, actual = type_ok(obj[k], spec)
      if not ok then problems[#problems + 1] = string.format("%s.%s is %s, want %s", where, k, actual, spec) end
    elseif not listed[k] then
      problems[#problems + 1] = where .. "." .. k .. " missing"
    end
  end
end

-- The problems of the top level (every key, with its type) and of contract_version, and the types.
local function top_level(doc, fixture)
  local p = {}
  local kt = fixture.key_types
  M.check_keys(p, "$", doc, fixture.top_level_keys, kt.top_level)
  if doc.contract_version ~= fixture.contract_version then
    p[#p + 1] = "contract_version " .. tostring(doc.contract_version)
  end
  return p, kt
end

--- Check a diag/scheduler report against its fixture.
function M.check_window_report(doc, fixture)
  local p, kt = top_level(doc, fixture)
  for _, block in ipairs({ "scheduler", "retry", "critical" }) do
    if doc[block] then M.check_keys(p, "$." .. block, doc[block], fixture[block .. "_keys"], kt[block]) end
  end
  if fixture.routing_trace_keys and doc.routing_trace then
    M.check_keys(p, "$.routing_trace", doc.routing_trace, fixture.routing_trace_keys, kt.routing_trace)
  end
  return p
end

--- Check an optimize report against its fixture.
function M.check_optimize(doc, fixture)
  local p, kt = top_level(doc, fixture)
  local sb = doc.scoreboard
  if type(sb) ~= "table" then return p end
  M.check_keys(p, "$.scoreboard", sb, fixture.scoreboard_keys, kt.scoreboard)
  if sb.retry_health then
    M.check_keys(p, "$.scoreboard.retry_health", sb.retry_health, fixture.retry_health_keys, kt.retry_health)
  end
  for _, k in ipairs({ "cache_hit_trend", "schema_failure_frequency", "timeout_frequency",
    "budget_clipping_frequency" }) do
    if sb[k] then M.check_keys(p, "$.scoreboard." .. k, sb[k], {}, kt[k]) end
  end
  for i, item in ipairs(sb.capture_provider_compression or {}) do
    M.check_keys(p, "$.scoreboard.capture_provider_compression[" .. i .. "]", item, {},
      kt.capture_provider_compression_item)
  end
  for _, k in ipairs({ "top_avg_duration_ms", "top_avg_effective_input_tokens" }) do
    for i, pair in ipairs(sb[k] or {}) do
      if M.type_of(pair) ~= "array" or #pair ~= 2 or type(pair[1]) ~= "string" or math.type(pair[2]) ~= "integer" then
        p[#p + 1] = "$.scoreboard." .. k .. "[" .. i .. "] is not a [string, integer] pair"
      end
    end
  end
  return p
end

--- Check the actions payload (top-level version marker, non-empty list when require_nonempty).
function M.check_actions(doc, fixture, require_nonempty)
  local p = {}
  local kt = fixture.key_types
  M.check_keys(p, "$", doc, fixture.top_level_keys, kt.top_level)
  if doc.actions_contract_version ~= fixture.actions_contract_version then
    p[#p + 1] = "actions_contract_version " .. tostring(doc.actions_contract_version)
  end
  if M.type_of(doc.actions) ~= "array" then return p end
  if require_nonempty and #doc.actions == 0 then p[#p + 1] = "actions is empty" end
  local allowed = {}
  for _, s in ipairs(fixture.severities) do allowed[s] = true end
  for i, a in ipairs(doc.actions) do
    M.check_keys(p, "$.actions[" .. i .. "]", a, fixture.action_keys, kt.action)
    if not allowed[a.severity] then p[#p + 1] = "$.actions[" .. i .. "].severity " .. tostring(a.severity) end
  end
  return p
end

-- The values a shape path names: "$" the document, "$.a" a member, "$.a[]" every element of an array.
local function at(doc, path)
  local values = { doc }
  if path:sub(1, 3) == "$[]" then values = type(doc) == "table" and doc or {} end
  for part in path:gmatch("%.([^.]+)") do
    local name, each = part:match("^(.-)(%[%])$")
    name = name or part
    local next_values = {}
    for _, v in ipairs(values) do
      local x = type(v) == "table" and v[name] or nil
      if each then
        for _, e in ipairs(type(x) == "table" and x or {}) do next_values[#next_values + 1] = e end
      elseif x ~= nil then
        next_values[#next_values + 1] = x
      end
    end
    values = next_values
  end
  return values
end

--- Check a document against a shape fixture { shapes = { [path] = { keys = {...}, types = {...} } } }
--- (the form of the fixtures of the smaller commands: version, routes, metrics, quota ...).
function M.check_shape(doc, fixture)
  local p = {}
  local paths = {}
  for path in pairs(fixture.shapes) do paths[#paths + 1] = path end
  table.sort(paths)
  for _, path in ipairs(paths) do
    local shape = fixture.shapes[path]
    if path == "$" or not path:match("%[%]$") then
      local values = at(doc, path)
      if #values == 0 then p[#p + 1] = path .. " missing" end
    end
    for i, v in ipairs(at(doc, path)) do
      M.check_keys(p, (path:gsub("%[%]$", "[" .. i .. "]")), v, shape.keys or {}, shape.types)
    end
  end
  return p
end

--- Check a broker benchmark report against its fixture (severities of violations included).
function M.check_broker_benchmark(doc, fixture)
  local p, kt = top_level(doc, fixture)
  if type(doc.violation_counts) == "table" then
    M.check_keys(p, "$.violation_counts", doc.violation_counts, fixture.violation_counts_keys, kt.violation_counts)
  end
  local allowed = {}
  for _, s in ipairs(fixture.severities) do allowed[s] = true end
  if not allowed[doc.severity] then p[#p + 1] = "$.severity " .. tostring(doc.severity) end
  for i, item in ipairs(type(doc.summary) == "table" and doc.summary or {}) do
    M.check_keys(p, "$.summary[" .. i .. "]", item, fixture.summary_item_keys, kt.summary_item)
  end
  for i, v in ipairs(type(doc.violations) == "table" and doc.violations or {}) do
    M.check_keys(p, "$.violations[" .. i .. "]", v, fixture.violation_item_keys, kt.violation_item)
    if not allowed[v.severity] then p[#p + 1] = "$.violations[" .. i .. "].severity " .. tostring(v.severity) end
  end
  return p
end

return M
