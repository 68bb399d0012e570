--- The policy loader and sandbox shared by every editable policy (command safety, diagnostics rules).
---
--- A policy is a Lua file that returns a table of functions. It is found in the repository's
--- `.codex/policies/<name>.lua` (the override) or else among the policies cx ships. Like Redis
--- scripting, it runs with a whitelist of pure libraries (no io, os, require, load, debug), text
--- chunks only, and an instruction budget: a policy that runs too long is stopped with an error naming
--- the file and line, never waited for. Data crosses the boundary as plain tables, copied both ways,
--- so a policy can neither mutate the caller's data nor hand back functions or shared state.
local json = require "cx.json"

local policy = {}

policy.DEFAULT_BUDGET = 10000000 -- VM instructions per call (and for loading the chunk)
policy.MAX_STRING = 16 * 1024 * 1024 -- string.rep results above this are refused
policy.MAX_MEMORY_KB = 256 * 1024 -- heap growth during one call above this stops the policy
local HOOK_STEP = 1000

-- The budget errors, recognised by identity so a policy's pcall cannot swallow them.
local BUDGET = setmetatable({}, { __tostring = function() return "policy instruction budget exceeded" end })
local MEMORY = setmetatable({}, { __tostring = function() return "policy memory budget exceeded" end })

local function join(dir, name)
  if dir:sub(-1) == "/" then return dir .. name end
  return dir .. "/" .. name
end

-- A clean absolute path for messages (`bin/../policies/x.lua` -> `/opt/cx/policies/x.lua`).
local function clean(path)
  local ok, core = pcall(require, "cx.core")
  local real = ok and core.fs and core.fs.realpath and core.fs.realpath(path)
  return real or path
end

local function file_exists(path)
  local f = io.open(path, "rb")
  if f then f:close() end
  return f ~= nil
end

--- The shipped policies directory: `policies/` beside `scripts/` in a checkout or an install tree.
function policy.shipped_dir()
  local src = debug.getinfo(1, "S").source
  if src:sub(1, 1) ~= "@" then return nil end
  local function parent(d)
    if d == "." or d == "" then return ".." end
    return d:match("^(.*)/[^/]*$") or "."
  end
  local root = parent(parent(parent(src:sub(2)))) -- <root>/scripts/cx/policy.lua
  if root == "" then root = "/" end
  return join(root, "policies")
end

local function valid_name(name)
  return type(name) == "string" and name:match("^[%w_%-]+$") ~= nil
end

--- Where the active policy `name` lives. opts.policies_dir is the repository override directory
--- (`.codex/policies`). Returns path, origin ("repo" | "shipped" | "module") or nil, message, class.
function policy.find(name, opts)
  opts = opts or {}
  if not valid_name(name) then return nil, "invalid policy name: " .. tostring(name), "usage" end
  if opts.policies_dir then
    local p = join(opts.policies_dir, name .. ".lua")
    if file_exists(p) then return clean(p), "repo" end
  end
  local shipped = opts.shipped_dir or policy.shipped_dir()
  if shipped then
    local p = join(shipped, name .. ".lua")
    if file_exists(p) then return clean(p), "shipped" end
  end
  local p = package.searchpath("cx.policies." .. name, package.path)
  if p then return p, "module" end
  return nil, "policy not found: " .. name, "not_found"
end

--- The policies visible from opts.policies_dir and the shipped directory, sorted by name:
--- { { name, path, origin = "repo" | "shipped", overrides = true when a repo file hides a shipped one } }.
function policy.list(opts)
  opts = opts or {}
  local ok, core = pcall(require, "cx.core")
  local list_dir = ok and core.fs and core.fs.list_dir
  if not list_dir then return {} end
  local by_name = {}
  local function scan(dir, origin)
    for _, f in ipairs(dir and list_dir(dir) or {}) do
      local name = f:match("^([%w_%-]+)%.lua$")
      if name then
        local prev = by_name[name]
        by_name[name] = { name = name, path = clean(join(dir, f)), origin = origin, overrides = prev ~= nil }
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

---------------------------------------------------------------------------------------------------
-- The sandbox

local function copy_lib(lib, drop)
  local out = {}
  for k, v in pairs(lib) do
    if not (drop and drop[k]) then out[k] = v end
  end
  return out
end

