--- `cx where [name...]` (`cxwhere`): where this cx and its files are (binary, scripts, repository,
--- log, state), the backend and model, and for each name given, what runs it. Nothing is run to
--- answer: a name cx does not dispatch is `route=unknown` (the reference asked a login bash).
local args = require "cx.args"
local core = require "cx.core"
local execute = require "cx.execute"
local introspect = require "cx.introspect"
local paths = require "cx.paths"
local registry = require "cx.registry"

local M = { summary = "where cx, its scripts, log and state are; how commands route" }

local HELP = [[
Usage: cx where [name...]

Print where this cx runs from and where its data is (bin_cx, cxrs_path, cxrs_version, scripts_dir,
repo_root, log_file, state_file, backend, active_model). For each name given, print
`- <name>: route=rust handler=<command>` when cx dispatches it, `- <name>: route=unknown` otherwise.
Exit status: 0.
]]

local function shown(v)
  if v == nil or v == "" then return "<unset>" end
  return v
end

function M.run(argv)
  if args.asks_help(argv, true) then
    io.stdout:write(HELP)
    return 0
  end
  local repo = introspect.repo_root()
  local p = paths.resolve()
  local exe = introspect.exe_path()
  local d, state_error = execute.descriptor()
  local bash_lib = repo .. "/lib/cx.sh"
  local lines = {
    "== cxwhere ==",
    "bin_cx: " .. (os.getenv("CX_BIN_CX") or exe or (repo .. "/bin/cx")),
    "cxrs_path: " .. (exe or "<unknown>"),
    "cxrs_version: " .. introspect.version(),
    "bash_lib: " .. bash_lib,
    "bash_lib_sourceable: " .. tostring(core.fs.exists(bash_lib)),
    "repo_root: " .. repo,
    "log_file: " .. (p and p.log_file or "<unresolved>"),
    "source: " .. (os.getenv("CX_SOURCE_LOCATION") or "standalone:cx"),
    "state_file: " .. (p and p.state_file or "<unresolved>"),
    "backend: " .. d.backend,
    "active_model: " .. shown(d.model),
    "scripts_dir: " .. (introspect.scripts_dir() or "<unknown>"),
  }
  -- a broken state.json: backend and model above are the defaults, and say so (docs/security.md)
  if state_error then table.insert(lines, 11, "state_error: " .. state_error .. " (defaults shown)") end
  if #argv > 0 then
    lines[#lines + 1] = "routes:"
    for _, name in ipairs(argv) do
      local c = registry.find(name)
      if c then
        lines[#lines + 1] = string.format("- %s: route=rust handler=%s", name, c.name)
      else
        lines[#lines + 1] = string.format("- %s: route=unknown", name)
      end
    end
  end
  io.stdout:write(table.concat(lines, "\n"), "\n")
  return 0
end

return M
