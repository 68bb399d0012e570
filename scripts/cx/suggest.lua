--- "Did you mean ...?" for mistyped names: the closest candidate by edit distance (insertions,
--- deletions, substitutions and swaps of two neighbours), when it is close enough to be a typo.
local suggest = {}

--- The optimal-string-alignment distance between a and b (byte-wise).
function suggest.distance(a, b)
  local la, lb = #a, #b
  local d = {}
  for i = 0, la do
    d[i] = { [0] = i }
  end
  for j = 0, lb do d[0][j] = j end
  for i = 1, la do
    for j = 1, lb do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      local v = math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
      if i > 1 and j > 1 and a:byte(i) == b:byte(j - 1) and a:byte(i - 1) == b:byte(j) then
        v = math.min(v, d[i - 2][j - 2] + 1)
      end
      d[i][j] = v
    end
  end
  return d[la][lb]
end

--- The candidate closest to word (the first of equals), or nil when none is within a third of
--- the word's length (at least 1, at most 3 edits) and word is not a prefix of exactly one.
function suggest.closest(word, candidates)
  if type(word) ~= "string" or word == "" or #word > 64 then return nil end
  local limit = math.max(1, math.min(3, #word // 3))
  local best, best_d
  for _, c in ipairs(candidates) do
    local d = suggest.distance(word, c)
    if d <= limit and (best_d == nil or d < best_d) then best, best_d = c, d end
  end
  if best then return best end
  local prefixed
  for _, c in ipairs(candidates) do
    if c:sub(1, #word) == word then
      if prefixed then return nil end
      prefixed = c
    end
  end
  return prefixed
end

return suggest
