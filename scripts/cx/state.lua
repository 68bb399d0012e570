--- `.codex/state.json`: preferences and runtime facts (current task). Read once per process
--- (CX_NO_CACHE=1 re-reads every time); written atomically, pretty with sorted keys and a trailing
--- newline. A missing file reads as the default skeleton; a broken one (not JSON, not an object,
--- larger than fs.LIMITS.state, a directory, FIFO or symlink) is an error naming the file and is
--- never overwritten.
local json = require "cx.json"
local paths = require "cx.paths"
local fs = require "cx.localfs"

local state = {}

local cache = {} -- state_file path -> decoded document

--- The document the reference creates on the first write.
function state.default()
  return {
    alert_overrides = {},
    last_model = json.null,
    preferences = {
      conventional_commits = json.null,
      llm_backend = json.null,
      ollama_model = json.null,
      pr_summary_format = json.null,
    },
    runtime = { current_task_id = json.null, current_task_parent_id = json.null },
  }
end

local function cache_enabled()
  return os.getenv("CX_NO_CACHE") ~= "1"
end

local function resolve_file(file)
  if file then return file end
  local p, err, class = paths.resolve()
  if not p then return nil, err, class end
  return p.state_file
end

-- The sections cx reads as objects; any other value makes the file broken, not silently ignored.
local OBJECT_KEYS = { "preferences", "runtime", "alert_overrides" }

local function read_file(file)
  local text, err, class = fs.read(file, { max_bytes = fs.LIMITS.state })
  if not text then
    if class == "not_found" then return state.default() end
    return nil, "cannot read state file " .. file .. ": " .. fs.reason(err, file), class
  end
  if text:match("^%s*$") then return state.default() end
  local doc, perr = json.decode(text)
  if doc == nil then
    return nil, "invalid state JSON " .. file .. ": " .. tostring(perr), "invalid"
  end
  if type(doc) ~= "table" or json.is_array(doc) then
    return nil, "invalid state JSON " .. file .. ": not an object", "invalid"
  end
  for _, k in ipairs(OBJECT_KEYS) do
    local v = doc[k]
    if v ~= nil and v ~= json.null and (type(v) ~= "table" or json.is_array(v)) then
      return nil, string.format('invalid state JSON %s: "%s" must be an object', file, k), "invalid"
    end
  end
  return doc
end

--- The whole document (the default skeleton when the file does not exist), or nil, message, class.
--- file defaults to paths.resolve().state_file.
function state.load(file)
  local path, err, class = resolve_file(file)
  if not path then return nil, err, class end
  if cache_enabled() and cache[path] then return cache[path] end
  local doc
  doc, err, class = read_file(path)
  if not doc then return nil, err, class end
  if cache_enabled() then cache[path] = doc end
  return doc
end

local function split(dotted)
  local parts = {}
  for part in tostring(dotted):gmatch("[^.]+") do parts[#parts + 1] = part end
  return parts
end

--- The value at a dotted path ("preferences.llm_backend"); nil when absent or JSON null. On a broken
--- state file: nil, message, class.
function state.get(dotted, file)
  local doc, err, class = state.load(file)
  if not doc then return nil, err, class end
  local v = doc
  for _, k in ipairs(split(dotted)) do
    if type(v) ~= "table" then return nil end
    v = v[k]
  end
  if v == json.null then return nil end
  return v
end

--- Set a dotted path to value (nil writes JSON null) and write the file atomically, creating it from
--- the default skeleton. Returns true, or nil, message, class (a broken file is left untouched).
function state.set(dotted, value, file)
  local path, err, class = resolve_file(file)
  if not path then return nil, err, class end
  local doc
  doc, err, class = read_file(path) -- always fresh: never write over a change made by another process
  if not doc then return nil, err, class end
  local keys = split(dotted)
  if #keys == 0 then return nil, "state key is empty", "invalid" end
  local t = doc
  for i = 1, #keys - 1 do
    local k = keys[i]
    if type(t[k]) ~= "table" or json.is_array(t[k]) then t[k] = {} end
    t = t[k]
  end
  if value == nil then value = json.null end
  t[keys[#keys]] = value
  local ok
  ok, err, class = fs.mkdir_p(paths.dirname(path))
  if not ok then return nil, err, class end
  local encoded_ok, text = pcall(json.pretty, doc)
  if not encoded_ok then return nil, "cannot encode state: " .. tostring(text), "invalid" end
  ok, err, class = fs.write_atomic(path, text .. "\n")
  if not ok then return nil, err, class end
  cache[path] = nil
  return true
end

--- Forget cached documents.
function state.reset()
  cache = {}
end

return state
