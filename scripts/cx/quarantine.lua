--- Quarantine: one pretty JSON file per structured-command failure, `<dir>/<id>.json`, in the
--- reference's record format and key order, so `quarantine show` and `replay` read files written by
--- either implementation. Unlike the reference, ids carry a random suffix and files are never
--- overwritten (two failures of one tool in the same second keep both records).
local json = require "cx.json"
local fs = require "cx.localfs"
local redact = require "cx.redact"

local quarantine = {}

local STRING_FIELDS = { "id", "ts", "tool", "reason", "schema", "prompt", "prompt_sha256", "raw_response",
  "raw_sha256" }
local ATTEMPT_FIELDS = { "reason", "prompt", "prompt_sha256", "raw_response", "raw_sha256" }

local function join(dir, name)
  if dir:sub(-1) == "/" then return dir .. name end
  return dir .. "/" .. name
end

--- `<tool>` with every char that is not ASCII alnum, `_` or `-` replaced by `_`.
function quarantine.sanitize(tool)
  return (tostring(tool or ""):gsub("[^%w_%-]", "_"))
end

--- A new id: `<YYYYMMDDTHHMMSSZ>_<tool sanitized>_<pid>_<8 hex>`.
function quarantine.new_id(tool, time)
  local rnd = fs.random_hex(4) or string.format("%08x", math.random(0, 0x7fffffff))
  return string.format("%s_%s_%d_%s", os.date("!%Y%m%dT%H%M%SZ", time), quarantine.sanitize(tool), fs.pid(), rnd)
end

--- Is id a plain quarantine id (no path separators, no dots: it is joined into a path)?
function quarantine.valid_id(id)
  return type(id) == "string" and id:match("^[%w_%-]+$") ~= nil
end

local function str(v)
  return json.encode(v == nil and "" or v)
end

