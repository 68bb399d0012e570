--- Editable Lua policies: where they are found, and how their untrusted code is evaluated.
---
--- A policy is a Lua file (shipped in `policies/`, or a repository's `.codex/policies/<name>.lua`)
--- that returns a table. Its code never runs in cx's own Lua state: policy.evaluate runs it in a
--- fresh Lua state of its own (native/lua_sandbox.c, native/sandbox.c) whose limits hold even
--- inside one library call — time (an instruction budget and a wall-clock deadline that also
--- stops a runaway pattern match), memory (a byte-capped allocator), answer size and nesting.
--- Only plain data crosses, both ways. Errors name the policy file and line
--- (`<path>:<line>: <message>`), one line, at most a few hundred bytes.
local core = require "cx.core"

local fs = core.fs
local policy = {}

--- Limits of one evaluation (docs/policies.md). CX_POLICY_TIMEOUT_MS, CX_POLICY_MEMORY_MB and
--- CX_POLICY_INSTRUCTIONS override them for a run; spec.limits override both.
policy.DEFAULT_LIMITS = {
  wall_ms = 2000, -- the deadline (it also stops a runaway pattern match inside C)
  memory = 64 * 1024 * 1024, -- bytes of Lua heap beyond the input
  instructions = 100000000, -- VM instructions (hook every 1000)
  output = 16 * 1024 * 1024, -- bytes of encoded answer
  depth = 100, -- nesting of input and answer
  message = 300, -- bytes of an error message
}
policy.MAX_FILE_BYTES = 1024 * 1024 -- a policy file larger than this is refused

local ENV_LIMITS = {
  { "CX_POLICY_TIMEOUT_MS", "wall_ms", 1 },
  { "CX_POLICY_MEMORY_MB", "memory", 1024 * 1024 },
  { "CX_POLICY_INSTRUCTIONS", "instructions", 1 },
}

--- The limits for an evaluation: defaults, then the environment, then overrides.
function policy.limits(overrides)
  local out = {}
  for k, v in pairs(policy.DEFAULT_LIMITS) do out[k] = v end
  for _, e in ipairs(ENV_LIMITS) do
    local v = os.getenv(e[1])
    local n = v and v:match("^%d+$") and math.tointeger(tonumber(v))
    if n and n > 0 then out[e[2]] = n * e[3] end
  end
  for k, v in pairs(overrides or {}) do out[k] = v end
  return out
end

--- Evaluate untrusted code: spec = { chunks = { {path=, text=}, ... }, driver = <trusted Lua
--- text> | nil, driver_path = <name in messages> | nil, input = <plain data>, limits = {...} }.
--- Every chunk runs (each with its own environment), then the driver as
--- `driver(modules, input, host)` (modules[i] = chunk i's value; host: docs/policies.md); without a
--- driver the value is the last chunk's. Returns that value as plain data, or nil, message, class
--- (syntax | runtime | timeout | memory | output | invalid). Each call builds and compiles a fresh
--- state (docs/policies.md "Cost"): batch the work of a command into one evaluation.
function policy.evaluate(spec)
  local driver = spec.driver
  if type(driver) == "string" then driver = { path = spec.driver_path or "=(policy driver)", text = driver } end
  return core.sandbox.run({
    chunks = spec.chunks or {},
    driver = driver,
    input = spec.input,
    limits = policy.limits(spec.limits),
  })
end

local function join(dir, name)
  if dir:sub(-1) == "/" then return dir .. name end
  return dir .. "/" .. name
end

local function dirname(path)
  return path:match("^(.*)/[^/]*$") or "."
end

--- The shipped policies directory: `policies/` beside `scripts/` (a checkout or `make install`), or
--- `cx/policies/` beside this module (the rock installs the policies as modules `cx.policies.*`).
function policy.shipped_dir()
  local src = debug.getinfo(1, "S").source
  if src:sub(1, 1) ~= "@" then return nil end
  local here = dirname(src:sub(2)) -- <root>/scripts/cx or <luadir>/cx
  for _, dir in ipairs({ join(dirname(dirname(here)), "policies"), join(here, "policies") }) do
    if fs.is_dir(dir) then return fs.realpath(dir) or dir end
  end
  return nil
end

local function valid_name(name)
  return type(name) == "string" and name:match("^[%w_%-]+$") ~= nil
end

local function clean_dir(dir)
  return dir and (fs.realpath(dir) or dir) or nil
end

--- Where the active policy `name` lives. opts.policies_dir is the repository override directory
--- (`.codex/policies`), opts.shipped_dir replaces the shipped one (tests). Returns path, origin
--- ("repo" | "shipped") or nil, message, class.
function policy.find(name, opts)
  opts = opts or {}
  if not valid_name(name) then return nil, "invalid policy name: " .. tostring(name), "usage" end
  for _, place in ipairs({ { opts.policies_dir, "repo" }, { opts.shipped_dir or policy.shipped_dir(), "shipped" } }) do
    local dir = clean_dir(place[1])
    if dir then
      local p = join(dir, name .. ".lua")
      if fs.exists(p) then return p, place[2] end
    end
  end
  return nil, "policy not found: " .. name, "not_found"
end

--- The shipped policy `name` only (what a repository override extends), or nil.
function policy.find_shipped(name, opts)
  return policy.find(name, { shipped_dir = (opts or {}).shipped_dir })
end

--- The policies visible from opts.policies_dir and the shipped directory, sorted by name:
--- { { name, path, origin = "repo" | "shipped", overrides = true when a repo file hides a shipped one } }.
function policy.list(opts)
  opts = opts or {}
  local by_name = {}
  local function scan(dir, origin)
    dir = clean_dir(dir)
    for _, f in ipairs(dir and fs.list_dir(dir) or {}) do
      local name = f:match("^([%w_%-]+)%.lua$")
      if name then
        local prev = by_name[name]
        by_name[name] = { name = name, path = join(dir, f), origin = origin, overrides = prev ~= nil }
      end
    end
  end
  scan(opts.shipped_dir or policy.shipped_dir(), "shipped")
  scan(opts.policies_dir, "repo")
  local out = {}
  for _, e in pairs(by_name) do out[#out + 1] = e end
  table.sort(out, function(a, b) return a.name < b.name end)
  return out
end

--- Read a policy file: a regular file, not through a symbolic link, at most MAX_FILE_BYTES.
--- Returns the text or nil, message, class ("io" | "invalid").
function policy.read(path)
  local st, err = fs.stat(path)
  if not st then return nil, tostring(err), "io" end
  if st.type ~= "file" then return nil, path .. ": not a regular file", "io" end
  -- The directory may be reached through links; the file itself may not be one.
  if fs.realpath(path) ~= join(clean_dir(dirname(path)), path:match("[^/]*$")) then
    return nil, path .. ": refusing to read a policy through a symbolic link", "io"
  end
  if st.size > policy.MAX_FILE_BYTES then
    return nil, string.format("%s: policy file larger than %d bytes", path, policy.MAX_FILE_BYTES), "invalid"
  end
  local f, oerr = io.open(path, "rb")
  if not f then return nil, tostring(oerr), "io" end
  local text = f:read(policy.MAX_FILE_BYTES + 1)
  f:close()
  if text == nil then text = "" end
  if #text > policy.MAX_FILE_BYTES then
    return nil, string.format("%s: policy file larger than %d bytes", path, policy.MAX_FILE_BYTES), "invalid"
  end
  return text
end

-- Checks the policy returns a table; lists its functions.
local LOAD_DRIVER = [[
local modules, _, host = ...
local v = modules[1]
if type(v) ~= "table" then
  host.invalid(host.paths[1] .. ": a policy must return a table (got " .. type(v) .. ")")
end
local names = {}
for k, x in pairs(v) do
  if type(k) == "string" and type(x) == "function" then names[#names + 1] = k end
end
table.sort(names)
local rules = type(v.rules) == "table" or v.extends ~= nil or type(v.thresholds) == "table"
return { functions = array(names), kind = rules and "rules" or "functions" }
]]

-- Calls one function of the policy, with one argument list or with each of a batch.
local CALL_DRIVER = [[
local modules, input, host = ...
local path, fname = host.paths[1], input.fname
local v = modules[1]
local f = type(v) == "table" and v[fname] or nil
if type(f) ~= "function" then host.invalid(path .. ": the policy does not define " .. fname .. "()") end
local _, line = host.defined(f)
host.blame(1, line)
local function call(args)
  local r = f(table.unpack(args, 1, args.n))
  if r == nil then host.invalid(path .. ":" .. line .. ": " .. fname .. "() returned nothing") end
  return r
end
if input.each then
  local out = array()
  for i, args in ipairs(input.each) do out[i] = call(args) end
  return { results = out, line = line }
end
return { result = call(input.args), line = line }
]]

--- Load a policy. opts: policies_dir (the repository override dir), shipped_dir (tests), budget
--- (instructions), limits, path (load this file instead of finding `name`). Returns a handle
--- { name, path, origin, text, kind, functions = {names}, lines = {fname = line} } or nil, message
--- (naming the file), class (usage, not_found, io, syntax, runtime, timeout, memory, output, invalid).
--- kind: "rules" (a rule policy, cx.policy_rules) or "functions" (a table of functions such as
--- command_safety).
function policy.load(name, opts)
  opts = opts or {}
  local path, origin, class = opts.path, "file", nil
  if not path then path, origin, class = policy.find(name, opts) end
  if not path then return nil, origin, class end
  local text, rerr, rclass = policy.read(path)
  if not text then return nil, rerr, rclass end
  local h = { name = name, path = path, origin = origin, text = text, lines = {}, limits = opts.limits or {} }
  if opts.budget then h.limits.instructions = math.tointeger(opts.budget) or h.limits.instructions end
  local r, err, eclass = policy.evaluate({
    chunks = { { path = path, text = text } },
    driver = LOAD_DRIVER,
    driver_path = "=(policy loader)",
    limits = h.limits,
  })
  if not r then return nil, err, eclass end
  h.functions, h.kind = r.functions, r.kind
  return h
end

--- Call the policy's function fname with the arguments (plain data); returns its first result
--- (which must not be nil), or nil, message (naming the file and line), class.
function policy.call(handle, fname, ...)
  local r, err, class = policy.evaluate({
    chunks = { { path = handle.path, text = handle.text } },
    driver = CALL_DRIVER,
    driver_path = "=(policy call)",
    input = { fname = fname, args = table.pack(...) },
    limits = handle.limits,
  })
  if not r then return nil, err, class end
  handle.lines[fname] = r.line
  return r.result
end

--- Call fname once per argument list in `each` ({ {args...}, ... }) in ONE evaluation; returns the
--- list of results, or nil, message, class (the first failure stops the batch).
function policy.map(handle, fname, each)
  local batch = {}
  for i, args in ipairs(each) do batch[i] = table.pack(table.unpack(args)) end
  local r, err, class = policy.evaluate({
    chunks = { { path = handle.path, text = handle.text } },
    driver = CALL_DRIVER,
    driver_path = "=(policy call)",
    input = { fname = fname, each = batch },
    limits = handle.limits,
  })
  if not r then return nil, err, class end
  handle.lines[fname] = r.line
  return r.results
end

--- "<path>:<line>" of a function the handle has called (or just the path).
function policy.where(handle, fname)
  local line = handle.lines[fname]
  if line and line > 0 then return handle.path .. ":" .. line end
  return handle.path
end

return policy
