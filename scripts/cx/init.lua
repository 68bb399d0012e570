--- `require "cx"`: the public Lua API of cx.
local core = require "cx.core"

local cx = {
  version = core.version,
  json = require "cx.json",
}

--- Run the cx command line with an argument list; returns the exit code.
function cx.main(argv)
  return require("cx.cli").main(argv)
end

return cx
