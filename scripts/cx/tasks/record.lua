--- The task record of `.codex/tasks.json` (reference scheduler.md §1.2): its keys in the order
--- `task show` prints them, the defaults of absent keys, validation on read, the JSON form written
--- back, ids, and the value sets `task add` accepts. Pure: no I/O.
---
--- In memory a record is a plain table; JSON null of a nullable key is nil. Keys cx adds (`claim`,
--- `last_attempt`, `blocked_by`, `notes`) are written only when set, so a file the reference wrote
--- reads and writes back byte for byte. Unknown keys are kept as decoded.
local json = require "cx.json"

local record = {}

local function set_of(list)
  local s = {}
  for _, v in ipairs(list) do s[v] = true end
  return s
end

record.ROLES = { "architect", "implementer", "reviewer", "tester", "doc" }
record.BACKENDS = { "auto", "codex", "ollama" }
record.PROFILES = { "fast", "balanced", "quality", "schema_strict" }
record.CONVERGE = { "none", "first_valid", "majority", "judge", "score" }
record.MODES = { "sequential", "parallel" }
record.STATUSES = { "pending", "in_progress", "complete", "failed" }

record.is_role = set_of(record.ROLES)
record.is_backend = set_of(record.BACKENDS)
record.is_profile = set_of(record.PROFILES)
record.is_converge = set_of(record.CONVERGE)
record.is_mode = set_of(record.MODES)
record.is_status = set_of(record.STATUSES)

-- kind: string | string? (nullable) | uint | uint? | strings (array of strings) | object? | array
-- required: the reference's parser rejects a record without the key; default: the value otherwise.
local FIELDS = {
  { key = "id", kind = "string", required = true },
  { key = "parent_id", kind = "string?" },
  { key = "role", kind = "string", required = true },
  { key = "objective", kind = "string", required = true },
  { key = "context_ref", kind = "string", required = true },
  { key = "backend", kind = "string", default = "auto" },
  { key = "model", kind = "string?" },
  { key = "profile", kind = "string", default = "balanced" },
  { key = "converge", kind = "string", default = "none" },
  { key = "replicas", kind = "uint", default = 1 },
  { key = "max_concurrency", kind = "uint?" },
  { key = "run_mode", kind = "string", default = "sequential" },
  { key = "depends_on", kind = "strings" },
  { key = "resource_keys", kind = "strings" },
  { key = "max_retries", kind = "uint?" },
  { key = "timeout_secs", kind = "uint?" },
  { key = "status", kind = "string", required = true },
  { key = "created_at", kind = "string", required = true },
  { key = "updated_at", kind = "string", required = true },
  -- cx's additive keys (docs/tasks.md): written only when present
  { key = "claim", kind = "object?", additive = true },
  { key = "last_attempt", kind = "object?", additive = true },
  { key = "blocked_by", kind = "object?", additive = true },
  { key = "notes", kind = "array", additive = true },
}
record.FIELDS = FIELDS

local known = {}
for _, f in ipairs(FIELDS) do known[f.key] = f end

--- The keys in `task show` order: the reference's, then cx's additive ones.
function record.keys()
  local out = {}
  for i, f in ipairs(FIELDS) do out[i] = f.key end
  return out
end

local function json_type(v)
  if v == json.null then return "null" end
  local t = type(v)
  if t == "number" then return math.type(v) == "integer" and "integer" or "number" end
  if t == "table" then return json.is_array(v) and "array" or "object" end
  return t
end

-- Checks one decoded value against its field; returns the in-memory value, or nil and a reason.
local function check(f, v)
  local t = json_type(v)
  local kind = f.kind
  if kind:sub(-1) == "?" then
    if t == "null" then return nil end
    kind = kind:sub(1, -2)
  end
  if kind == "string" then
    if t == "string" then return v end
    return nil, "must be a string"
  elseif kind == "uint" then
    if t == "integer" and v >= 0 then return v end
    return nil, "must be a non-negative integer"
  elseif kind == "strings" then
    if t ~= "array" then return nil, "must be an array of strings" end
    for _, s in ipairs(v) do
      if type(s) ~= "string" then return nil, "must be an array of strings" end
    end
    return v
  elseif kind == "object" then
    if t == "object" then return v end
    return nil, "must be an object"
  elseif kind == "array" then
    if t == "array" then return v end
    return nil, "must be an array"
  end
  return nil, "has an unknown kind"
end

--- A record from its decoded JSON object (index = its 1-based position in the file). Returns the
--- record, or nil and a reason naming the index and the key.
function record.from_json(obj, index)
  if json_type(obj) ~= "object" then
    return nil, string.format("task record %d is not an object", index)
  end
  local where = string.format("task record %d", index)
  if type(obj.id) == "string" then where = where .. " (" .. obj.id .. ")" end
  local r = {}
  for k, v in pairs(obj) do
    if not known[k] then r[k] = v end -- unknown keys: kept, written back as read
  end
  for _, f in ipairs(FIELDS) do
    local v = obj[f.key]
    if v == nil then
      if f.required then return nil, string.format("%s: missing required key '%s'", where, f.key) end
      if f.kind == "strings" then
        r[f.key] = json.array({})
      else
        r[f.key] = f.default
      end
    else
      local value, why = check(f, v)
      if why then return nil, string.format("%s: key '%s' %s", where, f.key, why) end
      if value ~= nil and (f.kind == "strings" or f.kind == "array") then json.array(value) end
      r[f.key] = value
    end
  end
  return r
