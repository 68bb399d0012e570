--- `cx core` (`cxcore`): the execution pipeline's configuration — adapter, capture, budgets, schema
--- enforcement and the log file — as `key: value` lines under `== cxcore ==`.
local introspect = require "cx.introspect"

return require("cx.commands.facts").command({
  name = "core",
  summary = "the execution pipeline's configuration",
  description = "The execution pipeline's configuration: adapter, capture, budgets, schema enforcement, "
    .. "logging and the log file.",
  header = "== cxcore ==",
  facts = introspect.core_facts,
  json = true,
})
