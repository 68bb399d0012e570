--- `cx capture-status`: the capture provider's configuration (always the native capture).
local args = require "cx.args"
local introspect = require "cx.introspect"

local M = { summary = "the capture provider's configuration" }

function M.parser()
  return args.parser("capture-status", "The capture provider's configuration: cx captures commands natively "
    .. "(no external capture tool), reduced unless CX_NATIVE_REDUCE=0.")
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  io.stdout:write(introspect.lines(introspect.capture_facts()))
  return 0
end

return M
