--- ollama-cli: `ollama run MODEL` with the prompt on stdin. `--nowordwrap` keeps terminal escape
--- sequences out of piped output; the CLI's closing blank lines are framing, not reply.
local binaries = require "cx.adapters.binaries"
local context = require "cx.context"
local R = require "cx.adapters.result"
local redact = require "cx.redact"

local M = {}

M.label = "ollama run"

M.model_unset = "ollama model is unset; set CX_OLLAMA_MODEL or run 'cx llm set-model <model>'"

local function clean(text)
  text = (text or ""):gsub("\27%[[%d;?]*[%a]", "")
  return (text:gsub("%s+$", ""))
end

function M.start(loop, d, req)
  if not d.model then
    return nil, R.fail("config_error", M.model_unset)
  end
  local id, err = loop:spawn(context.spawn_env({
    argv = { (binaries.program("ollama")), "run", d.model, "--nowordwrap" },
    stdin = req.prompt, timeout_ms = req.timeout_secs * 1000, grace_ms = req.grace_ms or 2000,
    env_unset = redact.child_env_unset(),
  }))
  if not id then
    return nil, R.fail("spawn_failed", R.spawn_reason(M.label, err), { command_label = M.label })
  end
  return { job = id, mode = req.mode, timeout_secs = req.timeout_secs }
end

function M.finish(att, c)
  local base = { duration_ms = c.duration_ms, exit_code = c.exit_code, signal = c.signal }
  if c.class == "spawn_failed" then
    return R.fail("spawn_failed", R.spawn_reason(M.label, c.error), base)
  end
  if c.timed_out then
    base.timed_out, base.timeout_secs, base.command_label = true, att.timeout_secs, M.label
    return R.fail("timeout", string.format("%s timed out after %ds", M.label, att.timeout_secs), base)
  end
  if c.exit_code ~= 0 then
    local detail = R.last_line(c.stderr) or ""
    local class = "process_exit"
    if detail:lower():find("could not connect to ollama", 1, true) then class = "transport_unreachable" end
    if c.signal then
      return R.fail("process_signal", string.format("ollama killed by signal %d", c.signal), base)
    end
    return R.fail(class, string.format("ollama exited with status %d%s", c.exit_code or -1,
      detail ~= "" and (": " .. detail) or ""), base)
  end
  base.text = clean(c.stdout)
  -- The CLI answers a cloud model's 401 on stdout with exit 0; that is no reply.
  if base.text:match("^You need to be signed in to Ollama") then
    return R.fail("provider_error", "ollama: " .. (base.text:match("^[^\n]*")), base)
  end
  return R.with_synthetic_jsonl(R.ok(base))
end

return M
