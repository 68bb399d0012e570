--- Epoch seconds of a UTC calendar time, without os.time (which reads the local time zone).
local epoch = {}

--- Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's days_from_civil).
function epoch.days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

--- Seconds since the epoch of y-m-d h:mi:s UTC.
function epoch.seconds(y, m, d, h, mi, s)
  return epoch.days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + s
end

return epoch
