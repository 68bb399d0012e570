--- `cx version`: the version and how this cx was built.
local args = require "cx.args"
local json = require "cx.json"
local core = require "cx.core"

local M = { summary = "print the version and build facts" }

function M.parser()
  local p = args.parser("version", "Print the cx version.")
  p:flag("--json", "Print a JSON object.")
  return p
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  if opts.json then
    io.stdout:write(json.pretty({ name = "cx", version = core.version, lua = _VERSION }), "\n")
  else
    io.stdout:write("cx ", core.version, "\n")
  end
  return 0
end

return M
