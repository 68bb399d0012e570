--- Field population of a window of run-log rows, streamed: how many rows of each row group carry
--- each field (non-null), hold it as null, or lack it; in which half of the window; with which JSON
--- types; and the first rows that lack each field (bounded evidence). The telemetry expectations
--- (cx.logs.quality, policies/telemetry.lua) judge these numbers; nothing here depends on them.
---
--- Rows are counted per cell: (kind, context, outcome, half) of cx.logs.rowkind. A cell is the
--- finest partition, so any group (a kind, `capture.ok`, `failed`, the newer half ...) is the sum
--- of its cells. Memory grows with the cells (at most a few hundred), the distinct keys (capped),
--- the evidence (capped) and the distinct row shapes (capped), never with the rows.
---
--- A row may come with its shape (cx.logs.window: one byte per contract key, its JSON type or
--- absence; false when it has keys outside the contract). Once a row of some shape changed nothing
--- in its cell but counters, every later row of that shape in that cell would do the same, so it is
--- only tallied (one counter per shape, spread over the fields when the numbers are read): most
--- rows of a log have a handful of shapes, and members are not walked one by one in Lua.
local json = require "cx.json"
local contract = require "cx.log_contract"
local rowkind = require "cx.logs.rowkind"

local null, is_array = json.null, json.is_array

local population = {}

population.EVIDENCE_PER_FIELD = 10 -- rows kept per (cell, field) that lack the field
population.EVIDENCE_ROWS_MAX = 4096 -- distinct rows kept as evidence over the window
population.KEYS_MAX = 1024 -- distinct keys tracked in detail (contract keys always are)
population.TEXT_MAX = 200 -- longest execution_id / tool copied into an excerpt
population.SHAPES_MAX = 4096 -- (cell, shape) pairs settled over the window (later rows are walked)

-- the contract keys, in shape order: evidence is collected for them from the first row
local UNIVERSE = contract.FIELD_KEYS

