--- The ECMA-262 regular-expression subset JSON Schema's `pattern` uses in practice, as a small
--- backtracking matcher over Unicode code points. Lua patterns cannot express alternation, groups or
--- counted repetition, so translating to them would silently change meaning; this matches the real
--- syntax instead and rejects (at compile time) what it does not implement: lookaround, back-references,
--- \p{...} classes and flags. Matching is a search (unanchored), as JSON Schema requires.
local regex = {}

local STEP_BUDGET = 1000000

-- Character-set predicates over code points.
local function is_digit(c) return c >= 48 and c <= 57 end
local function is_word(c)
  return is_digit(c) or (c >= 65 and c <= 90) or (c >= 97 and c <= 122) or c == 95
end
local SPACE = {
  [9] = true, [10] = true, [11] = true, [12] = true, [13] = true, [32] = true, [0xA0] = true,
  [0x1680] = true, [0x2028] = true, [0x2029] = true, [0x202F] = true, [0x205F] = true,
  [0x3000] = true, [0xFEFF] = true,
}
local function is_space(c) return SPACE[c] == true or (c >= 0x2000 and c <= 0x200A) end
local function is_line_terminator(c) return c == 10 or c == 13 or c == 0x2028 or c == 0x2029 end

local CLASS_ESCAPES = {
  d = is_digit,
  D = function(c) return not is_digit(c) end,
  w = is_word,
  W = function(c) return not is_word(c) end,
  s = is_space,
  S = function(c) return not is_space(c) end,
}
local CONTROL_ESCAPES = { t = 9, n = 10, v = 11, f = 12, r = 13 }

-- The parser: a recursive-descent over the pattern's code points, producing matcher closures in
-- continuation-passing style: m(state, i, k) is true when the node matches at i and k(j) accepts.
local Parser = {}
Parser.__index = Parser

local function fail(p, msg)
  error({ regex_error = string.format("%s at offset %d", msg, p.pos - 1) }, 0)
end

function Parser:peek(o) return self.cps[self.pos + (o or 0)] end
function Parser:eof() return self.pos > #self.cps end
function Parser:next_cp()
  local c = self.cps[self.pos]
  self.pos = self.pos + 1
  return c
end
function Parser:accept(ch)
  if self.cps[self.pos] == ch:byte() then
    self.pos = self.pos + 1
    return true
  end
  return false
end

local function hex_value(p, n)
  local v = 0
  for _ = 1, n do
    local c = p:next_cp()
    if not c then fail(p, "incomplete hex escape") end
    local d = tonumber(utf8.char(c), 16)
    if not d then fail(p, "invalid hex escape") end
    v = v * 16 + d
  end
  return v
end

