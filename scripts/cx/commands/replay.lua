--- `cx replay <quarantine_id>`: run a quarantined structured request again through the current adapter.
local printable = require "cx.printable"
local schema_exec = require "cx.schema_exec"

local M = { summary = "re-run a quarantined structured request through the current adapter",
  raw_output = true } -- stdout is the reply (cx.output: escaped only on a terminal)

local HELP = [[
Usage: cx replay <quarantine_id>

Send the stored schema and task input of a quarantined run (see `cx quarantine list`) through the
current adapter once, with the strict schema prompt. Prints the reply when it now matches the schema
(exit 0); otherwise quarantines the new failure under `<tool>_replay` and exits 1.
]]

function M.run(argv)
  if argv[1] == "--help" or argv[1] == "-h" then
    io.stdout:write(HELP)
    return 0
  end
  if #argv ~= 1 or argv[1]:sub(1, 1) == "-" then
    io.stderr:write("cx replay: ", #argv == 0 and "missing <quarantine_id>" or
      ("unexpected argument '" .. printable.line(argv[#argv]) .. "'"), " (run 'cx replay --help')\n")
    return 2
  end
  local out = schema_exec.replay(argv[1])
  if out.ok then
    io.stdout:write(out.raw or out.json, "\n")
    return 0
  end
  if out.kind == "schema" then
    io.stderr:write(string.format("cx replay: %s; quarantine_id=%s\n", out.reason, out.quarantine_id))
    if out.reason:match("^invalid JSON") then io.stderr:write("cx replay: raw response follows:\n", out.raw, "\n") end
    return 1
  end
  io.stderr:write("cx replay: ", out.message, "\n")
  return out.kind == "usage" and 2 or 1
end

return M
