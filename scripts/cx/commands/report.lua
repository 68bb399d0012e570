--- `cx report`: one self-contained HTML page of the last N rows of the run log — the timeline
--- (one lane per worker, one bar per attempt), queue-wait and duration distributions per backend,
--- failure classes, retries, quarantined answers, and the findings and actions of `cx diag`.
--- The rows are streamed (cx.logs.window), so a window of 100,000 rows stays in a few MiB.
local args = require "cx.args"
local json = require "cx.json"
local core = require "cx.core"
local collect = require "cx.report.collect"
local html = require "cx.report.html"
local redact = require "cx.redact"

local M = { summary = "write an HTML report of the last N runs (timeline, distributions, findings)" }

M.DEFAULT_WINDOW = 1000
--- The findings are those of `cx diag --window min(N, FINDINGS_WINDOW)`: diag's engine decodes its
--- window in memory, the rest of the page streams.
M.FINDINGS_WINDOW = 1000
M.CONTRACT = "report.v1"

local function window_value(text)
  local n = args.positive_int(text)
  if not n then return nil, "--window must be an integer >= 1, got '" .. text .. "'" end
  return n
end

function M.parser()
  local p = args.parser("report",
    "Write one self-contained HTML page (inline SVG and CSS, no script, no network) about the last N rows "
      .. "of the run log: a timeline with one lane per worker and one bar per attempt, queue-wait and "
      .. "duration distributions per backend, failure classes, retries, quarantined answers, and the "
      .. "findings and actions of `cx diag`. Prints the path of the page.",
    "The default page is .codex/reports/report-<run_id>.html (the last run id of the window). "
      .. "Exit codes: 0 written, 1 no log / nothing to report / cannot write, 2 usage error. docs/report.md.")
  p:option("--window", "How many of the last log rows to report on.", tostring(M.DEFAULT_WINDOW))
    :argname("<N>"):convert(window_value)
  p:option("--log", "Read this run log instead of .codex/cxlogs/runs.jsonl."):argname("<path>")
  p:option("--out", "Write the page here ('-' for stdout)."):argname("<file>")
  p:flag("--json", "Print one JSON document (report.v1) describing what was written.")
  p:argument("extra"):args("*"):hidden(true)
  return p
end

local function fail(message)
  io.stderr:write("cx report: ", message, "\n")
  return 1
end

-- Everything cx writes passes through the redaction of configured secrets (docs/security.md):
-- each string from the log before it is escaped (cx.report.html), the whole page once more after.
local function redacted(text)
  return (redact.string(text))
end

-- The findings and actions of cx diag over the last n rows (the same engine and policy).
local function diag_findings(n, log)
  local dcommand = require "cx.diag.command"
  local dreport = require "cx.diag.report"
  local rows, info = dcommand.read_rows(n, log)
  local _, eval, class = dreport.evaluate(rows, { window = n, log_file = info.log_file, info = info, actions = true })
  if not eval or type(eval) ~= "table" then
    return { error = tostring(eval) .. (class and (" (" .. class .. ")") or "") }
  end
  return { severity = eval.severity, findings = eval.result.findings or {}, actions = eval.actions or {},
    window = n, rows = #rows }
end

local function safe_name(run_id)
  if run_id and run_id:match("^[%w._-]+$") and #run_id <= 128 then return run_id end
  return os.date("!%Y%m%dT%H%M%SZ")
end

local function default_out(m)
  local paths = require "cx.paths"
  local p, err = paths.resolve()
  if not p then return nil, err end
  return p.base .. "/reports/report-" .. safe_name(m.runs[#m.runs]) .. ".html"
end

--- Gather the model of the last n rows of the log at path. Returns model, loc or nil, message.
function M.gather(path, n)
  local window = require "cx.logs.window"
  local loc, err = window.locate(path, n)
  if not loc then return nil, err end
  local m = collect.new()
  local line = 0
  local rows
  rows, err = window.each(loc, function(row)
    line = line + 1
    collect.add(m, row, line)
  end)
  if not rows then return nil, err end
  return collect.finish(m), loc
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  if #opts.extra > 0 then
    io.stderr:write("cx report: unexpected argument '", opts.extra[1], "'\nRun 'cx report --help' for usage.\n")
    return 2
  end
  if opts.json and opts.out == "-" then
    io.stderr:write("cx report: --json and --out - both write to stdout; give one\nRun 'cx report --help' for usage.\n")
    return 2
  end
  local log = opts.log
  if not log then
    local p, err = require("cx.paths").resolve()
    if not p then return fail("no run log: " .. tostring(err) .. " (use --log PATH)") end
    log = p.log_file
  end
  local m, loc = M.gather(log, opts.window)
  if not m then return fail("cannot read the run log " .. log .. ": " .. tostring(loc)) end
  if not loc.exists then return fail("no run log at " .. log) end
  if m.rows == 0 then return fail("the run log " .. log .. " has no rows to report on") end
  local fwin = math.min(opts.window, M.FINDINGS_WINDOW)
  local f = diag_findings(fwin, opts.log)
  local page = html.render(m, f, {
    log_file = log,
    window = opts.window,
    generated = os.date("!%Y-%m-%dT%H:%M:%SZ"),
    version = core.version,
  })
  page = redacted(page)
  local out = opts.out
  if not out then
    local err
    out, err = default_out(m)
    if not out then return fail("no place for the report: " .. tostring(err) .. " (use --out FILE)") end
  end
  if out == "-" then
    io.stdout:write(page)
    return 0
  end
  local ok, err = core.fs.write_atomic(out, page, { mkdirs = true }) -- never through a symlink under .codex/
  if not ok then return fail("cannot write " .. out .. ": " .. tostring(err)) end
  if opts.json then
    local binned = 0
    for _, name in ipairs(m.lane_names) do
      if m.lane_count[name] > html.MAX_BARS_PER_LANE then binned = binned + 1 end
    end
    local doc = {
      contract_version = M.CONTRACT,
      out = out,
      bytes = #page,
      log_file = log,
      window = opts.window,
      rows = m.rows,
      attempts = m.attempts,
      lanes = json.array(m.lane_names),
      binned_lanes = binned,
      outcomes = m.totals,
      runs = json.array(m.runs),
      quarantined = m.quarantined_count,
      retry = m.retry,
      severity = f.severity or json.null,
      findings = #(f.findings or {}),
      findings_window = fwin,
      diag_error = f.error or json.null,
    }
    io.stdout:write(redacted(json.pretty(doc)), "\n")
  else
    io.stdout:write(out, "\n")
  end
  return 0
end

return M
