--- The prompt filter (reference adapters.md §2.8): trailing spaces trimmed per line, blank-line runs
--- collapsed, the whole text trimmed, then an optional hard cap in characters.
local M = {}

--- Filter a prompt. max_chars <= 0 or nil means no cap.
function M.filter(text, max_chars)
  local out, prev_blank = {}, false
  for line in (text .. "\n"):gmatch("(.-)\n") do
    line = line:gsub("%s+$", "")
    local blank = line == ""
    if not (blank and prev_blank) then out[#out + 1] = line end
    prev_blank = blank
  end
  local s = table.concat(out, "\n"):match("^%s*(.-)%s*$")
  if max_chars and max_chars > 0 and (utf8.len(s) or #s) > max_chars then
    s = utf8.len(s) and s:sub(1, utf8.offset(s, max_chars + 1) - 1) or s:sub(1, max_chars)
  end
  return s
end

return M
