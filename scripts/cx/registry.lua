--- Lookups over the command table (cx.commands): resolve a name or compatibility alias to its
--- entry, list every name cx answers to, and suggest the closest name for a typo. Dispatch, help,
--- `supports`, `routes`, `cx-compat` and completion all go through here, so they always agree.
local commands = require "cx.commands"

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

-- Optimal string alignment distance (Levenshtein plus adjacent transpositions: daig -> diag is 1).
local function distance(a, b)
  local la, lb = #a, #b
  local d = {}
  for i = 0, la do
    d[i] = { [0] = i }
  end
  for j = 0, lb do d[0][j] = j end
  for i = 1, la do
    for j = 1, lb do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      local v = math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if i > 1 and j > 1 and a:byte(i) == b:byte(j - 1) and a:byte(i - 1) == b:byte(j) then
        v = math.min(v, d[i - 2][j - 2] + 1)
      end
      d[i][j] = v
    end
  end
  return d[la][lb]
end

--- The closest candidate to word (at most 2 edits, and fewer than half its length), or nil.
--- Ties go to the candidate listed first.
function registry.suggest(word, candidates)
  if type(word) ~= "string" or word == "" then return nil end
  local best, best_d
  local limit = math.min(2, math.max(1, #word // 2))
  for _, c in ipairs(candidates) do
    local d = distance(word, c)
    if d <= limit and (best_d == nil or d < best_d) then best, best_d = c, d end
  end
  return best
end

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
