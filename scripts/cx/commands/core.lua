--- `cx core` (`cxcore`): the execution pipeline's configuration — adapter, capture, budgets, schema
--- enforcement and the log file — as `key: value` lines under `== cxcore ==`.
local args = require "cx.args"
local json = require "cx.json"
local introspect = require "cx.introspect"

local M = { summary = "the execution pipeline's configuration" }

function M.parser()
  local p = args.parser("core", "The execution pipeline's configuration: adapter, capture, budgets, schema "
    .. "enforcement, logging and the log file.")
  p:flag("--json", "Print one JSON object with the same keys.")
  return p
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  local facts = introspect.core_facts()
  if opts.json then
    io.stdout:write(json.pretty(introspect.object(facts)), "\n")
  else
    io.stdout:write("== cxcore ==\n", introspect.lines(facts))
  end
  return 0
end

return M
