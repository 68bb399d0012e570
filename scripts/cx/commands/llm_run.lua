--- The shared body of `cx cx|cxol|cxj|cxo <command...>`: the command's captured output is the prompt.
--- `fix` and `cxcopy` reuse its argument handling and run step.
local args = require "cx.args"
local execute = require "cx.execute"
local sinks = require "cx.sink"

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

--- The command line to capture for `cx <name> [--] <command...>`: argv without a leading `--`; or nil
--- and the exit code after printing help_text (0) or the missing-command error (2).
function M.command_argv(name, argv, help_text)
  if args.asks_help(argv) then
    io.stdout:write(help_text)
    return nil, 0
  end
  if argv[1] == "--" then table.remove(argv, 1) end
  if #argv == 0 then
    io.stderr:write("cx ", name, ": missing <command> to capture (run 'cx ", name, " --help')\n")
    return nil, 2
  end
  return argv
end

--- Run a captured command through the adapter (cx.execute.run_captured with opts) and print the
--- adapter's configuration warnings as `cx <name>: warning: ...`. Returns run_captured's result.
function M.run(name, opts)
  local out = execute.run_captured(opts)
  for _, w in ipairs(out.descriptor.warnings) do io.stderr:write("cx ", name, ": warning: ", w, "\n") end
  return out
end

--- Run `cx <name> <argv...>` (argv without the name), writing to sink (cx.sink): what a task
--- objective naming the command runs. Returns the exit code: the captured command's on success, 1
--- when the run failed, 2 without a command.
function M.execute(name, argv, sink)
  local spec = modes[name]
  if argv[1] == "--" then table.remove(argv, 1) end
  if #argv == 0 then
    sink.err("cx " .. name .. ": missing <command> to capture (run 'cx " .. name .. " --help')\n")
    return 2
  end
  local out = execute.run_captured({ tool = spec.tool, mode = spec.mode, argv = argv })
  for _, w in ipairs(out.descriptor.warnings) do sink.err("cx " .. name .. ": warning: " .. w .. "\n") end
  local r = out.result
  if not r.ok then
    sink.err("cx " .. name .. ": " .. r.reason .. "\n")
    return 1
  end
  if spec.mode == "plain" then
    sink.out(r.text)
  elseif spec.mode == "jsonl" then
    sink.out(r.jsonl)
    if r.jsonl:sub(-1) ~= "\n" then sink.out("\n") end
  else
    sink.out(r.text .. "\n")
  end
  return out.exit_code
end

--- A command module for one of the names above.
function M.command(name)
  local spec = modes[name]
  return {
    summary = "run a command, send its output to the LLM, " .. spec.what,
    raw_output = true, -- stdout is the reply (cx.output: escaped only on a terminal)
    run = function(argv)
      local cmd, code = M.command_argv(name, argv, help(name))
      if not cmd then return code end
      return M.execute(name, cmd, sinks.stdio())
    end,
  }
end

--- Is name one of cx, cxj, cxo, cxol?
function M.handles(name)
  return modes[name] ~= nil
end

return M
