--- Test helper any package can call: "this run log validates clean" — `cx logs validate --strict`
--- finds no error in it (warnings, such as a repeated execution_id of the earlier implementation,
--- are allowed unless opts.no_warnings). On failure the assertion lists every finding.
---
---   local log_valid = require "helpers.log_valid"
---   log_valid.assert_clean(repo .. "/.codex/cxlogs/runs.jsonl")
---   log_valid.assert_repo_clean(repo)            -- the same for a repository's run log
local validate = require "cx.logs.validate"

local M = {}

--- The findings and summary of path, in strict mode unless opts.legacy_ok.
function M.check(path, opts)
  opts = opts or {}
  local report, err = validate.file(path, { legacy_ok = opts.legacy_ok or false })
  assert(report, "cannot validate " .. path .. ": " .. tostring(err))
  return report
end

local function describe_findings(report)
  local lines = {}
  for _, f in ipairs(report.findings) do lines[#lines + 1] = validate.format(f) end
  return table.concat(lines, "\n")
end

--- Asserts that path validates clean; returns the report ({findings, summary}).
function M.assert_clean(path, opts)
  opts = opts or {}
  local report = M.check(path, opts)
  local s = report.summary
  local bad = s.issue_count > 0 or (opts.no_warnings and s.warning_count > 0)
  assert(not bad, string.format("%s does not validate clean (%d errors, %d warnings):\n%s", path,
    s.issue_count, s.warning_count, describe_findings(report)))
  assert(s.entries_scanned > 0 or opts.allow_empty, path .. " holds no rows")
  return report
end

--- Asserts that a repository's run log (.codex/cxlogs/runs.jsonl) validates clean.
function M.assert_repo_clean(repo, opts)
  return M.assert_clean(repo .. "/.codex/cxlogs/runs.jsonl", opts)
end

return M
