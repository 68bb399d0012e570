--- `logs validate`: check every line of a run log against the row contract, streaming (constant
--- memory whatever the file size). Issue classes: read_error (invalid UTF-8), invalid_json, torn
--- (the JSON ends inside a value: a row cut short; also counted as invalid JSON), not_object,
--- missing_required_field, missing_legacy_field. Messages follow the reference's shapes.
local core = require "cx.core"
local json = require "cx.json"
local contract = require "cx.log_contract"

-- Lines are checked by the native scanner (cx.core.logcheck): no tree is built, so a whole log
-- validates at close to read speed; its parse messages follow the reference parser's wording.

local validate = {}

validate.CONTRACT_VERSION = "logs_validate.v1"
validate.KEPT_ISSUES = 200 -- issues kept for the report; all are counted

--- A fresh validation state. opts: log_file (for messages), legacy_ok (bool).
function validate.new(opts)
  return {
    log_file = opts.log_file or "",
    legacy_ok = opts.legacy_ok and true or false,
    entries_scanned = 0,
    legacy_entries = 0,
    corrupted_entries = 0,
    issue_count = 0,
    invalid_json_entries = 0,
    torn_entries = 0,
    issues = {},
    last_corrupted_line = nil,
  }
end

local function add_issue(st, lineno, class, message)
  st.issue_count = st.issue_count + 1
  if st.last_corrupted_line ~= lineno then
    st.corrupted_entries = st.corrupted_entries + 1
    st.last_corrupted_line = lineno
  end
  if #st.issues < validate.KEPT_ISSUES then
    st.issues[#st.issues + 1] = { line = lineno, class = class, message = message }
  end
end

local function preview(text, chars)
  local cut = utf8.offset(text, chars + 1)
  if cut then return text:sub(1, cut - 1) end
  return text
end

-- The keys the native checker looks up: the strict list, then the legacy names it lacks.
local WATCHED = {}
local BIT = {}
for _, k in ipairs(contract.STRICT_KEYS) do WATCHED[#WATCHED + 1] = k end
for _, pair in ipairs(contract.LEGACY_PAIRS) do
  for _, k in ipairs(pair) do
    local known = false
    for _, w in ipairs(WATCHED) do known = known or w == k end
    if not known then WATCHED[#WATCHED + 1] = k end
  end
end
for i, k in ipairs(WATCHED) do BIT[k] = 1 << (i - 1) end
local MODERN = BIT.execution_id | BIT.timestamp
local ALL_STRICT = 0
for _, k in ipairs(contract.STRICT_KEYS) do ALL_STRICT = ALL_STRICT | BIT[k] end

local checker -- created on first use (one per process)

local function has(present, key)
  return present & BIT[key] ~= 0
end

--- Check one physical line (1-based lineno). torn: the reader saw no newline after it.
function validate.line(st, lineno, text, torn)
  checker = checker or core.logcheck.new(WATCHED)
  local kind, present, message, truncated = checker:check(text)
  if kind == "blank" then return end
  if kind == "read_error" then
    add_issue(st, lineno, "read_error", string.format("line %d: read error: %s", lineno, message))
    return
  end
  st.entries_scanned = st.entries_scanned + 1
  if kind == "invalid_json" then
    st.invalid_json_entries = st.invalid_json_entries + 1
    local class = "invalid_json"
    if truncated or torn then
      st.torn_entries = st.torn_entries + 1
      class = "torn"
    end
    add_issue(st, lineno, class, string.format("failed to parse json line %d in %s (preview='%s'): %s",
      lineno, st.log_file, preview(text, 160), message))
    return
  end
  if kind == "not_object" then
    add_issue(st, lineno, "not_object", string.format("line %d: json is not an object", lineno))
    return
  end
  local modern = present & MODERN == MODERN
  if (not st.legacy_ok or modern) and present & ALL_STRICT ~= ALL_STRICT then
    for _, k in ipairs(contract.STRICT_KEYS) do
      if not has(present, k) then
        add_issue(st, lineno, "missing_required_field",
          string.format("line %d: missing required field '%s'", lineno, k))
      end
    end
  end
  if st.legacy_ok and not modern then
    local complete = true
    for _, pair in ipairs(contract.LEGACY_PAIRS) do
      if not has(present, pair[1]) and not has(present, pair[2]) then
        complete = false
        add_issue(st, lineno, "missing_legacy_field", string.format(
          "line %d: missing legacy field '%s' (or '%s')", lineno, pair[1], pair[2]))
      end
    end
    if complete then st.legacy_entries = st.legacy_entries + 1 end
  end
end

--- The report: counters, status ("ok", "ok_with_warnings", "fail") and the kept issues.
function validate.result(st)
  local status
  if st.issue_count == 0 then
    status = "ok"
  elseif st.legacy_ok and st.invalid_json_entries == 0 then
    status = "ok_with_warnings"
  else
    status = "fail"
  end
  return {
    contract_version = validate.CONTRACT_VERSION,
    log_file = st.log_file,
    entries_scanned = st.entries_scanned,
    legacy_ok = st.legacy_ok,
    legacy_entries = st.legacy_entries,
    corrupted_entries = st.corrupted_entries,
    issue_count = st.issue_count,
    invalid_json_entries = st.invalid_json_entries,
    torn_entries = st.torn_entries,
    status = status,
    issues = json.array(st.issues),
  }
end

--- Validate a whole file with the native line reader. Returns the report, or nil, message, class
--- ("not_found" when the file does not exist).
function validate.file(path, opts)
  local native = core.runlog
  if not native then return nil, "run log reader unavailable", "io" end
  local step, box, init, closing = native.lines(path)
  if not step then return nil, box, init end
  local st = validate.new({ log_file = path, legacy_ok = opts.legacy_ok })
  local ok, ierr = pcall(function()
    for lineno, text, torn in step, box, init, closing do
      validate.line(st, lineno, text, torn)
    end
  end)
  if not ok then return nil, tostring(ierr), "io" end
  return validate.result(st)
end

return validate
