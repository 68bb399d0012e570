--- Test helper: run a Lua chunk in a fresh lua5.4 process (with cx's modules on the path), for
--- code that reads the environment or the current directory, which a spec cannot change in-process.
--- The chunk's return value comes back JSON-decoded.
local h = require "helpers.cli"
local json = require "cx.json"

local M = {}

--- Runs code in cwd (default the project root) with env (values false unset). Returns the decoded
--- value the chunk returned, and the raw run result {code, stdout, stderr}.
function M.lua(code, env, cwd)
  local full_env = {
    LUA_PATH = h.root .. "/scripts/?.lua;" .. h.root .. "/scripts/?/init.lua;;",
    LUA_CPATH = h.root .. "/build/lib/?.so;;",
  }
  -- unset variables go through a second `env -u`, since the helper's env line takes them in any order
  local argv = {}
  for k, v in pairs(env or {}) do
    if v == false then
      argv[#argv + 1] = "-u"
      argv[#argv + 1] = k
    else
      full_env[k] = v
    end
  end
  local wrapper = "local json = require 'cx.json'; local f = assert(load(...)); " ..
    "io.stdout:write(json.encode(f()))"
  argv[#argv + 1] = "lua5.4"
  argv[#argv + 1] = "-e"
  argv[#argv + 1] = "local code = [==[" .. code .. "]==]; (function(...) " .. wrapper .. " end)(code)"
  local r = h.run(argv, { bin = "env", env = full_env, cwd = cwd or h.root })
  if r.code ~= 0 then return nil, r end
  return json.decode(r.stdout), r
end

return M
