--- `cx fix-run [--unsafe] <command...>`: run a command, ask the LLM for a schema-checked analysis and
--- remediation commands, and — only with CXFIX_RUN=1 — run those commands, each one first checked by
--- the command_safety policy (editable: .codex/policies/command_safety.lua).
local core = require "cx.core"
local capture = require "cx.capture"
local config = require "cx.config"
local execute = require "cx.execute"
local sinks = require "cx.sink"
local paths = require "cx.paths"
local policy = require "cx.policy"
local schema_exec = require "cx.schema_exec"

local M = { summary = "analyse a failing command and (with CXFIX_RUN=1) run the safe fixes",
  raw_output = true } -- stdout is the analysis (cx.output: escaped only on a terminal)

local HELP = [[
Usage: cx fix-run [--unsafe] <command> [args...]

Run <command>, send it with its exit status and output to the LLM, and print the schema-checked
analysis and suggested commands. With CXFIX_RUN=1 the suggested commands are run (bash -lc), each
one first checked by the command_safety policy; blocked ones are skipped with a warning unless
--unsafe (or CXFIX_FORCE=1 / CX_UNSAFE=1) is given. Exit status: the original command's.
]]

local DASHES = string.rep("-", 19)

local function task_input(argv, cap)
  return string.format("You are my terminal debugging assistant.\nGiven the command, exit status, and output, "
    .. "provide concise remediation.\n\nCommand:\n%s\n\nExit status: %d\n\nOutput:\n%s",
    table.concat(argv, " "), cap.exit_code, cap.text)
end

-- Check and run the suggested commands. Returns policy_blocked, policy_reason (joined by "; ").
local function run_suggestions(commands, unsafe, p, sink)
  local handle, perr = policy.load("command_safety", { policies_dir = p.policies_dir })
  if not handle then
    sink.err("cx fix-run: " .. perr .. "; running nothing\n")
    return true, perr
  end
  -- One sandboxed evaluation classifies every command; a policy that fails blocks them all.
  local each = {}
  for i, cmd in ipairs(commands) do each[i] = { cmd } end
  local verdicts, verr = policy.map(handle, "check", each)
  if not verdicts then io.stderr:write("cx fix-run: ", verr, "\n") end
  local blocked, reasons = false, {}
  for i, cmd in ipairs(commands) do
    local verdict = verdicts and verdicts[i]
    if type(verdict) ~= "table" or type(verdict.blocked) ~= "boolean" then
      verdict = { blocked = true, reason = "policy error: " .. (verdicts and (policy.where(handle, "check") ..
        ": check() must return { blocked = true|false }") or tostring(verr)) }
    end
    if verdict.blocked then
      blocked = true
      reasons[#reasons + 1] = verdict.reason or "blocked"
    end
    if verdict.blocked and not unsafe then
      sink.err(string.format("WARN blocked dangerous command (%s); use CXFIX_FORCE=1 or --unsafe: %s\n",
        verdict.reason or "blocked", cmd))
    else
      sink.out("$ " .. cmd .. "\n")
      local out, run_err, class = capture.run({ "bash", "-lc", cmd }, { timeout_secs = config.timeout_for("bash") })
      if out then
        sink.out(out.stdout)
        sink.err(out.stderr)
      else
        sink.err("cx fix-run: " .. run_err .. "\n")
        if class == "interrupted" then break end -- a signal: run no further fix
      end
    end
  end
  return blocked, #reasons > 0 and table.concat(reasons, "; ") or nil
end

--- Run `cx fix-run [--unsafe] <command...>` writing to sink (cx.sink). Returns the exit code: the
--- original command's, 1 when the analysis failed, 2 without a command.
function M.execute(argv, sink)
  local unsafe = false
  if argv[1] == "--unsafe" then
    unsafe = true
    table.remove(argv, 1)
  end
  if argv[1] == "--" then table.remove(argv, 1) end
  if #argv == 0 then
    sink.err("cx fix-run: missing <command> (run 'cx fix-run --help')\n")
    return 2
  end
  unsafe = unsafe or config.u8_bool("CXFIX_FORCE", false) or config.u8_bool("CX_UNSAFE", false)
  local started = core.loop.monotonic_ms()
  local cap, err, class = capture.capture(argv)
  if not cap then
    if class == "interrupted" then
      schema_exec.record_stopped({ tool = "cxrs_fix_run", schema_name = "fixrun", class = class, reason = err,
        started_ms = started })
    end
    sink.err("cx fix-run: " .. err .. "\n")
    return 1
  end
  local out = schema_exec.run({ tool = "cxrs_fix_run", schema_name = "fixrun", task_input = task_input(argv, cap),
    capture_fields = cap.fields, started_ms = started, defer_row = true })
  if not out.ok then
    if out.row_fields then schema_exec.append_row("cxrs_fix_run", out.row_fields) end
    if out.kind == "schema" then
      sink.err("cx fix-run: schema failure; quarantine_id=" .. out.quarantine_id .. "\n"
        .. "cx fix-run: raw response follows:\n" .. out.raw .. "\n")
    else
      sink.err("cx fix-run: " .. out.message .. "\n")
    end
    return 1
  end
  local v = out.value
  if type(v.analysis) == "string" and v.analysis:find("%S") then
    sink.out("Analysis:\n" .. v.analysis .. "\n\n")
  end
  sink.out("Suggested commands:\n" .. DASHES .. "\n")
  for _, c in ipairs(v.commands) do sink.out(c .. "\n") end
  sink.out(DASHES .. "\n")
  local fields = out.row_fields
  if config.u8_bool("CXFIX_RUN", false) then
    local p = paths.resolve()
    fields.policy_blocked, fields.policy_reason = run_suggestions(v.commands, unsafe, p, sink)
  else
    sink.out("Not running suggested commands (set CXFIX_RUN=1 to execute).\n")
  end
  fields.duration_ms = execute.elapsed_ms(started)
  schema_exec.append_row("cxrs_fix_run", fields)
  return cap.exit_code
end

function M.run(argv)
  if argv[1] == "--help" or argv[1] == "-h" then
    io.stdout:write(HELP)
    return 0
  end
  return M.execute(argv, sinks.stdio())
end

return M