end

--- The JSON object written for a record: every reference key (null where unset), cx's additive
--- keys only when set, unknown keys as read.
function record.to_json(r)
  local out = {}
  for k, v in pairs(r) do
    if not known[k] then out[k] = v end
  end
  for _, f in ipairs(FIELDS) do
    local v = r[f.key]
    if f.additive then
      if v ~= nil and not (f.kind == "array" and #v == 0) then
        out[f.key] = (f.kind == "array") and json.array(v) or v
      end
    elseif v == nil then
      out[f.key] = (f.kind == "strings") and json.array({}) or json.null
    else
      out[f.key] = (f.kind == "strings") and json.array(v) or v
    end
  end
  return out
end

--- Now, as the reference writes it: YYYY-MM-DDTHH:MM:SSZ (UTC).
function record.now(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", t)
end

--- A new pending record with `task add`'s defaults; fields (any reference key) override them.
function record.new(id, fields, now)
  now = now or record.now()
  local r = {
    id = id, role = "implementer", objective = "", context_ref = "", backend = "auto",
    profile = "balanced", converge = "none", replicas = 1, run_mode = "sequential",
    depends_on = json.array({}), resource_keys = json.array({}),
    status = "pending", created_at = now, updated_at = now,
  }
  for k, v in pairs(fields or {}) do r[k] = v end
  return r
end

-- ids ------------------------------------------------------------------------------------------

--- The numeric suffix of a `task_<digits>` id, or nil.
function record.id_number(id)
  local digits = type(id) == "string" and id:match("^task_(%d+)$")
  if not digits then return nil end
  return math.tointeger(tonumber(digits))
end

--- `task_NNN` after the largest numeric suffix among ids (task_001 when there is none).
function record.next_id(tasks, after)
  local max = after or 0
  for _, t in ipairs(tasks) do
    local n = record.id_number(t.id)
    if n and n > max then max = n end
  end
  return record.format_id(max + 1)
end

function record.format_id(n)
  return string.format("task_%03d", n)
end

-- Splits a string into runs of digits and of other characters.
local function chunks(s)
  local out = {}
  for text, digits in s:gmatch("(%D*)(%d*)") do
    if text ~= "" then out[#out + 1] = text end
    if digits ~= "" then out[#out + 1] = digits end
  end
  return out
end

local function number_cmp(a, b)
  local sa, sb = a:gsub("^0+", ""), b:gsub("^0+", "")
  if #sa ~= #sb then return #sa < #sb and -1 or 1 end
  if sa ~= sb then return sa < sb and -1 or 1 end
  return 0
end

-- Chunks of the ids seen lately: a sort compares each id many times (cleared when it grows large).
local chunk_cache, cached = {}, 0

local function chunks_of(id)
  local c = chunk_cache[id]
  if c then return c end
  if cached >= 100000 then chunk_cache, cached = {}, 0 end
  c = chunks(id)
  chunk_cache[id], cached = c, cached + 1
  return c
end

--- Id order: numeric-aware (`task_999` before `task_1000`), ties broken by plain byte order. The
--- reference sorted ids as plain strings (docs/compat.md).
function record.id_less(a, b)
  if a == b then return false end
  local ca, cb = chunks_of(a), chunks_of(b)
  for i = 1, math.min(#ca, #cb) do
    local x, y = ca[i], cb[i]
    if x ~= y then
      local xd, yd = x:match("^%d"), y:match("^%d")
      if xd and yd then
        local c = number_cmp(x, y)
        if c ~= 0 then return c < 0 end
      else
        return x < y
      end
    end
  end
  if #ca ~= #cb then return #ca < #cb end
  return a < b
end

--- Sorts a list of ids in place (id_less) and returns it.
function record.sort_ids(ids)
  table.sort(ids, record.id_less)
  return ids
end

--- id -> record, and id -> position, for a list of records.
function record.index(tasks)
  local by_id, pos = {}, {}
  for i, t in ipairs(tasks) do
    if by_id[t.id] == nil then
      by_id[t.id] = t
      pos[t.id] = i
    end
  end
  return by_id, pos
end

-- status changes ---------------------------------------------------------------------------------

--- Sets a status by hand (`task claim|complete|fail`): any transition, as in the reference. A run's
--- claim is dropped (the task is now the user's), and so is a stale "blocked by" once it is done.
function record.set_status(r, status, now)
  r.status = status
  r.updated_at = now or record.now()
  r.claim = nil
  if status == "complete" then r.blocked_by = nil end
end

--- Appends a note {time, text} to the record's notes.
function record.add_note(r, text, now)
  local notes = r.notes or json.array({})
  notes[#notes + 1] = { time = now or record.now(), text = text }
  r.notes = json.array(notes)
end

return record
