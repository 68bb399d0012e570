--- The shared body of `cx version`, `cx core` and `cx capture-status`: facts from cx.introspect
--- printed as `key: value` lines (under an optional header), or with --json as one object.
local args = require "cx.args"
local json = require "cx.json"
local introspect = require "cx.introspect"

local M = {}

--- A command module. spec = { name, summary, description, epilog?, header?, facts = fn -> {{key, value}},
--- json = true when --json is offered }.
function M.command(spec)
  local mod = { summary = spec.summary }

  function mod.parser()
    local p = args.parser(spec.name, spec.description, spec.epilog)
    if spec.json then p:flag("--json", "Print one JSON object with the same keys.") end
    return p
  end

  function mod.run(argv)
    local opts, code = args.parse(mod.parser(), argv)
    if not opts then return code end
    local facts = spec.facts()
    if opts.json then
      io.stdout:write(json.pretty(introspect.object(facts)), "\n")
    else
      io.stdout:write(spec.header and (spec.header .. "\n") or "", introspect.lines(facts))
    end
    return 0
  end

  return mod
end

return M
