--- Statistics and rounding helpers shared by diag, scheduler and optimize (reference §0.4, §6).
--- Every function is pure: numbers in, numbers or strings out.
local stats = {}

--- Round half away from zero, as Rust's f64::round and C round() do (12.5 -> 13, -12.5 -> -13).
--- math.floor(x + 0.5) is wrong for negatives and for 0.49999999999999994, so compare the fraction.
function stats.round(x)
  if x < 0 then return -stats.round(-x) end
  local i = math.floor(x)
  if x - i >= 0.5 then i = i + 1 end
  return math.tointeger(i) or i
end

--- A ratio as an integer percentage: round(x * 100).
function stats.pct(x)
  return stats.round(x * 100)
end

--- Two decimals, rounding the exact binary value half-to-even like printf("%.2f") (0.125 -> "0.12").
function stats.fmt2(x)
  return string.format("%.2f", x)
end

--- a / b as a float, or nil when b is 0 (the reference's Option<f64>).
function stats.ratio(a, b)
  if b == 0 then return nil end
  return a / b
end

--- a / b as a float, or 0.0 when b is 0 (diag's rates are never null).
function stats.ratio_or_zero(a, b)
  if b == 0 then return 0.0 end
  return a / b
end

--- Integer mean, floored; nil for no values.
function stats.avg_floor(sum, count)
  if count == 0 then return nil end
  return sum // count
end

--- Index (0-based) of diag/scheduler's p95: round((n - 1) * 0.95) in double arithmetic.
--- n = 11 gives 10 because 10 * 0.95 is exactly 9.5.
function stats.p95_index(n)
  return stats.round((n - 1) * 0.95)
end

local function sorted_copy(values)
  local s = {}
  for i = 1, #values do s[i] = values[i] end
  table.sort(s)
  return s
end

--- diag/scheduler p95 of a list of integers, or nil for an empty list.
function stats.p95(values)
  if #values == 0 then return nil end
  local s = sorted_copy(values)
  return s[stats.p95_index(#s) + 1]
end

--- broker benchmark's p95: index floor((n - 1) * 95 / 100) in integer arithmetic; 0 for no values.
function stats.p95_floor(values)
  if #values == 0 then return 0 end
  local s = sorted_copy(values)
  return s[(#s - 1) * 95 // 100 + 1]
end

--- The keys of a table, sorted (byte order for strings).
function stats.sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

--- Parse an unsigned decimal the way Rust's u64::from_str does: optional leading '+', digits only,
--- no whitespace. Returns the integer or nil (also nil when it does not fit a Lua integer).
function stats.parse_u64(text)
  if type(text) ~= "string" then return nil end
  local digits = text:match("^%+?(%d+)$")
  if not digits then return nil end
  digits = digits:gsub("^0+(%d)", "%1")
  if #digits > 19 or (#digits == 19 and digits > "9223372036854775807") then return nil end
  return math.tointeger(tonumber(digits))
end

return stats
