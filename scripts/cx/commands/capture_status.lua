--- `cx capture-status`: the capture provider's configuration (always the native capture).
local introspect = require "cx.introspect"

return require("cx.commands.facts").command({
  name = "capture-status",
  summary = "the capture provider's configuration",
  description = "The capture provider's configuration: cx captures commands natively (no external capture "
    .. "tool), reduced unless CX_NATIVE_REDUCE=0.",
  facts = introspect.capture_facts,
})
