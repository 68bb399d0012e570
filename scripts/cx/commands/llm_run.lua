--- The shared body of `cx cx|cxol|cxj|cxo <command...>`: the command's captured output is the prompt.
local execute = require "cx.execute"

local M = {}

local modes = {
  cx = { mode = "plain", tool = "cx", what = "print the plain reply" },
  cxol = { mode = "plain", tool = "cx", what = "print the plain reply (alias of cx)" },
  cxj = { mode = "jsonl", tool = "cxj", what = "print the provider's JSONL event stream" },
  cxo = { mode = "agent", tool = "cxo", what = "print only the agent's final message" },
}

local function help(name)
  return string.format([[
Usage: cx %s <command> [args...]

Run <command> (directly, never through a shell), capture its output (reduced and clipped to the
context budget), send it as the prompt to the selected LLM adapter and %s.
Exit status: the captured command's on success; 1 when the run fails; 2 for usage errors.
Every run writes one row to .codex/cxlogs/runs.jsonl.

Environment: CX_PROVIDER_ADAPTER, CX_LLM_BACKEND, CX_MODEL, CX_OLLAMA_MODEL, CX_HTTP_PROVIDER_URL,
CX_HTTP_PROVIDER_FORMAT, CX_HTTP_PROVIDER_TOKEN, CX_TIMEOUT_LLM_SECS, CX_CMD_TIMEOUT_SECS,
CX_CONTEXT_BUDGET_CHARS, CX_CONTEXT_BUDGET_LINES, CX_CONTEXT_CLIP_MODE (see docs/adapters.md).
]], name, modes[name].what)
end

--- A command module for one of the names above.
function M.command(name)
  local spec = modes[name]
  return {
    summary = "run a command, send its output to the LLM, " .. spec.what,
    raw_output = true, -- stdout is the reply (cx.output: escaped only on a terminal)
    run = function(argv)
      if argv[1] == "--help" or argv[1] == "-h" then
        io.stdout:write(help(name))
        return 0
      end
      if argv[1] == "--" then table.remove(argv, 1) end
      if #argv == 0 then
        io.stderr:write("cx ", name, ": missing <command> to capture (run 'cx ", name, " --help')\n")
        return 2
      end
      local out, err = execute.run_captured({ tool = spec.tool, mode = spec.mode, argv = argv })
      if not out then
        io.stderr:write("cx ", name, ": ", err, "\n")
        return 1
      end
      for _, w in ipairs(out.descriptor.warnings) do io.stderr:write("cx ", name, ": warning: ", w, "\n") end
      local r = out.result
      if not r.ok then
        io.stderr:write("cx ", name, ": ", r.reason, "\n")
        return 1
      end
      if spec.mode == "plain" then
        io.stdout:write(r.text)
      elseif spec.mode == "jsonl" then
        io.stdout:write(r.jsonl)
        if r.jsonl:sub(-1) ~= "\n" then io.stdout:write("\n") end
      else
        io.stdout:write(r.text, "\n")
      end
      return out.exit_code
    end,
  }
end

return M
