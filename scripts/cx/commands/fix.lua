--- `cx fix <command...>` (`cxfix`): run a command (no shell), send it with its exit status and
--- clipped output to the LLM, and print the explanation and the next commands to run. The exit
--- status is the command's, so scripts keep seeing failures through it.
local llm_run = require "cx.commands.llm_run"

local M = { summary = "run a command; the LLM explains a failure and the next commands" ,
  raw_output = true } -- stdout is the reply (cx.output: escaped only on a terminal)

local HELP = [[
Usage: cx fix <command> [args...]

Run <command> directly (never through a shell), capture its output (reduced and clipped to the context
budget), and ask the LLM what happened, the likely cause and the next 3 commands to run. Prints the
reply. Every run writes one row (tool cxfix) to the run log.
Exit status: the command's; when the LLM run fails, the command's if it failed, else 1.
]]

--- The prompt around a capture (lines joined by "\n", no trailing newline: hashed into rows).
function M.prompt(cap, argv)
  return table.concat({
    "You are my terminal debugging assistant.",
    "Task:",
    "1) Explain what happened (brief).",
    "2) If the command failed, diagnose likely cause(s).",
    "3) Propose the next 3 commands to run to confirm/fix.",
    "4) If it is a configuration issue, point to exact file/line patterns to check.",
    "",
    "Command:",
    table.concat(argv, " "),
    "",
    "Exit status: " .. cap.exit_code,
    "",
    "Output:",
    cap.text,
  }, "\n")
end

function M.run(argv)
  local cmd, code = llm_run.command_argv("fix", argv, HELP)
  if not cmd then return code end
  local out = llm_run.run("fix", { tool = "cxfix", mode = "agent", argv = cmd, make_prompt = M.prompt })
  local r = out.result
  if not r.ok then
    io.stderr:write("cx fix: ", r.reason, "\n")
    return out.exit_code ~= 0 and out.exit_code or 1
  end
  io.stdout:write(r.text or "", "\n")
  return out.exit_code
end

return M
