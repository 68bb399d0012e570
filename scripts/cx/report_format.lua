--- CI report formats: GitHub Actions workflow annotations and JUnit XML, rendered from one plain
--- shape any gate can build (diag, scheduler, optimize, policy run; logs validate can map its
--- issues to it too). Pure: tables in, text out. docs/ci.md shows the output.
---
--- report = {
---   suite = "cx diag",                 -- the test suite / annotation title prefix
---   file = "/repo/.codex/cxlogs/runs.jsonl" | nil,  -- what line numbers refer to
---   checks = { {                       -- one per rule (JUnit: one testcase each)
---       id = "queue_p95_high",
---       status = "fail" | "pass" | "skip",
---       severity = "ok" | "warning" | "critical",
---       message = "one line",          -- why it failed (or what it noted)
---       line = 12 | nil,               -- the first evidence row's log line
---       details = "text" | nil,        -- evidence: lines and execution ids
---       group = "scheduler" | nil,     -- JUnit classname suffix (e.g. the policy)
---   } },
---   notes = { { id = "gate" | nil, level = "error" | "warning" | "notice", message = "..." } },
---                                      -- not tied to a rule (JUnit: a failing testcase when error)
--- }
local fmt = {}

local LEVEL = { critical = "error", warning = "warning", ok = "notice" }

local function one_line(s)
  return (tostring(s or ""):gsub("[%c]", " "))
end

-- GitHub workflow command escaping: data escapes % CR LF; property values also : and ,.
local function gh_data(s)
  return (tostring(s):gsub("%%", "%%25"):gsub("\r", "%%0D"):gsub("\n", "%%0A"))
end

local function gh_prop(s)
  return (gh_data(s):gsub(":", "%%3A"):gsub(",", "%%2C"))
end

