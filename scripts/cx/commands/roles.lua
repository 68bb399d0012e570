--- `cx roles [role]` (`cxroles`): the agent roles, or one role's focus and deliverable.
local args = require "cx.args"
local prompts = require "cx.prompts"
local registry = require "cx.registry"

local M = { summary = "the agent roles, or one role's header" }

function M.run(argv)
  local role = argv[1]
  if args.asks_help(argv) then
    io.stdout:write("Usage: cx roles [role]\n\nList the roles (architect, implementer, reviewer, tester, doc), or "
      .. "print one role's header\n(Role, Focus, Deliver). Exit codes: 0 ok, 2 unknown role or usage error.\n")
    return 0
  end
  if argv[2] ~= nil then
    io.stderr:write("cx roles: unexpected argument '", argv[2], "' (Usage: cx roles [role])\n")
    return 2
  end
  if role == nil then
    io.stdout:write(prompts.roles_list())
    return 0
  end
  local r = prompts.role(role)
  if not r then
    local names = {}
    for _, x in ipairs(prompts.ROLES) do names[#names + 1] = x.name end
    io.stderr:write("cx roles: unknown role '", role, "'", registry.hint(role, names), "\n")
    return 2
  end
  io.stdout:write(prompts.role_header(r))
  return 0
end

return M