local function sandbox_string()
  local s = copy_lib(string, { dump = true })
  local rep = string.rep
  s.rep = function(str, n, sep)
    local size = (#tostring(str) + #tostring(sep or "")) * math.max(0, tonumber(n) or 0)
    if size > policy.MAX_STRING then error("string.rep result too large", 2) end
    return rep(str, n, sep)
  end
  return s
end

-- pcall for policies: a budget stop is not an error they may catch.
local function sandbox_pcall(f, ...)
  local r = table.pack(pcall(f, ...))
  if not r[1] and (rawequal(r[2], BUDGET) or rawequal(r[2], MEMORY)) then error(r[2], 0) end
  return table.unpack(r, 1, r.n)
end

local function new_env()
  local env = {
    string = sandbox_string(),
    table = copy_lib(table),
    math = copy_lib(math),
    utf8 = copy_lib(utf8),
    pairs = pairs, ipairs = ipairs, select = select, type = type, tostring = tostring, tonumber = tonumber,
    next = next, error = error, assert = assert, pcall = sandbox_pcall,
    null = json.null,
  }
  env._G = env
  return env
end

-- Deep copy of plain data (tables, strings, numbers, booleans, json.null). Functions and other
-- values are refused; arrays keep the json array mark so they encode as arrays.
local function copy_data(v, what, seen)
  local t = type(v)
  if t == "string" or t == "number" or t == "boolean" or t == "nil" or v == json.null then return v end
  if t ~= "table" then error(string.format("%s contains a %s; only plain data may cross", what, t), 0) end
  seen = seen or {}
  if seen[v] then error(what .. " contains a cycle", 0) end
  seen[v] = true
  local out = {}
  for k, x in pairs(v) do
    if type(k) ~= "string" and type(k) ~= "number" then error(what .. " has a " .. type(k) .. " key", 0) end
    out[k] = copy_data(x, what, seen)
  end
  seen[v] = nil
  if json.is_array(v) and next(v) ~= nil then json.array(out) end
  return out
end
policy.copy_data = copy_data

-- Run fn(...) under the instruction budget with string_lib as the string methods; returns
-- true, results... or false, message.
local function guarded(path, budget, string_lib, fn, ...)
  local used = 0
  local where = nil
  local string_mt = debug.getmetatable("")
  local saved_index = string_mt.__index
  local old_hook, old_mask, old_count = debug.gethook()
  local base_kb = collectgarbage("count")
  local function stop(kind)
    local info = debug.getinfo(3, "Sl")
    if info and info.currentline and info.currentline > 0 then where = info.currentline end
    error(kind, 0)
  end
  local function hook()
    used = used + HOOK_STEP
    if used > budget then stop(BUDGET) end
    if collectgarbage("count") - base_kb > policy.MAX_MEMORY_KB then stop(MEMORY) end
  end
  string_mt.__index = string_lib
  debug.sethook(hook, "", HOOK_STEP)
  local r = table.pack(pcall(fn, ...))
  debug.sethook(old_hook, old_mask, old_count)
  string_mt.__index = saved_index
  if r[1] then return true, table.unpack(r, 2, r.n) end
  local err = r[2]
  if rawequal(err, BUDGET) then
    return false, string.format("%s:%s: policy stopped: it exceeded its budget of %d instructions", path,
      where or "?", budget)
  end
  if rawequal(err, MEMORY) then
    collectgarbage()
    return false, string.format("%s:%s: policy stopped: it grew the heap by more than %d MB", path,
      where or "?", policy.MAX_MEMORY_KB // 1024)
  end
  if type(err) ~= "string" then err = "policy raised a non-string error (" .. type(err) .. ")" end
  if not err:find(path, 1, true) then err = path .. ": " .. err end
  return false, err
end

--- Load a policy. opts: policies_dir (the repository override dir), shipped_dir (tests), budget.
--- Returns a handle { name, path, origin, text, exports } or nil, message (naming the file and line),
--- class ("usage", "not_found", "io", "syntax", "runtime", "invalid").
function policy.load(name, opts)
  opts = opts or {}
  local path, origin, class = policy.find(name, opts)
  if not path then return nil, origin, class end
  local f, ferr = io.open(path, "rb")
  if not f then return nil, "failed to read " .. path .. ": " .. tostring(ferr), "io" end
  local text = f:read("a")
  f:close()
  if not text then return nil, "failed to read " .. path, "io" end
  local env = new_env()
  local chunk, lerr = load(text, "@" .. path, "t", env)
  if not chunk then return nil, lerr, "syntax" end
  local budget = opts.budget or policy.DEFAULT_BUDGET
  local ok, exports = guarded(path, budget, env.string, chunk)
  if not ok then return nil, exports, "runtime" end
  if type(exports) ~= "table" then
    return nil, path .. ": a policy must return a table of functions (got " .. type(exports) .. ")", "invalid"
  end
  return { name = name, path = path, origin = origin, text = text, exports = exports, env = env, budget = budget }
end

--- Call the policy's function fname with copies of the arguments; returns a copy of its first
--- result, or nil, message (naming the file and line), class.
function policy.call(handle, fname, ...)
  local fn = handle.exports[fname]
  if type(fn) ~= "function" then
    return nil, string.format("%s: the policy does not define %s()", handle.path, fname), "invalid"
  end
  local args = table.pack(...)
  for i = 1, args.n do args[i] = copy_data(args[i], "argument " .. i) end
  local ok, result = guarded(handle.path, handle.budget, handle.env.string, fn, table.unpack(args, 1, args.n))
  if not ok then return nil, result, "runtime" end
  local cok, copied = pcall(copy_data, result, fname .. "() result")
  if not cok then return nil, handle.path .. ": " .. copied, "invalid" end
  return copied
end

return policy