-- An escape after `\`: returns either a code point or a predicate.
function Parser:escape(in_class)
  local c = self:next_cp()
  if not c then fail(self, "trailing backslash") end
  local ch = utf8.char(c)
  if CLASS_ESCAPES[ch] then return nil, CLASS_ESCAPES[ch] end
  if CONTROL_ESCAPES[ch] then return CONTROL_ESCAPES[ch] end
  if ch == "0" and not (self:peek() and is_digit(self:peek())) then return 0 end
  if ch == "x" then return hex_value(self, 2) end
  if ch == "u" then return hex_value(self, 4) end
  if ch == "b" and in_class then return 8 end
  if ch:match("%d") then fail(self, "back-references are not supported") end
  if ch == "k" then fail(self, "named back-references are not supported") end
  if ch == "p" or ch == "P" then fail(self, "\\p{...} property classes are not supported") end
  if ch == "c" then fail(self, "\\c control escapes are not supported") end
  if ch:match("%a") and not (ch == "b" or ch == "B") then fail(self, "unknown escape \\" .. ch) end
  return c
end

function Parser:class()
  local negate = self:accept("^")
  local items = {}
  local first = true
  while true do
    local c = self:peek()
    if not c then fail(self, "unterminated character class") end
    if c == 93 and not first then -- ]
      self.pos = self.pos + 1
      break
    end
    if c == 93 and first then -- ECMA: `[]` matches nothing, `[^]` anything
      self.pos = self.pos + 1
      break
    end
    first = false
    local lo, pred
    self.pos = self.pos + 1
    if c == 92 then lo, pred = self:escape(true) else lo = c end
    if pred then
      items[#items + 1] = pred
    elseif self:peek() == 45 and self:peek(1) and self:peek(1) ~= 93 then -- a-b
      self.pos = self.pos + 1
      local hc = self:next_cp()
      local hi, hpred = hc, nil
      if hc == 92 then hi, hpred = self:escape(true) end
      if hpred then fail(self, "invalid range in character class") end
      if hi < lo then fail(self, "range out of order in character class") end
      local a, b = lo, hi
      items[#items + 1] = function(x) return x >= a and x <= b end
    else
      local v = lo
      items[#items + 1] = function(x) return x == v end
    end
  end
  return function(x)
    for _, f in ipairs(items) do
      if f(x) then return not negate end
    end
    return negate
  end
end

local function char_node(pred)
  return function(st, i, k)
    st.steps = st.steps + 1
    if st.steps > STEP_BUDGET then error({ regex_budget = true }, 0) end
    local c = st.s[i]
    if c ~= nil and pred(c) then return k(i + 1) end
    return false
  end
end

local function at_word_boundary(st, i)
  local a = i > 1 and is_word(st.s[i - 1])
  local b = st.s[i] ~= nil and is_word(st.s[i])
  return a ~= b
end

function Parser:group_body()
  local inner = self:alternation()
  if not self:accept(")") then fail(self, "missing )") end
  return inner
end

function Parser:atom()
  local c = self:next_cp()
  local ch = utf8.char(c)
  if ch == "." then return char_node(function(x) return not is_line_terminator(x) end) end
  if ch == "^" then return function(_, i, k) return i == 1 and k(i) end end
  if ch == "$" then return function(st, i, k) return i == #st.s + 1 and k(i) end end
  if ch == "[" then return char_node(self:class()) end
  if ch == "(" then
    if self:accept("?") then
      if self:accept(":") then -- non-capturing group: nothing more to read
        return self:group_body()
      elseif self:peek() == 60 and self:peek(1) ~= 61 and self:peek(1) ~= 33 then -- (?<name>
        while self:peek() and self:peek() ~= 62 do self.pos = self.pos + 1 end
        if not self:accept(">") then fail(self, "unterminated group name") end
      else
        fail(self, "lookaround assertions are not supported")
      end
    end
    return self:group_body()
  end
  if ch == ")" then fail(self, "unmatched )") end
  if ch == "*" or ch == "+" or ch == "?" then fail(self, "nothing to repeat") end
  if ch == "\\" then
    local nxt = self:peek()
    if nxt == 98 or nxt == 66 then -- \b \B
      self.pos = self.pos + 1
      local want = nxt == 98
      return function(st, i, k) return at_word_boundary(st, i) == want and k(i) end
    end
    local v, pred = self:escape(false)
    if pred then return char_node(pred) end
    return char_node(function(x) return x == v end)
  end
  return char_node(function(x) return x == c end)
end

-- {n}, {n,}, {n,m}: returns min, max or nil when the brace is a literal.
function Parser:braces()
  local save = self.pos
  local function number()
    local start = self.pos
    while self:peek() and is_digit(self:peek()) do self.pos = self.pos + 1 end
    if self.pos == start then return nil end
    local t = {}
    for j = start, self.pos - 1 do t[#t + 1] = utf8.char(self.cps[j]) end
    return tonumber(table.concat(t))
  end
  self.pos = self.pos + 1
  local lo = number()
  if lo then
    local hi = lo
    if self:accept(",") then hi = number() or math.huge end
    if self:accept("}") then
      if hi < lo then fail(self, "numbers out of order in {} quantifier") end
      return lo, hi
    end
  end
  self.pos = save
  return nil
end

local function repeat_node(node, min, max, greedy)
  return function(st, i, k)
    local function try(count, pos)
      local function again(j)
        if j == pos and count >= min then return false end -- an empty iteration would loop
        return try(count + 1, j)
      end
      if greedy then
        if count < max and node(st, pos, again) then return true end
        return count >= min and k(pos)
      end
      if count >= min and k(pos) then return true end
      return count < max and node(st, pos, again)
    end
    return try(0, i)
  end
end

function Parser:term()
  local node = self:atom()
  while true do
    local c = self:peek()
    local min, max
    if c == 42 then min, max = 0, math.huge -- *
    elseif c == 43 then min, max = 1, math.huge -- +
    elseif c == 63 then min, max = 0, 1 -- ?
    elseif c == 123 then min, max = self:braces() -- {
      if not min then return node end
      self.pos = self.pos - 1
    else
      return node
    end
    self.pos = self.pos + 1
    local greedy = not self:accept("?")
    node = repeat_node(node, min, max, greedy)
  end
end

local function sequence(nodes)
  if #nodes == 0 then return function(_, i, k) return k(i) end end
  local function at(n)
    if n > #nodes then return nil end
    local node, rest = nodes[n], at(n + 1)
    if not rest then return node end
    return function(st, i, k)
      return node(st, i, function(j) return rest(st, j, k) end)
    end
  end
  return at(1)
end

function Parser:alternation()
  local branches = {}
  local nodes = {}
  while true do
    local c = self:peek()
    if c == nil or c == 41 then break end -- end or )
    if c == 124 then -- |
      self.pos = self.pos + 1
      branches[#branches + 1] = sequence(nodes)
      nodes = {}
    else
      nodes[#nodes + 1] = self:term()
    end
  end
  branches[#branches + 1] = sequence(nodes)
  if #branches == 1 then return branches[1] end
  return function(st, i, k)
    for _, b in ipairs(branches) do
      if b(st, i, k) then return true end
    end
    return false
  end
end

local function code_points(s)
  local out = {}
  if utf8.len(s) then
    for _, c in utf8.codes(s) do out[#out + 1] = c end
  else
    for j = 1, #s do out[j] = s:byte(j) end
  end
  return out
end

--- Compile an ECMA-262 pattern. Returns a matcher, or nil and a message naming what is wrong or
--- unsupported.
function regex.compile(source)
  local p = setmetatable({ cps = code_points(source), pos = 1 }, Parser)
  local ok, node = pcall(function()
    local n = p:alternation()
    if not p:eof() then fail(p, "unmatched )") end
    return n
  end)
  if not ok then
    if type(node) == "table" and node.regex_error then return nil, node.regex_error end
    error(node, 0)
  end
  return { source = source, node = node }
end

--- Does the compiled pattern match anywhere in s? Returns true/false, or nil and a message when the
--- match exceeded its step budget (a pathological pattern must not hang a structured command).
function regex.test(compiled, s)
  local st = { s = code_points(s), steps = 0 }
  local accept = function() return true end
  local ok, res = pcall(function()
    for i = 1, #st.s + 1 do
      if compiled.node(st, i, accept) then return true end
    end
    return false
  end)
  if ok then return res end
  if type(res) == "table" and res.regex_budget then return nil, "pattern matching exceeded its step budget" end
  if type(res) == "string" and res:find("stack overflow", 1, true) then
    return nil, "pattern matching exceeded the stack"
  end
  error(res, 0)
end

return regex
