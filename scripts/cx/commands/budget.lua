--- `cx budget [--log PATH]` (`cxbudget`): the context budget captures are clipped to, and the clip
--- fields of the last run in the log (how much of its captured output was kept).
local args = require "cx.args"
local capture = require "cx.capture"
local command = require "cx.diag.command"
local window = require "cx.commands.window_args"

local M = { summary = "the context budget and the last run's clip fields" }

M.CLIP_FIELDS = { "system_output_len_raw", "system_output_len_processed", "system_output_len_clipped",
  "system_output_lines_raw", "system_output_lines_processed", "system_output_lines_clipped", "clipped",
  "budget_chars", "budget_lines", "clip_mode", "clip_footer", "rtk_used", "capture_provider" }

function M.parser()
  local p = args.parser("budget", "The context budget (CX_CONTEXT_BUDGET_CHARS, CX_CONTEXT_BUDGET_LINES, "
    .. "CX_CONTEXT_CLIP_MODE, CX_CONTEXT_CLIP_FOOTER) and the clip fields of the last run in the log.")
  p:option("--log", "Read this run log instead of .codex/cxlogs/runs.jsonl."):argname("<path>")
  return p
end

local function shown(v)
  if v == nil or (type(v) ~= "string" and type(v) ~= "number" and type(v) ~= "boolean") then return "n/a" end
  return tostring(v)
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  local file
  file, code = window.log_file("budget", opts)
  if not file then return code end
  local b = capture.budget()
  local L = {
    "== cxbudget ==",
    "CX_CONTEXT_BUDGET_CHARS=" .. b.chars,
    "CX_CONTEXT_BUDGET_LINES=" .. b.lines,
    "CX_CONTEXT_CLIP_MODE=" .. (os.getenv("CX_CONTEXT_CLIP_MODE") or "smart"),
    "CX_CONTEXT_CLIP_FOOTER=" .. (b.footer and "1" or "0"),
    "log_file: " .. file,
  }
  -- The reference swallows read errors here: the budget lines are the point of the command.
  local rows = command.read_typed_rows(1, file)
  local last = rows and rows[#rows]
  if last then
    L[#L + 1] = ""
    L[#L + 1] = "Last run clip fields:"
    for _, k in ipairs(M.CLIP_FIELDS) do L[#L + 1] = k .. ": " .. shown(last[k]) end
  end
  io.stdout:write(table.concat(L, "\n"), "\n")
  return 0
end

return M
