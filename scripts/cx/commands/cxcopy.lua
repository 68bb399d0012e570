--- `cx cxcopy <command...>`: run a command (no shell), send its clipped output to the LLM and copy
--- the agent's reply to the clipboard (a clipboard program found on PATH) instead of printing it.
local clipboard = require "cx.clipboard"
local llm_run = require "cx.commands.llm_run"

local M = { summary = "run a command; copy the LLM's reply to the clipboard" ,
  raw_output = true } -- stdout is the reply (cx.output: escaped only on a terminal)

local HELP = [[
Usage: cx cxcopy <command> [args...]

Run <command> directly (never through a shell), send its captured output to the LLM as the prompt,
and copy the agent's reply to the clipboard with the first of pbcopy, wl-copy, xclip, xsel found on
PATH (run directly, the reply on its stdin). Prints `Copied to clipboard (<program>)`. Every run writes
one row (tool cxcopy) to the run log.
Exit status: the command's; 1 when the LLM run fails, the reply is empty, or no clipboard program
works; 2 for usage errors.
]]

function M.run(argv)
  local cmd, code = llm_run.command_argv("cxcopy", argv, HELP)
  if not cmd then return code end
  -- Look for a clipboard first: no LLM call for a reply that could not be copied anyway.
  local programs = clipboard.available()
  if #programs == 0 then
    io.stderr:write("cx cxcopy: no clipboard program found on PATH (looked for ", clipboard.names(), ")\n")
    return 1
  end
  local out = llm_run.run("cxcopy", { tool = "cxcopy", mode = "agent", argv = cmd })
  local r = out.result
  if not r.ok then
    io.stderr:write("cx cxcopy: ", r.reason, "\n")
    return 1
  end
  if not (r.text or ""):match("%S") then
    io.stderr:write("cx cxcopy: nothing to copy\n")
    return 1
  end
  local bin, err = clipboard.copy(r.text, programs)
  if not bin then
    io.stderr:write("cx cxcopy: ", err, "\n")
    return 1
  end
  io.stdout:write("Copied to clipboard (", bin, ")\n")
  return out.exit_code
end

return M
