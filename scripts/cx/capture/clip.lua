--- The context budget (reference logs.md §7 step 3): a line limit then a char limit, from the head
--- or the tail (smart: the tail when the text mentions errors), with an optional footer.
local M = {}

--- Unicode scalar count (bytes for invalid UTF-8, so a bad capture never breaks counting).
function M.chars(s)
  return utf8.len(s) or #s
end

--- lines() semantics: split on \n, a final newline makes no extra line, "" has 0 lines.
function M.count_lines(s)
  if s == "" then return 0 end
  local n = select(2, s:gsub("\n", ""))
  if s:sub(-1) ~= "\n" then n = n + 1 end
  return n
end

local function split_lines(s)
  local out = {}
  for line in (s .. "\n"):gmatch("(.-)\n") do out[#out + 1] = line end
  if s:sub(-1) == "\n" then out[#out] = nil end
  return out
end

local function char_slice(s, first, last)
  if not utf8.len(s) then return s:sub(first, last) end
  local total = utf8.len(s)
  if first < 1 then first = 1 end
  if last > total then last = total end
  if last < first then return "" end
  local b1 = utf8.offset(s, first)
  local b2 = utf8.offset(s, last + 1)
  return s:sub(b1, (b2 or #s + 1) - 1)
end

--- The mode actually used: head or tail.
function M.resolve_mode(mode, text)
  if mode == "head" or mode == "tail" then return mode end
  local l = text:lower()
  if l:find("error", 1, true) or l:find("fail", 1, true) or l:find("warning", 1, true) then return "tail" end
  return "head"
end

--- Clip text to budget {chars, lines, mode, footer}. Returns the kept text (with footer when clipped
--- and footer is on) and stats {chars_in, lines_in, chars_kept, lines_kept, clipped, mode}.
function M.clip(text, budget)
  local mode = M.resolve_mode(budget.mode, text)
  local chars_in, lines_in = M.chars(text), M.count_lines(text)
  local kept = text
  if lines_in > budget.lines then
    local ls = split_lines(text)
    local pick = {}
    if mode == "head" then
      for i = 1, budget.lines do pick[#pick + 1] = ls[i] end
    else
      for i = #ls - budget.lines + 1, #ls do pick[#pick + 1] = ls[i] end
    end
    kept = table.concat(pick, "\n")
  end
  local kc = M.chars(kept)
  if kc > budget.chars then
    if mode == "head" then kept = char_slice(kept, 1, budget.chars)
    else kept = char_slice(kept, kc - budget.chars + 1, kc) end
  end
  local stats = {
    chars_in = chars_in, lines_in = lines_in,
    chars_kept = M.chars(kept), lines_kept = M.count_lines(kept), mode = mode,
  }
  stats.clipped = stats.chars_kept < chars_in or stats.lines_kept < lines_in
  if stats.clipped and budget.footer then
    kept = kept .. string.format("\n[cx] output clipped: original=%d/%d, kept=%d/%d, mode=%s",
      chars_in, lines_in, stats.chars_kept, stats.lines_kept, mode)
  end
  return kept, stats
end

return M