--- A path relative to cwd when it lies inside it (annotations link repository files).
function fmt.relative(path, cwd)
  if not path or not cwd or cwd == "" then return path end
  local prefix = cwd:sub(-1) == "/" and cwd or cwd .. "/"
  if path:sub(1, #prefix) == prefix then return path:sub(#prefix + 1) end
  return path
end

--- GitHub Actions annotations: `::error|warning|notice file=...,line=...,title=...::message`, one
--- line per failing check, per check marked `noted` (a finding below the gate's floor) and per
--- note; the level follows the severity (critical error, warning warning, ok notice).
function fmt.github(report, cwd)
  local out = {}
  local file = fmt.relative(report.file, cwd)
  for _, c in ipairs(report.checks or {}) do
    if c.status == "fail" or c.noted then
      local props = {}
      if file then props[#props + 1] = "file=" .. gh_prop(file) end
      if c.line then props[#props + 1] = "line=" .. math.tointeger(c.line) end
      props[#props + 1] = "title=" .. gh_prop(report.suite .. ": " .. c.id)
      local text = one_line(c.message)
      if c.details and c.details ~= "" then text = text .. " (" .. one_line(c.details) .. ")" end
      out[#out + 1] = string.format("::%s %s::%s", LEVEL[c.severity] or "warning", table.concat(props, ","),
        gh_data(text))
    end
  end
  for _, n in ipairs(report.notes or {}) do
    out[#out + 1] = string.format("::%s title=%s::%s", n.level or "notice", gh_prop(report.suite),
      gh_data(one_line(n.message)))
  end
  return #out > 0 and table.concat(out, "\n") .. "\n" or ""
end

-- XML text: the five entities escaped, characters XML 1.0 cannot hold dropped.
local function xml(s)
  s = tostring(s or ""):gsub("[%z\1-\8\11\12\14-\31\127]", "")
  return (s:gsub("&", "&amp;"):gsub("<", "&lt;"):gsub(">", "&gt;"):gsub('"', "&quot;"):gsub("'", "&apos;"))
end

--- JUnit XML: one <testsuite> named report.suite, one <testcase> per check (failures as
--- <failure type="<severity>">, skipped ones as <skipped/>), notes of level error as a failing
--- testcase named after the note.
function fmt.junit(report)
  local cases, failures, skipped = {}, 0, 0
  local function case(class, name, body)
    cases[#cases + 1] = string.format('    <testcase classname="%s" name="%s">%s</testcase>', xml(class), xml(name),
      body or "")
  end
  for _, c in ipairs(report.checks or {}) do
    local class = report.suite .. (c.group and ("." .. c.group) or "")
    if c.status == "fail" then
      failures = failures + 1
      local where = c.line and (" (log line " .. math.tointeger(c.line) .. ")") or ""
      case(class, c.id, string.format('\n      <failure type="%s" message="%s">%s</failure>\n    ',
        xml(c.severity), xml(one_line(c.message) .. where), xml(c.details or c.message)))
    elseif c.status == "skip" then
      skipped = skipped + 1
      case(class, c.id, string.format('<skipped message="%s"/>', xml(c.message or "disabled")))
    elseif c.message then
      case(class, c.id, string.format("<system-out>%s</system-out>", xml(c.message)))
    else
      case(class, c.id)
    end
  end
  for i, n in ipairs(report.notes or {}) do
    if n.level == "error" then
      failures = failures + 1
      case(report.suite, n.id or ("note_" .. i), string.format('\n      <failure type="error" message="%s"/>\n    ',
        xml(one_line(n.message))))
    end
  end
  local head = string.format('<?xml version="1.0" encoding="UTF-8"?>\n' ..
    '<testsuites name="cx" tests="%d" failures="%d" errors="0" skipped="%d">\n' ..
    '  <testsuite name="%s" tests="%d" failures="%d" errors="0" skipped="%d">',
    #cases, failures, skipped, xml(report.suite), #cases, failures, skipped)
  local body = #cases > 0 and "\n" .. table.concat(cases, "\n") or ""
  return head .. body .. "\n  </testsuite>\n</testsuites>\n"
end

--- The evidence of a finding as one line: "lines 12, 13; execution ids e-1, e-2 (+3 more)".
function fmt.evidence_text(finding)
  local lines, ids = {}, {}
  for _, e in ipairs(finding.evidence or {}) do
    if math.type(e.line) == "integer" then lines[#lines + 1] = tostring(e.line) end
    if type(e.execution_id) == "string" then ids[#ids + 1] = e.execution_id end
  end
  local parts = {}
  if #lines > 0 then parts[#parts + 1] = "log lines " .. table.concat(lines, ", ") end
  if #ids > 0 then parts[#parts + 1] = "execution ids " .. table.concat(ids, ", ") end
  local shown = #(finding.evidence or {})
  local total = finding.evidence_count or shown
  local text = table.concat(parts, "; ")
  if total > shown then text = text .. string.format(" (+%d more)", total - shown) end
  return text
end

local RANK = { ok = 0, warning = 1, critical = 2 }

--- Checks from a cx.policy_rules result: every rule (disabled ones skipped), failing when it
--- fired with a severity at or above `floor` ("warning" by default); fired rules below the floor
--- (and severity-ok ones, like optimize's recommendations) pass with their message.
function fmt.checks_from_rules(result, floor)
  local fired = {}
  for _, f in ipairs(result.findings or {}) do fired[f.id] = f end
  local checks = {}
  for _, r in ipairs(result.rules or {}) do
    local f = fired[r.id]
    local group = r.policy and r.policy:match("([^/]+)%.lua$")
    if r.disabled then
      checks[#checks + 1] = { id = r.id, status = "skip", severity = r.severity, message = "disabled", group = group }
    elseif f then
      local failing = RANK[f.severity] > 0 and RANK[f.severity] >= RANK[floor or "warning"]
      local first = f.evidence and f.evidence[1]
      checks[#checks + 1] = {
        id = r.id,
        status = failing and "fail" or "pass",
        severity = f.severity,
        message = f.message or f.reason,
        line = first and first.line or nil,
        details = fmt.evidence_text(f),
        group = group,
        noted = true,
      }
    else
      checks[#checks + 1] = { id = r.id, status = "pass", severity = "ok", group = group }
    end
  end
  return checks
end

return fmt
