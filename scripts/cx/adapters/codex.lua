--- codex-cli: `codex exec --json -` with the prompt on stdin, the real event stream parsed and
--- reconciled with the exit status. Codex never gives up on an unreachable server by itself
--- (it keeps "Reconnecting..."), so our timeout is what ends such a run, and the result says so.
local core = require "cx.core"
local json = require "cx.json"
local binaries = require "cx.adapters.binaries"
local context = require "cx.context"
local paths = require "cx.paths"
local R = require "cx.adapters.result"
local redact = require "cx.redact"

local M = {}

local function stderr_line(text)
  return R.last_line(text, function(l) return l:match("^Reading additional input from stdin") end)
end

-- The last `{"type":"error","message":"Reconnecting..."}` notice of a (partial) event stream.
local function last_reconnect_notice(stdout)
  local last
  for line in (stdout or ""):gmatch("[^\n]+") do
    local ev = json.decode(line)
    if type(ev) == "table" and ev.type == "error" and type(ev.message) == "string"
        and ev.message:match("^Reconnecting") then
      last = ev.message
    end
  end
  return last
end

function M.label(mode)
  return mode == "plain" and "codex exec -" or "codex exec --json -"
end

function M.start(loop, d, req)
  local argv = { (binaries.program("codex")), "exec" }
  if req.mode ~= "plain" then argv[#argv + 1] = "--json" end
  if d.model then
    argv[#argv + 1] = "-m"
    argv[#argv + 1] = d.model
  end
  -- Outside a git repository (cx's global scope) codex refuses to run unless told the check is ours.
  local where = paths.resolve()
  if where and where.scope == "global" then argv[#argv + 1] = "--skip-git-repo-check" end
  argv[#argv + 1] = "-"
  local label = M.label(req.mode)
  local id, err = loop:spawn(context.spawn_env({
    argv = argv, stdin = req.prompt, timeout_ms = req.timeout_secs * 1000, grace_ms = req.grace_ms or 2000,
    env_unset = redact.child_env_unset(),
  }))
  if not id then
    return nil, R.fail("spawn_failed", R.spawn_reason(label, err), { command_label = label })
  end
  return { job = id, label = label, mode = req.mode, timeout_secs = req.timeout_secs }
end

local function exit_failure(att, c)
  local detail = stderr_line(c.stderr)
  if c.signal then
    return R.fail("process_signal", string.format("codex killed by signal %d", c.signal),
      { signal = c.signal })
  end
  return R.fail("process_exit", string.format("codex exited with status %d%s", c.exit_code or -1,
    detail and (": " .. detail) or ""), { exit_code = c.exit_code, command_label = att.label })
end

function M.finish(att, c)
  local base = { duration_ms = c.duration_ms, exit_code = c.exit_code, signal = c.signal }
  if c.class == "spawn_failed" then
    return R.fail("spawn_failed", R.spawn_reason(att.label, c.error), base)
  end
  local parsed = att.mode ~= "plain" and core.envelope.parse("codex", c.stdout or "") or nil
  if c.timed_out then
    local reason = string.format("%s timed out after %ds", att.label, att.timeout_secs)
    local retrying = last_reconnect_notice(c.stdout)
    if retrying then reason = reason .. " (codex was still retrying: " .. retrying .. ")" end
    base.timed_out, base.timeout_secs, base.command_label = true, att.timeout_secs, att.label
    base.notices = retrying and { retrying } or {}
    return R.fail("timeout", reason, base)
  end
  if att.mode == "plain" then
    if c.exit_code == 0 then
      base.text = c.stdout or ""
      return R.ok(base)
    end
    return exit_failure(att, c)
  end
  if parsed.ok then
    base.text, base.jsonl, base.usage = parsed.text or "", c.stdout, parsed.usage
    base.events, base.notices = parsed.events, parsed.notices or {}
    if c.exit_code ~= 0 then
      base.notices[#base.notices + 1] = string.format("codex exited with status %s after turn.completed",
        tostring(c.exit_code or c.signal))
    end
    return R.ok(base)
  end
  if parsed.class == "provider_error" or parsed.class == "quota_exhausted" then
    return R.fail(parsed.class, "codex: " .. tostring(parsed.reason), base)
  end
  -- No terminal event (or no events at all): the exit status says what happened.
  if c.exit_code ~= 0 then return exit_failure(att, c) end
  if parsed.class == "incomplete" then
    return R.fail("incomplete", "codex exited 0 without a terminal event (no turn.completed or turn.failed)", base)
  end
  return R.fail(parsed.class, "codex: " .. tostring(parsed.reason), base)
end

return M
