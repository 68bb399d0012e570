--- Lookups over the command table (cx.commands): resolve a name or compatibility alias to its
--- entry, list every name cx answers to, and suggest the closest name for a typo. Dispatch, help,
--- `supports`, `routes`, `cx-compat` and completion all go through here, so they always agree.
local commands = require "cx.commands"
local suggest = require "cx.suggest"

local registry = {}

local by_name, aliases

local function index()
  if by_name then return end
  by_name, aliases = {}, {}
  for _, c in ipairs(commands.list) do by_name[c.name] = c end
  for alias, target in pairs(commands.aliases or {}) do aliases[alias] = target end
  for _, c in ipairs(commands.list) do
    for _, a in ipairs(c.aliases or {}) do aliases[a] = c.name end
  end
end

--- The registry entry for a command name or alias, or nil. An alias whose command is not
--- registered resolves to nil.
function registry.find(name)
  if type(name) ~= "string" then return nil end
  index()
  return by_name[aliases[name] or name]
end

--- The commands in registry order.
function registry.commands()
  return commands.list
end

--- The compatibility aliases whose command exists: { {alias=, command=}, ... } sorted by alias.
function registry.aliases()
  index()
  local out = {}
  for a, target in pairs(aliases) do
    if by_name[target] and not by_name[a] then out[#out + 1] = { alias = a, command = target } end
  end
  table.sort(out, function(x, y) return x.alias < y.alias end)
  return out
end

--- The aliases of one command, sorted.
function registry.aliases_of(name)
  local out = {}
  for _, a in ipairs(registry.aliases()) do
    if a.command == name then out[#out + 1] = a.alias end
  end
  return out
end

--- Every name cx dispatches (commands and live aliases), sorted byte-wise.
function registry.names()
  local out = {}
  for _, c in ipairs(commands.list) do out[#out + 1] = c.name end
  for _, a in ipairs(registry.aliases()) do out[#out + 1] = a.alias end
  table.sort(out)
  return out
end

--- The closest candidate to a mistyped word, or nil (cx.suggest: a few edits, or a unique prefix).
registry.suggest = suggest.closest

--- " (did you mean '<closest>'?)" for a mistyped word, or "" when nothing is close.
function registry.hint(word, candidates)
  local guess = registry.suggest(word, candidates)
  return guess and (" (did you mean '" .. guess .. "'?)") or ""
end

--- The closest command name (commands first, then aliases) to a mistyped one, or nil.
function registry.suggest_command(word)
  local candidates = {}
  for _, c in ipairs(commands.list) do candidates[#candidates + 1] = c.name end
  for _, a in ipairs(registry.aliases()) do candidates[#candidates + 1] = a.alias end
  return registry.suggest(word, candidates)
end

return registry
