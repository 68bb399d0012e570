--- `cx version` (compatibility name `cxversion`): the version, how this cx was started
--- (`execution_path:`), where its data lives, the adapter and pipeline settings, and build facts.
--- `cx --version` stays the one-line `cx <version>`.
local introspect = require "cx.introspect"

return require("cx.commands.facts").command({
  name = "version",
  summary = "print the version and build facts",
  description = "Print the cx version, how it was started (execution_path), its data paths, the adapter and "
    .. "pipeline settings, and build facts, one `key: value` per line.",
  epilog = "Scripts identify the runtime with `cx version | grep '^execution_path: '` (CX_EXECUTION_PATH "
    .. "overrides it). `cx --version` prints the single line `cx <version>`.",
  facts = introspect.version_facts,
  json = true,
})
