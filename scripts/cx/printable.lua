--- Text made safe to print: what a log line, a quarantined reply or a schema file holds must not
--- drive the terminal it is shown on (clear the screen, retitle the window, hide text, move the
--- cursor). Escaped: C0 control characters other than newline and tab (NUL, ESC, CR, BEL ...) and
--- DEL as `\u00XX`; C1 controls (U+0080-U+009F, which UTF-8 terminals obey) as `\u00XX`; the
--- bidirectional overrides U+202A-U+202E and U+2066-U+2069 (text that reads differently than it is)
--- as `\uXXXX`; bytes that are not UTF-8 as `\xNN`. The `\u` escapes are JSON escapes of the same
--- character, so a JSON document stays valid and means the same after escaping.
local printable = {}

local function u_escape(c)
  return string.format("\\u%04x", utf8.codepoint(c))
end

local function c0_escape(c)
  return string.format("\\u%04x", c:byte())
end

-- C1 controls and bidi overrides inside valid UTF-8.
local function escape_valid(s)
  if not s:find("[\194\226]") then return s end
  s = s:gsub("\194[\128-\159]", u_escape)
  s = s:gsub("\226\128[\170-\174]", u_escape)
  s = s:gsub("\226\129[\166-\169]", u_escape)
  return s
end

--- s with every control character, bidi override and non-UTF-8 byte escaped (newline and tab kept).
function printable.escape(s)
  if type(s) ~= "string" or not s:find("[\0-\8\11-\31\127-\255]") then return s end
  s = s:gsub("[\0-\8\11-\31\127]", c0_escape)
  if not s:find("[\128-\255]") then return s end
  local parts, pos = {}, 1
  while true do
    local n, bad = utf8.len(s, pos)
    if n then
      parts[#parts + 1] = escape_valid(s:sub(pos))
      break
    end
    parts[#parts + 1] = escape_valid(s:sub(pos, bad - 1))
    parts[#parts + 1] = string.format("\\x%02x", s:byte(bad))
    pos = bad + 1
  end
  return table.concat(parts)
end

--- s as one line: printable.escape, and newlines and tabs as `\n` and `\t` too. For a value echoed
--- inside a message (a bad argument), so the message stays the one line the CLI contract promises.
function printable.line(s)
  return (printable.escape(tostring(s)):gsub("[\n\t]", { ["\n"] = "\\n", ["\t"] = "\\t" }))
end

--- True when s holds nothing printable.escape would change.
function printable.is_safe(s)
  return printable.escape(s) == s
end

return printable
