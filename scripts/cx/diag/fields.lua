--- Reading fields out of decoded run-log rows the way the reference does (diagnostics.md §0.2).
--- A row is whatever JSON value a log line held; fields of anything but an object are absent.
--- "Absent" covers missing, null and wrong type alike.
local json = require "cx.json"
local contract = require "cx.log_contract"

local fields = {}

local function get(row, key)
  if type(row) ~= "table" then return nil end
  return row[key]
end

--- A non-negative JSON integer, or nil (floats such as 100.0, negatives, strings are absent).
function fields.u64(row, key)
  local v = get(row, key)
  if math.type(v) == "integer" and v >= 0 then return v end
  return nil
end

--- A JSON string, or nil.
function fields.str(row, key)
  local v = get(row, key)
  if type(v) == "string" then return v end
  return nil
end

--- A JSON boolean, or nil.
function fields.bool(row, key)
  local v = get(row, key)
  if type(v) == "boolean" then return v end
  return nil
end

--- Trim ASCII whitespace at both ends.
function fields.trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

--- Whether a row passes the reference's typed loader (optimize reads only such rows): an object
--- whose every contract key (cx.log_contract, the reference's RunEntry) is missing, null, or of its
--- declared type. Unknown keys are ignored. Returns true, or false and the first offending key.
function fields.typed_ok(row)
  if type(row) ~= "table" or json.is_array(row) then return false, "(not an object)" end
  for _, key in ipairs(contract.KEYS) do
    local v = row[key]
    if v ~= nil and v ~= json.null and not contract.value_matches(v, contract.TYPES[key]) then return false, key end
  end
  return true
end

return fields
