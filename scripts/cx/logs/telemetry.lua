--- The `logs stats` / `telemetry` document: the reference's telemetry.v1 keys (cx.logs.stats) and
--- the telemetry quality blocks (cx.logs.quality), computed in ONE streamed pass over the window
--- and one evaluation of the telemetry policy. Memory stays bounded whatever the window.
local stats = require "cx.logs.stats"
local quality = require "cx.logs.quality"
local window = require "cx.logs.window"

local telemetry = {}

--- The report over the last n rows of the log at path. opts.rules: cx.policy_rules options
--- (policies_dir, file ...). Returns doc, result (the policy evaluation; nil when the log does not
--- exist), loc {exists, count, start}; or nil, message, class (io, or the policy's class).
function telemetry.file(path, n, opts)
  opts = opts or {}
  local loc, err = window.locate(path, n)
  if not loc then return nil, err, "io" end
  local st = stats.new(loc.count, path)
  local acc = quality.new(loc.count)
  local base = quality.first_line(path, loc.start)
  local rows, rerr = window.each(loc, function(row, offset, lineno, shape)
    stats.add(st, row, shape)
    quality.add(acc, row, offset, base and base + lineno - 1, shape)
  end, { shape = true })
  if not rows then return nil, rerr, "io" end
  local doc = stats.finish(st)
  if not loc.exists then return doc, nil, loc end
  local result, perr, class = quality.evaluate(acc, { window = n, log_file = path }, opts.rules)
  if not result then return nil, perr, class end
  for k, v in pairs(quality.report(acc, result)) do doc[k] = v end
  return doc, result, loc
end

return telemetry
