--- `cx version` (compatibility names `cxversion`): the version, how this cx was started
--- (`execution_path:`), where its data lives, the adapter and pipeline settings, and build facts.
--- `cx --version` stays the one-line `cx <version>`.
local args = require "cx.args"
local json = require "cx.json"
local introspect = require "cx.introspect"

local M = { summary = "print the version and build facts" }

function M.parser()
  local p = args.parser("version", "Print the cx version, how it was started (execution_path), its data paths, "
    .. "the adapter and pipeline settings, and build facts, one `key: value` per line.",
    "Scripts identify the runtime with `cx version | grep '^execution_path: '` (CX_EXECUTION_PATH overrides "
    .. "it). `cx --version` prints the single line `cx <version>`.")
  p:flag("--json", "Print one JSON object with the same keys.")
  return p
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  local facts = introspect.version_facts()
  if opts.json then
    io.stdout:write(json.pretty(introspect.object(facts)), "\n")
  else
    io.stdout:write(introspect.lines(facts))
  end
  return 0
end

return M
