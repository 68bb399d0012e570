--- Policy fixtures (`cx policy test`): a log excerpt and what a rule policy must find in it, so a
--- repository tests its own rules in CI. A fixture is a JSON file (docs/policies.md):
---   { "policy": "scheduler", "description": "...", "window": 200,
---     "rows": [ {...}, ... ]  or  "log": "excerpt.jsonl" (beside the fixture),
---     "expect": { "findings": ["id", ...] (exactly these fired, in order; or {"id":, "severity":}),
---                 "severity": "warning", "actions": ["id", ...], "reasons": ["..."],
---                 "absent": ["id", ...], "evidence": { "id": [line, ...] }, "error": "substring" } }
--- The policy is composed as cx composes it: shipped + the repository's override.
local core = require "cx.core"
local json = require "cx.json"
local policy = require "cx.policy"
local policy_rules = require "cx.policy_rules"
local runlog = require "cx.runlog"
local diag_input = require "cx.diag.input"

local M = {}

M.DEFAULT_WINDOW = 200

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

local function list_json(dir)
  local out = {}
  for _, f in ipairs(core.fs.list_dir(dir) or {}) do
    if f:match("%.json$") then out[#out + 1] = dir .. "/" .. f end
  end
  table.sort(out)
  return out
end

--- The fixture files named by targets (files, or directories holding *.json). Returns the list or
--- nil, message when a target is missing or nothing is found.
function M.files(targets)
  local files = {}
  for _, t in ipairs(targets) do
    if core.fs.is_dir(t) then
      for _, f in ipairs(list_json(t)) do files[#files + 1] = f end
    elseif core.fs.exists(t) then
      files[#files + 1] = t
    else
      return nil, "no policy tests at " .. t
    end
  end
  if #files == 0 then return nil, "no policy tests (*.json) in " .. table.concat(targets, ", ") end
  return files
end

local function ids_of(list)
  local out = {}
  for i, x in ipairs(list) do out[i] = x.id end
  return out
end

local function show(list)
  return "[" .. table.concat(list, ", ") .. "]"
end

local function same_list(a, b)
  if #a ~= #b then return false end
  for i = 1, #a do
    if a[i] ~= b[i] then return false end
  end
  return true
end

-- The rows and window facts of a fixture: inline rows are numbered 1..n; a log excerpt is read
-- like a run log (its own line numbers).
local function window_of(fx, path)
  local window = math.tointeger(fx.window) or M.DEFAULT_WINDOW
  if type(fx.rows) == "table" then
    local lines = {}
    for i = 1, #fx.rows do lines[i] = i end
    return fx.rows, { log_file = path, lines = lines }, window
  end
  if type(fx.log) ~= "string" then return nil, "needs \"rows\" (a list) or \"log\" (a JSONL file beside it)" end
  local log = fx.log:sub(1, 1) == "/" and fx.log or dirname(path) .. "/" .. fx.log
  if not core.fs.exists(log) then return nil, "log excerpt " .. log .. " not found" end
  local rows, info = runlog.read_window(window, log)
  if not rows then return nil, tostring(info) end
  return rows, info, window
end

local function check_expect(exp, r, problems)
  local fired = ids_of(r.findings)
  if exp.findings then
    local want, want_sev = {}, {}
    for i, f in ipairs(exp.findings) do
      want[i] = type(f) == "table" and f.id or f
      if type(f) == "table" then want_sev[want[i]] = f.severity end
    end
    if not same_list(fired, want) then
      problems[#problems + 1] = "findings " .. show(fired) .. ", expected " .. show(want)
    end
    for _, f in ipairs(r.findings) do
      if want_sev[f.id] and want_sev[f.id] ~= f.severity then
        problems[#problems + 1] = string.format("%s has severity %s, expected %s", f.id, f.severity, want_sev[f.id])
      end
    end
  end
  if exp.severity and exp.severity ~= r.severity then
    problems[#problems + 1] = "severity " .. r.severity .. ", expected " .. exp.severity
  end
  if exp.actions and not same_list(ids_of(r.actions), exp.actions) then
    problems[#problems + 1] = "actions " .. show(ids_of(r.actions)) .. ", expected " .. show(exp.actions)
  end
  if exp.reasons then
    local reasons = {}
    for i, f in ipairs(r.findings) do reasons[i] = f.reason end
    if not same_list(reasons, exp.reasons) then
      problems[#problems + 1] = "reasons " .. show(reasons) .. ", expected " .. show(exp.reasons)
    end
  end
  for _, id in ipairs(exp.absent or {}) do
    for _, f in ipairs(fired) do
      if f == id then problems[#problems + 1] = id .. " fired; expected it not to" end
    end
  end
  for id, lines in pairs(type(exp.evidence) == "table" and exp.evidence or {}) do
    local got = {}
    for _, f in ipairs(r.findings) do
      if f.id == id then
        for _, e in ipairs(f.evidence) do got[#got + 1] = e.line end
      end
    end
    if not same_list(got, lines) then
      local text = {}
      for i, l in ipairs(got) do text[i] = tostring(l) end
      local want = {}
      for i, l in ipairs(lines) do want[i] = tostring(l) end
      problems[#problems + 1] = id .. " evidence lines " .. show(text) .. ", expected " .. show(want)
    end
  end
end

--- Run one fixture. Returns { file, ok, problems = {...} }.
function M.run_one(path, opts)
  local res = { file = path, ok = false, problems = {} }
  local text, rerr = policy.read(path)
  if not text then
    res.problems[1] = rerr
    return res
  end
  local fx, jerr = json.decode(text)
  if type(fx) ~= "table" or json.is_array(fx) then
    res.problems[1] = "not a JSON object: " .. tostring(jerr or "")
    return res
  end
  if type(fx.policy) ~= "string" then res.problems[#res.problems + 1] = "needs \"policy\" (a rule policy name)" end
  if type(fx.expect) ~= "table" then res.problems[#res.problems + 1] = "needs \"expect\" (an object)" end
  local rows, info, window = window_of(fx, path)
  if not rows then res.problems[#res.problems + 1] = info end
  if #res.problems > 0 then return res end
  local input, iopts = diag_input.for_policy(fx.policy, rows, info, window)
  local ropts = { policies_dir = opts.policies_dir, thresholds = iopts.thresholds }
  local r, err = policy_rules.evaluate(fx.policy, input, ropts)
  local exp = fx.expect
  if exp.error then
    if r then
      res.problems[1] = "evaluated; expected an error containing '" .. exp.error .. "'"
    elseif not err:find(exp.error, 1, true) then
      res.problems[1] = "error '" .. err .. "', expected one containing '" .. exp.error .. "'"
    end
  elseif not r then
    res.problems[1] = err
  else
    check_expect(exp, r, res.problems)
  end
  res.ok = #res.problems == 0
  return res
end

--- Run every fixture named by targets. Returns results or nil, message.
function M.run_all(targets, opts)
  local files, err = M.files(targets)
  if not files then return nil, err end
  local out = {}
  for i, f in ipairs(files) do out[i] = M.run_one(f, opts or {}) end
  return out
end

return M
