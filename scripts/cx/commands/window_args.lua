--- What the run-log analytics commands (metrics, profile, alert, trace, worklog, promptlint,
--- prompt-stats, budget) share on the command side: an optional positional N (the last one wins),
--- `--log PATH` (PLAN.md §9), reading the window through runlog.read_window (the tail reader diag
--- uses) with the typed or the tolerant row check, and the warnings about skipped lines.
local args = require "cx.args"
local paths = require "cx.paths"
local runlog = require "cx.runlog"
local command = require "cx.diag.command"

local M = {}

local positive = args.converter("N") -- the one numeric check (docs/security.md, "Command lines")

--- An argparse parser for `cx <name> [N] [--log PATH]` (and --json when opts.json).
function M.parser(name, description, default_n, opts)
  opts = opts or {}
  local p = args.parser(name, description, opts.epilog)
  p:argument("N", "How many of the last runs (default " .. default_n .. ")."):args("*"):convert(positive)
  p:option("--log", "Read this run log instead of .codex/cxlogs/runs.jsonl."):argname("<path>")
  if opts.json then p:flag("--json", opts.json) end
  return p
end

--- Parse argv; opts.n is the window (the last N given, else default_n). Returns opts or nil, 2.
function M.parse(parser, argv, default_n)
  local opts, code = args.parse(parser, argv)
  if not opts then return nil, code end
  opts.n = opts.N[#opts.N] or default_n
  return opts
end

--- The log to read: --log, else the resolved run log. On failure prints `cx <name>: <why>` and
--- returns nil, 1.
function M.log_file(name, opts)
  if opts.log then return opts.log end
  local p, err = paths.resolve()
  if not p then
    io.stderr:write("cx ", name, ": ", err, "\n")
    return nil, 1
  end
  return p.log_file
end

local function warn_skipped(name, info, dropped)
  if dropped and dropped.count > 0 then
    io.stderr:write(string.format("cx %s: warning: skipped %d rows with mistyped fields in %s (first: %s). "
      .. "Run 'cx logs validate' for details.\n", name, dropped.count, info.log_file, dropped.field))
  end
  if info.skipped and info.skipped > 0 then
    io.stderr:write(string.format("cx %s: warning: skipped %d invalid JSON lines in %s. "
      .. "Run 'cx logs validate' for details.\n", name, info.skipped, info.log_file))
  end
end

--- The last n rows that pass the typed check (the reference's typed reader). Returns rows, info
--- {log_file, exists, ...} or nil, exit code (after printing the error).
function M.typed(name, n, file)
  local rows, info, dropped = command.read_typed_rows(n, file)
  if not rows then
    io.stderr:write("cx ", name, ": ", tostring(info), "\n")
    return nil, 1
  end
  warn_skipped(name, info, dropped)
  return rows, info
end

--- The last n rows that parse as JSON, any value (the reference's tolerant reader).
function M.tolerant(name, n, file)
  local rows, info = runlog.read_window(n, file)
  if not rows then
    io.stderr:write("cx ", name, ": ", tostring(info), "\n")
    return nil, 1
  end
  return rows, info
end

--- Parse, resolve the log and read the typed window in one step: returns opts, rows, info or nil, code.
function M.read_typed(name, parser, argv, default_n)
  local opts, code = M.parse(parser, argv, default_n)
  if not opts then return nil, code end
  local file
  file, code = M.log_file(name, opts)
  if not file then return nil, code end
  local rows, info = M.typed(name, opts.n, file)
  if not rows then return nil, info end
  return opts, rows, info
end

return M
