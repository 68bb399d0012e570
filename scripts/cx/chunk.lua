--- Split text into chunks that fit a character budget, whole lines only (`cx chunk`). Pure.
local chunk = {}

local function chars(s)
  return utf8.len(s) or #s
end

--- The chunks of text (a list of strings, each ending with "\n"): lines are split on "\n" (a final
--- newline does not start a new line) and kept whole, byte for byte (a "\r" stays); each costs its
--- characters plus one; a chunk is closed when it is not empty and the next line would pass the
--- budget. Empty text gives one empty chunk; a budget of 0 gives one line per chunk.
function chunk.split(text, budget)
  local lines = {}
  for line in (text .. "\n"):gmatch("(.-)\n") do lines[#lines + 1] = line end
  if text:sub(-1) == "\n" or text == "" then lines[#lines] = nil end
  local out, cur, used = {}, {}, 0
  for _, line in ipairs(lines) do
    local cost = chars(line) + 1
    if #cur > 0 and used + cost > budget then
      out[#out + 1] = table.concat(cur)
      cur, used = {}, 0
    end
    cur[#cur + 1] = line .. "\n"
    used = used + cost
  end
  if #cur > 0 or #out == 0 then out[#out + 1] = table.concat(cur) end
  return out
end

return chunk
