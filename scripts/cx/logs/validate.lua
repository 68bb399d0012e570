--- `logs validate`: check every line of a run log against the row contract (cx.log_contract) and
--- name each defect at its line: a finding is {file, line, class, field, message, severity}.
--- Classes (docs/logs.md): invalid_encoding, invalid_json, torn_line, not_object, missing_required,
--- wrong_type, null_not_allowed, invalid_value, inconsistent (errors) and duplicate_execution_id
--- (a warning; so is torn_line for a complete last row without its newline).
---
--- The work is native (cx.core.logcheck): the file is checked in blocks on every core and the
--- findings come back in line order, one at a time, so memory stays bounded whatever the size of
--- the log or the number of findings. The counters and the status follow the reference.
local core = require "cx.core"
local contract = require "cx.log_contract"

local validate = {}

validate.CONTRACT_VERSION = "logs_validate.v2"

--- The finding classes in summary order.
validate.CLASSES = core.logcheck.classes()

local native -- the prepared contract, one per process

--- The native contract object (cx.core.logcheck.contract over cx.log_contract).
function validate.contract()
  native = native or core.logcheck.contract(contract.native_spec())
  return native
end

--- Start validating path. opts: legacy_ok (bool), keep_per_class (0 = every finding), threads,
--- block_size, split_seed (tests). Returns a run (see run:next, run:summary, run:close), or nil,
--- message, class ("not_found" when the file does not exist).
function validate.open(path, opts)
  opts = opts or {}
  local v, err, class = validate.contract():validate(path, {
    legacy_ok = opts.legacy_ok and true or false,
    keep_per_class = opts.keep_per_class or 0,
    threads = opts.threads,
    block_size = opts.block_size,
    split_seed = opts.split_seed,
  })
  if not v then return nil, err, class end
  local run = { path = path, legacy_ok = opts.legacy_ok and true or false, native = v }

  --- The next finding in line order, nil at the end, or nil, message after a read error.
  function run:next()
    local line, klass, severity, field, message = self.native:next()
    if not line then return nil, klass end
    return { file = self.path, line = line, class = klass, severity = severity, field = field,
      message = message }
  end

  --- The counters (final once next returned nil) and the status.
  function run:summary()
    local s = self.native:summary()
    s.status = validate.status(s, self.legacy_ok)
    return s
  end

  function run:close()
    self.native:close()
  end

  return run
end

--- The reference's verdict: ok without errors; ok_with_warnings when the only errors are of the
--- lenient kinds in legacy mode (no line that fails to parse); otherwise fail. Warnings (repeated
--- execution ids, a complete last row without its newline) never change it.
function validate.status(s, legacy_ok)
  if s.issue_count == 0 then return "ok" end
  if legacy_ok and s.invalid_json_entries == 0 then return "ok_with_warnings" end
  return "fail"
end

--- Validate a whole file and collect the findings (tests and small logs; the command streams).
--- Returns {findings = {...}, summary = {...}} or nil, message, class.
function validate.file(path, opts)
  local run, err, class = validate.open(path, opts)
  if not run then return nil, err, class end
  local findings = {}
  while true do
    local f, ferr = run:next()
    if not f then
      if ferr then
        run:close()
        return nil, ferr, "io"
      end
      break
    end
    findings[#findings + 1] = f
  end
  local summary = run:summary()
  run:close()
  return { findings = findings, summary = summary }
end

--- One finding as a text line: `file:line: class: field: message` (field `-` when none). The
--- message is already free of control bytes; the file name is escaped here.
function validate.format(f)
  return string.format("%s:%d: %s: %s: %s", core.logcheck.escape(f.file), f.line, f.class,
    f.field or "-", f.message)
end

return validate