--- The record as the reference writes it: pretty JSON (2 spaces), fields in struct order,
--- no trailing newline.
function quarantine.encode(rec)
  local lines = { "{" }
  for _, k in ipairs(STRING_FIELDS) do
    lines[#lines + 1] = string.format('  "%s": %s,', k, str(rec[k]))
  end
  local attempts = rec.attempts or {}
  if #attempts == 0 then
    lines[#lines + 1] = '  "attempts": []'
  else
    lines[#lines + 1] = '  "attempts": ['
    for i, a in ipairs(attempts) do
      lines[#lines + 1] = "    {"
      for j, k in ipairs(ATTEMPT_FIELDS) do
        lines[#lines + 1] = string.format('      "%s": %s%s', k, str(a[k]), j < #ATTEMPT_FIELDS and "," or "")
      end
      lines[#lines + 1] = i < #attempts and "    }," or "    }"
    end
    lines[#lines + 1] = "  ]"
  end
  lines[#lines + 1] = "}"
  return table.concat(lines, "\n")
end

--- Normalize a decoded record the way the reference's reader does: missing keys default to "" / [],
--- unknown keys are ignored, a wrong type is an error. Returns the record or nil, message.
function quarantine.normalize(v)
  if type(v) ~= "table" or json.is_array(v) then return nil, "expected a JSON object" end
  local rec = {}
  for _, k in ipairs(STRING_FIELDS) do
    local x = v[k]
    if x == nil then x = "" end
    if type(x) ~= "string" then return nil, string.format('field "%s" must be a string', k) end
    rec[k] = x
  end
  local attempts = v.attempts
  if attempts == nil then attempts = {} end
  if type(attempts) ~= "table" or (next(attempts) ~= nil and not json.is_array(attempts)) then
    return nil, 'field "attempts" must be an array'
  end
  rec.attempts = {}
  for i, a in ipairs(attempts) do
    if type(a) ~= "table" or json.is_array(a) then
      return nil, string.format('attempts[%d] must be an object', i - 1)
    end
    local out = {}
    for _, k in ipairs(ATTEMPT_FIELDS) do
      local x = a[k]
      if x == nil then x = "" end
      if type(x) ~= "string" then return nil, string.format('field "attempts[%d].%s" must be a string', i - 1, k) end
      out[k] = x
    end
    rec.attempts[i] = out
  end
  return rec
end

--- Write a record (tool, reason, schema, prompt, prompt_sha256, raw_response, raw_sha256, attempts)
--- into dir (created if needed); id and ts are assigned here, and every string passes through
--- cx.redact. opts.time overrides the clock. Returns id, path, record — or nil,
--- `failed to write <path>: <err>`.
function quarantine.write(dir, record, opts)
  opts = opts or {}
  local ok, err = fs.mkdir_p(dir)
  if not ok then return nil, "failed to write " .. dir .. ": " .. fs.reason(err, dir) end
  local time = opts.time or os.time()
  local rec = redact.value(record)
  rec.ts = os.date("!%Y-%m-%dT%H:%M:%SZ", time)
  local path
  for _ = 1, 16 do -- a clash needs the same second, pid and 32 random bits: retry, never overwrite
    rec.id = quarantine.new_id(record.tool, time)
    path = join(dir, rec.id .. ".json")
    local wok, werr, class = fs.write_atomic(path, quarantine.encode(rec), { no_replace = true })
    if wok then return rec.id, path, rec end
    if class ~= "exists" then return nil, "failed to write " .. path .. ": " .. fs.reason(werr, path) end
  end
  return nil, "failed to write " .. path .. ": could not find a free quarantine id"
end

local function read_record(path)
  local text, err = fs.read(path, { max_bytes = fs.LIMITS.quarantine })
  if not text then return nil, fs.reason(err, path) end
  if not text:find("%S") then return nil, "empty file" end
  local v, derr = json.decode(text)
  if v == nil then return nil, derr end
  return quarantine.normalize(v)
end

--- The newest n records of dir (sorted by ts descending, then id). Returns
--- { entries = { record, ... }, total = <readable records>, skipped = { { path, error }, ... } };
--- unreadable or broken files are skipped but reported. A missing dir is empty; a dir that cannot
--- be listed (a symlink, a file) gives nil, message.
function quarantine.list(dir, n)
  local out = { entries = {}, total = 0, skipped = {} }
  local names, lerr, class = fs.list_dir(dir)
  if not names then
    if class == "not_found" then return out end
    return nil, lerr
  end
  local records = {}
  for _, name in ipairs(names) do
    if name:sub(-5) == ".json" then
      local path = join(dir, name)
      local rec, err = read_record(path)
      if rec then
        records[#records + 1] = rec
      else
        out.skipped[#out.skipped + 1] = { path = path, error = err }
      end
    end
  end
  table.sort(records, function(a, b)
    if a.ts ~= b.ts then return a.ts > b.ts end
    return a.id > b.id
  end)
  out.total = #records
  for i = 1, math.min(n or #records, #records) do out.entries[i] = records[i] end
  return out
end

--- One record by id. Returns record, path — or nil, message, class ("invalid_id", "not_found",
--- "invalid").
function quarantine.show(dir, id)
  if not quarantine.valid_id(id) then
    return nil, "invalid quarantine id: " .. tostring(id), "invalid_id"
  end
  local path = join(dir, id .. ".json")
  local text, err, class = fs.read(path, { max_bytes = fs.LIMITS.quarantine })
  if not text then
    if class == "not_found" then return nil, "quarantine id not found: " .. id, "not_found" end
    return nil, "failed to read " .. path .. ": " .. fs.reason(err, path), "io"
  end
  local v, derr = json.decode(text)
  if v == nil then return nil, "invalid quarantine JSON " .. path .. ": " .. derr, "invalid" end
  local rec, nerr = quarantine.normalize(v)
  if not rec then return nil, "invalid quarantine JSON " .. path .. ": " .. nerr, "invalid" end
  return rec, path
end

return quarantine
