--- `cx state [show | get <key> | set <key> <value>]` (`cxstate`): read and write .codex/state.json by
--- dotted path (`preferences.conventional_commits`). Values given to `set` are JSON when they parse
--- as JSON, else true/false/null (any case), an integer, a number, or the raw text.
local args = require "cx.args"
local json = require "cx.json"
local paths = require "cx.paths"
local registry = require "cx.registry"
local state = require "cx.state"

local M = { summary = "show, get or set values in .codex/state.json" }

local USAGE = "Usage: cx state <show|get <key>|set <key> <value>>"

local HELP = USAGE .. [[


  show               the whole document, pretty JSON (the default)
  get KEY            one value by dotted path: strings raw, anything else compact JSON
  set KEY VALUE      set a value: JSON when VALUE parses as JSON (42, [1,2], {"a":1}, "text"),
                     else true/false/null in any case, an integer, a number, or VALUE as a string
Exit codes: 0 ok, 1 missing key or unreadable/invalid state file, 2 usage error.
The file is written atomically (pretty, sorted keys); a path through a value that is not an object
(a string, a number, an array) is refused rather than overwritten.
]]

local function fail(sub, msg, code)
  io.stderr:write("cx state ", sub, ": ", msg, "\n")
  return code or 1
end

local function keys_of(dotted)
  local out = {}
  for k in dotted:gmatch("[^.]+") do out[#out + 1] = k end
  return out
end

--- The value `set` stores for a command-line text.
function M.parse_value(text)
  local v = json.decode((text:gsub("^%s+", "")))
  if v ~= nil then return v end
  local lower = text:lower()
  if lower == "true" then return true end
  if lower == "false" then return false end
  if lower == "null" then return json.null end
  if text:match("^[+-]?%d+$") then
    local n = math.tointeger(tonumber(text)) -- nil beyond 64 bits: then it is a number (below)
    if n then return n end
  end
  if text:match("^[+-]?%d*%.?%d*[eE]?[+-]?%d*$") and text:match("%d") then
    local f = tonumber(text)
    if f and f == f and f ~= math.huge and f ~= -math.huge then return f + 0.0 end
  end
  return text
end

local function state_file()
  local p, err = paths.resolve()
  if not p then return nil, err end
  return p.state_file
end

local function show()
  local doc, err = state.load()
  if not doc then return fail("show", err) end
  io.stdout:write(json.pretty(doc), "\n")
  return 0
end

local function get(key)
  if key == nil then return fail("get", "missing <key> (Usage: cx state get <key>)", 2) end
  local doc, err = state.load()
  if not doc then return fail("get", err) end
  local v = doc
  for _, k in ipairs(keys_of(key)) do
    if type(v) ~= "table" or json.is_array(v) or v[k] == nil then
      io.stderr:write("cx state get: key not found: ", key, "\n", "state_file: ", tostring(state_file()), "\n")
      return 1
    end
    v = v[k]
  end
  if type(v) == "string" then
    io.stdout:write(v, "\n")
  else
    io.stdout:write(json.encode(v), "\n")
  end
  return 0
end

-- The first prefix of keys that holds something other than an object, or nil.
local function blocked_prefix(doc, keys)
  local v = doc
  for i = 1, #keys - 1 do
    v = v[keys[i]]
    if v == nil or v == json.null then return nil end
    if type(v) ~= "table" or json.is_array(v) then
      return table.concat(keys, ".", 1, i), json.is_array(v) and "an array" or ("a " .. type(v))
    end
  end
  return nil
end

local function set(key, text)
  if key == nil or text == nil then
    return fail("set", "missing <key> or <value> (Usage: cx state set <key> <value>)", 2)
  end
  local keys = keys_of(key)
  if #keys == 0 then return fail("set", "key cannot be empty") end
  local doc, err = state.load()
  if not doc then return fail("set", err) end
  local prefix, what = blocked_prefix(doc, keys)
  if prefix then
    return fail("set", string.format("cannot set %s: %s is %s, not an object", key, prefix, what))
  end
  local ok
  ok, err = state.set(table.concat(keys, "."), M.parse_value(text))
  if not ok then return fail("set", err) end
  state.reset()
  io.stdout:write("ok\n")
  return 0
end

function M.run(argv)
  local sub = argv[1] or "show"
  if args.asks_help(argv) or argv[2] == "--help" then
    io.stdout:write(HELP)
    return 0
  end
  if sub == "show" then
    if argv[2] then return fail("show", "unexpected argument '" .. argv[2] .. "' (" .. USAGE .. ")", 2) end
    return show()
  elseif sub == "get" then
    if argv[3] then return fail("get", "unexpected argument '" .. argv[3] .. "' (Usage: cx state get <key>)", 2) end
    return get(argv[2])
  elseif sub == "set" then
    if argv[4] then
      return fail("set", "unexpected argument '" .. argv[4] .. "' (quote a value with spaces)", 2)
    end
    return set(argv[2], argv[3])
  end
  io.stderr:write("cx state: unknown subcommand '", sub, "'", registry.hint(sub, { "show", "get", "set" }), " (",
    USAGE, ")\n")
  return 2
end

return M
