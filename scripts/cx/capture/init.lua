--- Capture a system command's output as LLM context: run argv directly (never through a shell) in the
--- event loop with the timeout of its label, join stdout and stderr, reduce, and clip to the budget.
local config = require "cx.config"
local context = require "cx.context"
local jobs = require "cx.jobs"
local reduce = require "cx.capture.reduce"
local R = require "cx.adapters.result"
local clip = require "cx.capture.clip"
local redact = require "cx.redact"

local M = {}

--- The budget from the environment (reference defaults: 12000 chars, 300 lines, smart, footer on).
function M.budget()
  return {
    chars = config.uint("CX_CONTEXT_BUDGET_CHARS") or 12000,
    lines = config.uint("CX_CONTEXT_BUDGET_LINES") or 300,
    mode = (context.getenv("CX_CONTEXT_CLIP_MODE") or "smart"):lower(),
    footer = config.u8_bool("CX_CONTEXT_CLIP_FOOTER", true),
  }
end

function M.label(argv)
  return string.format("system command '%s'", argv[1])
end

--- Run argv and collect its output (through cx.jobs). opts: stdin, timeout_secs, label (names the child
--- in messages and picks its timeout class; default `system command '<argv0>'`), env_set, cwd. Returns
--- {stdout, stderr, exit_code, signal, duration_ms} or nil, message, class ("spawn_failed" | "timeout" |
--- "interrupted"), timeout_secs.
function M.run(argv, opts)
  opts = opts or {}
  local label = opts.label or M.label(argv)
  local secs = opts.timeout_secs or config.timeout_for(label)
  local done, err = jobs.await(function(loop)
    return loop:spawn(context.spawn_env({ argv = argv, timeout_ms = secs * 1000, grace_ms = 2000,
      stdin = opts.stdin, env_set = opts.env_set, cwd = opts.cwd, env_unset = redact.child_env_unset() }))
  end)
  if not done then return nil, R.spawn_reason(label, err), "spawn_failed" end
  if done.cancel_reason then return nil, done.error, done.class end
  if done.class == "spawn_failed" then
    return nil, R.spawn_reason(label, done.error), "spawn_failed"
  end
  if done.timed_out then
    return nil, string.format("%s timed out after %ds", label, secs), "timeout", secs
  end
  return {
    stdout = done.stdout or "", stderr = done.stderr or "",
    exit_code = done.exit_code or 1, signal = done.signal, duration_ms = done.duration_ms,
  }
end

--- stdout, then (when stderr has content) a newline if needed and stderr.
function M.join(stdout, stderr)
  if not stderr:match("%S") then return stdout end
  if stdout ~= "" and stdout:sub(-1) ~= "\n" then stdout = stdout .. "\n" end
  return stdout .. stderr
end

--- Run, reduce and clip. Returns {text (the prompt context), exit_code, fields (run-log capture
--- fields)} or nil, message, class, timeout_secs. The output is redacted (cx.redact) before anything
--- else sees it: the prompt a provider receives never carries a configured secret.
function M.capture(argv, opts)
  local out, err, class, secs = M.run(argv, opts)
  if not out then return nil, err, class, secs end
  local reduced = reduce.reduce(redact.string(M.join(out.stdout, out.stderr)), argv,
    config.u8_bool("CX_NATIVE_REDUCE", true), context.getenv("CX_CAPTURE_PROFILE"))
  local budget = M.budget()
  local text, s = clip.clip(reduced, budget)
  return {
    text = text,
    exit_code = out.exit_code,
    fields = {
      capture_provider = "native", rtk_used = false,
      system_output_len_raw = s.chars_in, system_output_len_processed = s.chars_in,
      system_output_len_clipped = s.chars_kept,
      system_output_lines_raw = s.lines_in, system_output_lines_processed = s.lines_in,
      system_output_lines_clipped = s.lines_kept,
      clipped = s.clipped, budget_chars = budget.chars, budget_lines = budget.lines,
      clip_mode = s.mode, clip_footer = budget.footer,
    },
  }
end

return M