-- The legacy pairs as pseudo-fields (`ts|timestamp`, `tool|command`): carried when either key is.
local PAIRS, PSEUDO = {}, {}
population.PAIRS = {}
local INDEX = {} -- contract key -> its byte in a shape
for i, k in ipairs(UNIVERSE) do INDEX[k] = i end
for _, p in ipairs(contract.LEGACY_PAIRS) do
  if p[1] ~= p[2] then
    local name = p[1] .. "|" .. p[2]
    PAIRS[#PAIRS + 1] = { name, p[1], p[2], INDEX[p[1]], INDEX[p[2]] }
    PSEUDO[name] = true
    population.PAIRS[#population.PAIRS + 1] = name
  end
end

--- A fresh accumulator for a window of `total` rows (the older half is the first total // 2).
function population.new(total)
  return {
    total = total, half = total // 2, index = 0, objects = 0, non_objects = 0,
    cells = {}, cell_order = {},
    known = {}, known_count = 0, -- keys tracked in detail
    seen = { {}, {} }, -- per half (1 older, 2 newer): the keys its rows carry
    -- per half: key -> first type seen; key -> {type = true} when more than one
    types = { {}, {} }, more_types = { {}, {} },
    appeared = {}, -- key -> excerpt of its first row in the newer half, when the older half lacks it
    new_types = {}, -- key -> {type -> excerpt}: first newer-half row with a type the older half lacks
    first_newer = nil, -- excerpt of the newer half's first row
    kept = 0, full = false,
    changes = 0, -- bumped by every change a row makes besides counters (rows of a shape that made none are tallied)
    tallied = false, -- some cell has tallies not yet spread over its counters
    shapes = 0, -- (cell, shape) pairs settled so far
  }
end

local function new_cell(acc, kind, context, outcome, half)
  local absent = {}
  for i, k in ipairs(UNIVERSE) do absent[i] = k end
  for k in pairs(acc.known) do
    if not contract.TYPES[k] then absent[#absent + 1] = k end
  end
  -- missing[k]: the first rows lacking k; full[k]: that list is complete; absent: the keys whose
  -- absence is still looked for (their list is not full), want: how many
  -- settled[shape]: rows of that shape change nothing but counters; tally[shape]: rows counted so
  local cell = { kind = kind, context = context, outcome = outcome, half = half, rows = 0,
    non_null = {}, null = {}, missing = {}, full = {}, absent = absent, want = #absent, first = {},
    settled = {}, tally = {} }
  acc.cell_order[#acc.cell_order + 1] = cell
  return cell
end

local KIND_INDEX, CONTEXT_INDEX, OUTCOME_INDEX = {}, { none = 0 }, {}
for i, k in ipairs(rowkind.KINDS) do KIND_INDEX[k] = i end
for i, c in ipairs(rowkind.CONTEXTS) do CONTEXT_INDEX[c] = i end
for i, o in ipairs(rowkind.OUTCOMES) do OUTCOME_INDEX[o] = i end

local function cell_of(acc, kind, context, outcome, half)
  local key = ((KIND_INDEX[kind] * 4 + CONTEXT_INDEX[context]) * 4 + OUTCOME_INDEX[outcome]) * 2 + half
  local cell = acc.cells[key]
  if not cell then
    cell = new_cell(acc, kind, context, outcome, half)
    acc.cells[key] = cell
  end
  return cell
end

local function short(v)
  if type(v) == "string" and #v <= population.TEXT_MAX then return v end
  return nil
end

-- The excerpt of the row being added, made once and only when the row is kept as evidence.
local function excerpt(acc, row)
  if acc.current then return acc.current end
  if acc.full then return nil end
  acc.kept = acc.kept + 1
  if acc.kept >= population.EVIDENCE_ROWS_MAX then acc.full = true end
  local e = { execution_id = short(row.execution_id), tool = short(rowkind.tool(row)), kind = acc.current_kind,
    offset = acc.current_offset, line = acc.current_line, index = acc.index }
  acc.current = e
  return e
end

--- The evidence excerpt of the row population.add counted last ({execution_id, tool, kind, offset,
--- line, index}), made once; nil when the window's evidence budget is spent.
function population.excerpt(acc, row)
  return excerpt(acc, row)
end

-- Add the row to the evidence of cell lacking k; true once that list is full.
local function note_missing(acc, row, cell, k)
  local list = cell.missing[k]
  if not list then list = {}; cell.missing[k] = list end
  local e = excerpt(acc, row)
  acc.changes = acc.changes + 1
  if e then list[#list + 1] = e end
  if #list >= population.EVIDENCE_PER_FIELD or not e then
    cell.full[k] = true
    if not PSEUDO[k] then cell.want = cell.want - 1 end
    return true
  end
  return false
end

-- The first time key k shows in a cell: track it (within KEYS_MAX; contract keys always), and
-- note the first newer-half row of a key the older half lacks. Returns false for a key not tracked.
local function first_in_cell(acc, row, cell, k)
  if not acc.known[k] then
    if acc.known_count >= population.KEYS_MAX and not contract.TYPES[k] then return false end
    acc.known[k] = true
    acc.known_count = acc.known_count + 1
    if not contract.TYPES[k] then
      -- a key outside the contract: the absence of it is looked for from now on, in rows of every
      -- shape (none is settled any more)
      for _, c in ipairs(acc.cell_order) do
        c.absent[#c.absent + 1] = k
        c.want = c.want + 1
        c.settled = {}
      end
    end
  end
  acc.changes = acc.changes + 1
  local h = cell.half
  if not acc.seen[h][k] then
    acc.seen[h][k] = true
    if h == 2 and not acc.seen[1][k] then acc.appeared[k] = excerpt(acc, row) or false end
  end
  return true
end

-- A value of key k whose type is not the first type half h saw for k.
local function other_type(acc, row, k, t, h)
  local types, more = acc.types[h], acc.more_types[h]
  if types[k] == nil then
    types[k] = t
  else
    local m = more[k]
    if not m then m = {}; more[k] = m end
    if m[t] then return end
    m[t] = true
  end
  acc.changes = acc.changes + 1
  if h == 2 then
    local older = acc.types[1][k]
    if older ~= nil and older ~= t and not (acc.more_types[1][k] and acc.more_types[1][k][t]) then
      local seen = acc.new_types[k]
      if not seen then seen = {}; acc.new_types[k] = seen end
      if seen[t] == nil then seen[t] = excerpt(acc, row) or false end
    end
  end
end

local math_type = math.type

-- Count the members of one object row into its cell (the hot loop: one counter per member), note
-- the first rows holding a null and the JSON types of the values. Returns how many of the keys the
-- cell still looks for the absence of (cell.want) the row has.
local function count_members(acc, row, cell)
  local nn, nl, full = cell.non_null, cell.null, cell.full
  local h = cell.half
  local types = acc.types[h]
  local wanted = 0
  for k, v in pairs(row) do
    if v == null then
      local n = nl[k]
      if n then
        nl[k] = n + 1
      elseif nn[k] or first_in_cell(acc, row, cell, k) then
        nl[k] = 1
      else
        goto next_member
      end
      if not full[k] and not note_missing(acc, row, cell, k) then wanted = wanted + 1 end
    else
      local n = nn[k]
      if n then
        nn[k] = n + 1
      elseif nl[k] or first_in_cell(acc, row, cell, k) then
        nn[k] = 1
      else
        goto next_member
      end
      if not full[k] then wanted = wanted + 1 end
      local t = type(v)
      if t == "number" then
        t = math_type(v)
      elseif t == "table" then
        t = is_array(v) and "array" or "object"
      end
      if types[k] ~= t then other_type(acc, row, k, t, h) end
    end
    ::next_member::
  end
  return wanted
end

-- Evidence of absence: the first rows of the cell lacking each key still looked for.
local function collect_absent(acc, row, cell)
  local absent, full = cell.absent, cell.full
  local i = 1
  while i <= #absent do
    local k = absent[i]
    if full[k] or (row[k] == nil and note_missing(acc, row, cell, k)) then
      absent[i] = absent[#absent]
      absent[#absent] = nil
    else
      i = i + 1
    end
  end
end

--- Count one row (any decoded JSON value; non-objects are counted apart). offset and line locate
--- it in the log (either may be nil); shape is the row's (contract:decode), or nil / false.
function population.add(acc, row, offset, line, shape)
  acc.index = acc.index + 1
  acc.current, acc.current_kind, acc.current_offset, acc.current_line = nil, nil, offset, line
  if type(row) ~= "table" or is_array(row) then
    acc.non_objects = acc.non_objects + 1
    return
  end
  acc.objects = acc.objects + 1
  local h = acc.index <= acc.half and 1 or 2
  local kind, context, outcome = rowkind.classify(row)
  acc.current_kind = kind
  local cell = cell_of(acc, kind, context, outcome, h)
  cell.rows = cell.rows + 1
  if shape and cell.settled[shape] then
    cell.tally[shape] = (cell.tally[shape] or 0) + 1
    acc.tallied = true
    return
  end
  local changes = acc.changes
  if h == 2 and acc.first_newer == nil then
    acc.first_newer = excerpt(acc, row) or false
    acc.changes = acc.changes + 1
  end
  if #cell.first < population.EVIDENCE_PER_FIELD then
    local e = excerpt(acc, row)
    if e then
      cell.first[#cell.first + 1] = e
      acc.changes = acc.changes + 1
    end
  end
  local wanted = count_members(acc, row, cell)
  for i = 1, #PAIRS do
    local p = PAIRS[i]
    local a, b = row[p[2]], row[p[3]]
    if (a ~= nil and a ~= null) or (b ~= nil and b ~= null) then
      cell.non_null[p[1]] = (cell.non_null[p[1]] or 0) + 1
    elseif not cell.full[p[1]] then
      note_missing(acc, row, cell, p[1])
    end
  end
  -- only a row without some key the cell still looks for is scanned for the keys it lacks
  if wanted < cell.want and not acc.full then collect_absent(acc, row, cell) end
  if shape and acc.changes == changes and acc.shapes < population.SHAPES_MAX then
    cell.settled[shape] = true
    acc.shapes = acc.shapes + 1
  end
end

local byte = string.byte
local ABSENT, NULL = byte("-"), byte("z")

-- Spread the cells' tallies over their counters (before any number is read).
local function spread(acc)
  if not acc.tallied then return end
  for _, c in ipairs(acc.cell_order) do
    local nn, nl = c.non_null, c.null
    for shape, n in pairs(c.tally) do
      for i = 1, #shape do
        local b = byte(shape, i)
        if b == NULL then
          local k = UNIVERSE[i]
          nl[k] = nl[k] + n -- a settled shape's keys all have counters
        elseif b ~= ABSENT then
          local k = UNIVERSE[i]
          nn[k] = nn[k] + n
        end
      end
      for j = 1, #PAIRS do
        local p = PAIRS[j]
        local a, b = byte(shape, p[4]), byte(shape, p[5])
        if (a ~= ABSENT and a ~= NULL) or (b ~= ABSENT and b ~= NULL) then nn[p[1]] = (nn[p[1]] or 0) + n end
      end
    end
    c.tally = {}
  end
  acc.tallied = false
end

--- The cells of the window (in the order they appeared).
function population.cells(acc)
  spread(acc)
  return acc.cell_order
end

-- Merge evidence lists (each in row order) and keep the first n.
local function merge_first(lists, n)
  local all = {}
  for _, l in ipairs(lists) do
    for _, e in ipairs(l) do all[#all + 1] = e end
  end
  table.sort(all, function(a, b) return a.index < b.index end)
  local out, last = {}, nil
  for _, e in ipairs(all) do
    if e ~= last then out[#out + 1] = e end
    last = e
    if #out == n then break end
  end
  return out
end

--- The numbers of group `name` (cx.logs.rowkind.GROUPS) over the cells that `keep(cell)` accepts
--- (default: every cell; e.g. one half): { rows, non_null = {key = n}, null = {key = n},
--- missing = {key = first rows lacking it}, first = first rows }. Evidence lists are in row order.
function population.group(acc, name, keep)
  local g = { rows = 0, non_null = {}, null = {}, missing = {}, first = {} }
  local firsts, missing = {}, {}
  for _, c in ipairs(population.cells(acc)) do
    if (keep == nil or keep(c)) and rowkind.member(name, c.kind, c.context, c.outcome) then
      g.rows = g.rows + c.rows
      for k, n in pairs(c.non_null) do g.non_null[k] = (g.non_null[k] or 0) + n end
      for k, n in pairs(c.null) do g.null[k] = (g.null[k] or 0) + n end
      firsts[#firsts + 1] = c.first
      for k, l in pairs(c.missing) do
        local m = missing[k]
        if not m then m = {}; missing[k] = m end
        m[#m + 1] = l
      end
    end
  end
  if g.rows == 0 then return g end
  g.first = merge_first(firsts, population.EVIDENCE_PER_FIELD)
  for k, lists in pairs(missing) do g.missing[k] = merge_first(lists, population.EVIDENCE_PER_FIELD) end
  return g
end

--- The rows of the window lacking `key` in group g: its evidence list, or (when no row of the group
--- ever had the key, so none was tracked) the group's first rows.
function population.missing_rows(g, key)
  return g.missing[key] or g.first
end

--- Keys carried in each half: { older = {key = rows}, newer = {...}, older_legacy = {key = rows
--- of legacy rows}, newer_legacy = {...}, appeared = {key = excerpt|false}, first_newer =
--- excerpt|false|nil }.
function population.halves(acc)
  local out = { older = {}, newer = {}, older_legacy = {}, newer_legacy = {}, appeared = acc.appeared,
    first_newer = acc.first_newer }
  for _, c in ipairs(population.cells(acc)) do
    local all = c.half == 1 and out.older or out.newer
    local legacy = c.kind == "legacy" and (c.half == 1 and out.older_legacy or out.newer_legacy) or nil
    for _, counts in ipairs({ c.non_null, c.null }) do
      for k, n in pairs(counts) do
        if not PSEUDO[k] then -- not a legacy-pair pseudo-field
          all[k] = (all[k] or 0) + n
          if legacy then legacy[k] = (legacy[k] or 0) + n end
        end
      end
    end
  end
  return out
end

--- The JSON types of a key's non-null values in half h (1 older, 2 newer), sorted.
function population.types_of(acc, key, h)
  local out = {}
  local first = acc.types[h][key]
  if first then out[1] = first end
  for t in pairs(acc.more_types[h][key] or {}) do out[#out + 1] = t end
  table.sort(out)
  return out
end

--- Keys whose non-null values have, in the newer half, a type the older half's values lack (both
--- halves carrying the key): { {key, older = {types}, newer = {types}, evidence = {excerpt}} },
--- sorted by key.
function population.type_changes(acc)
  local out = {}
  for k, by_type in pairs(acc.new_types) do
    local ev = {}
    for _, e in pairs(by_type) do
      if e then ev[#ev + 1] = e end
    end
    table.sort(ev, function(a, b) return a.index < b.index end)
    out[#out + 1] = { key = k, older = population.types_of(acc, k, 1), newer = population.types_of(acc, k, 2),
      evidence = ev }
  end
  -- a type the older half had and the newer lacks is a change too (both halves carry the key)
  local listed = {}
  for _, x in ipairs(out) do listed[x.key] = true end
  for k in pairs(acc.types[1]) do
    if not listed[k] and acc.types[2][k] ~= nil then
      local older, newer = population.types_of(acc, k, 1), population.types_of(acc, k, 2)
      if table.concat(older, ",") ~= table.concat(newer, ",") then
        out[#out + 1] = { key = k, older = older, newer = newer, evidence = {} }
      end
    end
  end
  table.sort(out, function(a, b) return a.key < b.key end)
  return out
end

return population
