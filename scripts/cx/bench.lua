--- `cx bench`: run a command N times and measure it — durations, failures, and the tokens of the
--- run-log rows each run appended (a command that calls cx logs its LLM runs; rows are correlated by
--- time and, when they carry one, by their most frequent prompt hash). Every run goes through the
--- capture runner (the event loop; never a shell). Returns data; the command renders it.
local core = require "cx.core"
local json = require "cx.json"
local capture = require "cx.capture"
local fields = require "cx.diag.fields"
local usage = require "cx.quota.usage"

local bench = {}

bench.MAX_APPENDED = 64 * 1048576 -- bytes of appended rows read per run

local function size_of(path)
  local st = path and core.fs.stat(path)
  return st and st.size or 0
end

-- The rows appended to the log after byte offset `from`.
local function appended_rows(path, from)
  local f = io.open(path, "rb")
  if not f then return {} end
  f:seek("set", from)
  local text = f:read(bench.MAX_APPENDED) or ""
  f:close()
  local rows = {}
  for line in text:gmatch("[^\n]+") do
    local v = utf8.len(line) and json.decode(line)
    if v ~= nil and fields.typed_ok(v) then rows[#rows + 1] = v end
  end
  return rows
end

-- Keep the rows written during [start-1s, end+1s] (or with no usable ts); then, when any has a
-- prompt hash, only those with the most frequent one (ties: the smallest hash).
local function correlate(rows, started, ended)
  local kept = {}
  for _, r in ipairs(rows) do
    local t = usage.parse_time(fields.str(r, "ts"))
    if t == nil or (t >= started - 1 and t <= ended + 1) then kept[#kept + 1] = r end
  end
  local counts, best = {}, nil
  for _, r in ipairs(kept) do
    local h = fields.str(r, "prompt_sha256")
    if h then
      counts[h] = (counts[h] or 0) + 1
      if best == nil or counts[h] > counts[best] or (counts[h] == counts[best] and h < best) then best = h end
    end
  end
  if not best then return kept, #kept, false end
  local same = {}
  for _, r in ipairs(kept) do
    if fields.str(r, "prompt_sha256") == best then same[#same + 1] = r end
  end
  return same, #kept, true
end

local function sum_field(rows, key)
  local sum, seen = 0, false
  for _, r in ipairs(rows) do
    local v = fields.u64(r, key)
    if v then sum, seen = sum + v, true end
  end
  return seen and sum or nil
end

--- Run argv `runs` times. opts: log_file (nil: no correlation), logging (bool), passthru (fn(stdout,
--- stderr) called after each run). Returns the summary, or nil and the error that stopped it.
function bench.run(argv, runs, opts)
  local s = { runs = runs, command = table.concat(argv, " "), durations = {}, failures = 0, appended_rows = 0,
    hash_matches = 0, eff = {}, out = {} }
  local env = not opts.logging and { CXLOG_ENABLED = "0" } or nil
  for _ = 1, runs do
    local offset = opts.logging and size_of(opts.log_file) or 0
    local started = os.time()
    local r, err = capture.run(argv, { label = "bench '" .. argv[1] .. "'", env_set = env })
    if not r then return nil, err end
    local ended = os.time()
    s.durations[#s.durations + 1] = math.floor(r.duration_ms or 0)
    if r.exit_code ~= 0 or r.signal then s.failures = s.failures + 1 end
    if opts.passthru then opts.passthru(r.stdout, r.stderr) end
    if opts.logging and opts.log_file then
      local rows, kept, hashed = correlate(appended_rows(opts.log_file, offset), started, ended)
      s.appended_rows = s.appended_rows + kept
      if hashed then s.hash_matches = s.hash_matches + 1 end
      s.eff[#s.eff + 1] = sum_field(rows, "effective_input_tokens")
      s.out[#s.out + 1] = sum_field(rows, "output_tokens")
    end
  end
  local sum, min, max = 0, math.huge, 0
  for _, d in ipairs(s.durations) do
    sum, min, max = sum + d, math.min(min, d), math.max(max, d)
  end
  s.avg_ms, s.min_ms, s.max_ms = sum // runs, min, max
  local function mean(list)
    local total, n = 0, 0
    for _, v in pairs(list) do total, n = total + v, n + 1 end
    return n > 0 and total // n or nil
  end
  s.avg_effective_input_tokens, s.avg_output_tokens = mean(s.eff), mean(s.out)
  return s
end

return bench
