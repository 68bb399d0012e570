--- `require "cx"`: the public Lua API of cx. Submodules load on first use:
---   cx.json, cx.paths, cx.config, cx.state, cx.runlog, cx.adapters, cx.execute, cx.structured,
---   cx.quarantine, cx.policy, cx.schema (registry, validator), cx.diag (report), cx.core (native).
local core = require "cx.core"

local lazy = {
  core = "cx.core", json = "cx.json", paths = "cx.paths", config = "cx.config", state = "cx.state",
  runlog = "cx.runlog", log_contract = "cx.log_contract", adapters = "cx.adapters", execute = "cx.execute",
  structured = "cx.structured", quarantine = "cx.quarantine", policy = "cx.policy",
  schema_registry = "cx.schema.registry", schema_validator = "cx.schema.validator", diag = "cx.diag.report",
}

local cx = { version = core.version }

--- Run the cx command line with an argument list; returns the exit code.
function cx.main(argv)
  return require("cx.cli").main(argv)
end

return setmetatable(cx, {
  __index = function(t, k)
    local name = lazy[k]
    if not name then return nil end
    local m = require(name)
    rawset(t, k, m)
    return m
  end,
})
