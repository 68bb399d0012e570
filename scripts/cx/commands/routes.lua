--- `cx routes [--json] [name...]` (`cxroutes`): every name cx answers to — commands and the earlier
--- implementation's cx* names — and the command that runs it. The route is always `rust`: the
--- reference's word for "handled natively, no bash fallback", kept so scripts that check it match.
local args = require "cx.args"
local json = require "cx.json"
local registry = require "cx.registry"

local M = { summary = "every command and compatibility name and what runs it" }

local HELP = [[
Usage: cx routes [--json] [name...]

Every name cx dispatches (commands and the earlier cx* compatibility names, sorted byte-wise), or
the given names in order, as `<name>: rust (<command>)`. --json prints an array of
{"handler", "name", "route"}. Names cx does not know are left out (and reported on stderr).
Exit status: 0.
]]

--- The route of a name, or nil: {name, route = "rust", handler = the command that runs it}.
function M.route(name)
  local c = registry.find(name)
  if not c then return nil end
  return { name = name, route = "rust", handler = c.name }
end

function M.run(argv)
  local as_json, names = false, {}
  if args.asks_help(argv, true) then
    io.stdout:write(HELP)
    return 0
  end
  for _, a in ipairs(argv) do
    if a == "--json" then
      as_json = true
    elseif a:sub(1, 1) == "-" then
      io.stderr:write("cx routes: unknown option '", a, "' (run 'cx routes --help')\n")
      return 2
    else
      names[#names + 1] = a
    end
  end
  if #names == 0 then names = registry.names() end
  local routes = {}
  for _, n in ipairs(names) do
    local r = M.route(n)
    if r then
      routes[#routes + 1] = r
    else
      io.stderr:write("cx routes: unknown command '", n, "'\n")
    end
  end
  if as_json then
    io.stdout:write(json.pretty(json.array(routes)), "\n")
    return 0
  end
  local out = {}
  for _, r in ipairs(routes) do out[#out + 1] = string.format("%s: %s (%s)\n", r.name, r.route, r.handler) end
  io.stdout:write(table.concat(out))
  return 0
end

return M
