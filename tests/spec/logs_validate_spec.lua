-- `cx logs validate` end to end: the reference's worked examples, the finding classes at their
-- lines (the broken-log corpus in tests/fixtures/logs), defects nobody wrote on purpose (rows cut
-- at every byte, other encodings, random bytes), logs of the earlier implementation, and the same
-- findings whatever the threads and block cuts.
local h = require "helpers.cli"
local json = require "cx.json"
local contract = require "cx.log_contract"
local validate = require "cx.logs.validate"
local rr = require "helpers.reference_rows"
local log_valid = require "helpers.log_valid"

local SIX_KEYS = '{"execution_id":"e1","timestamp":"2026-03-05T14:15:02Z","command":"cxo",' ..
  '"backend_used":"codex","capture_provider":null,"execution_mode":"lean"}'
local CORPUS = h.root .. "/tests/fixtures/logs/"
local EXPECTED = dofile(CORPUS .. "expected.lua")

local function strict_row()
  local t = {}
  for _, k in ipairs(contract.STRICT_KEYS) do t[k] = json.null end
  t.execution_id, t.timestamp, t.command = "e", "2026-03-05T14:15:02Z", "cxo"
  return json.encode(t)
end

local function count(s, pat)
  local n = 0
  for _ in s:gmatch(pat) do n = n + 1 end
  return n
end

local function lit(s) return (s:gsub("%p", "%%%0")) end

-- "line class field" for each finding, in order.
local function keys_of(findings)
  local out = {}
  for _, f in ipairs(findings) do
    local field = f.field ~= json.null and f.field or "-"
    out[#out + 1] = f.line .. " " .. f.class .. " " .. field
  end
  return out
end

describe("cx logs validate", function()
  local repo, log
  before_each(function()
    repo = h.tmprepo()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/cxlogs"))
    log = repo .. "/.codex/cxlogs/runs.jsonl"
  end)
  after_each(function() h.rm(repo) end)

  local function cx(args, env)
    local e = { HOME = repo }
    for k, v in pairs(env or {}) do e[k] = v end
    return h.cx(args, { cwd = repo, env = e })
  end

  it("a modern row with 6 keys: 27 issues, ok_with_warnings; --strict fails", function()
    h.write(log, SIX_KEYS .. "\n")
    local r = cx({ "logs" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("^== cx logs validate ==\nlog_file: " .. lit(log) .. "\n"))
    assert.truthy(r.stdout:find("\nentries_scanned: 1\nlegacy_ok: true\nlegacy_entries: 0\ncorrupted_entries: 1\n" ..
      "issue_count: 27\ninvalid_json_entries: 0\nwarning_count: 0\n", 1, true))
    assert.truthy(r.stdout:find("\n" .. log .. ":1: missing_required: adapter_type: missing required field " ..
      "'adapter_type'\n", 1, true))
    assert.equal(20, count(r.stdout, "\n[^\n]*:1: missing_required: "))
    local tail = "findings: 27 errors, 0 warnings\n- missing_required: 27 (first 20 shown)\nstatus: ok_with_warnings\n"
    assert.equal(tail, r.stdout:sub(-#tail))
    r = cx({ "logs", "validate", "--strict" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find("issue_count: 27\n", 1, true))
    assert.truthy(r.stdout:find("legacy_ok: false\ncorrupted_entries", 1, true))
    assert.falsy(r.stdout:find("\nstatus:", 1, true))
    -- --strict --legacy-ok is legacy mode
    assert.equal(0, cx({ "logs", "validate", "--strict", "--legacy-ok" }).code)
  end)

  it("appending {\"bad\":1}: default passes with 3 legacy issues, --strict fails with 33 more", function()
    h.write(log, strict_row() .. "\n" .. '{"bad":1}\n')
    local r = cx({ "logs", "validate" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("issue_count: 3\n", 1, true))
    assert.truthy(r.stdout:find(":2: missing_required: ts: missing legacy field 'ts' (or 'timestamp')\n", 1, true))
    assert.truthy(r.stdout:find(":2: missing_required: tool: missing legacy field 'tool' (or 'command')\n", 1, true))
    assert.truthy(r.stdout:find(":2: missing_required: repo_root: missing legacy field 'repo_root' (or 'repo_root')\n",
      1, true))
    assert.truthy(r.stdout:find("status: ok_with_warnings", 1, true))
    r = cx({ "logs", "validate", "--strict" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find("issue_count: 33\n", 1, true))
  end)

  it("a row with exactly the 33 strict keys (nulls allowed) passes --strict", function()
    h.write(log, strict_row() .. "\n")
    local r = cx({ "logs", "validate", "--strict" })
    assert.equal(0, r.code)
    local tail = "\nissue_count: 0\ninvalid_json_entries: 0\nwarning_count: 0\nstatus: ok\n"
    assert.equal(tail, r.stdout:sub(-#tail))
  end)

  it("counts legacy rows, skips blank lines, keeps physical line numbers", function()
    h.write(log, '{"ts":"2026-02-20T10:00:00Z","tool":"cx","repo_root":""}\n\n   \n' ..
      '{"timestamp":"2026-02-20T10:00:01Z","command":"c","repo_root":"/r"}\n{"tool":1,"ts":"t","repo_root":""}\n')
    local r = cx({ "logs" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("entries_scanned: 3\nlegacy_ok: true\nlegacy_entries: 3\n", 1, true))
    assert.truthy(r.stdout:find(":5: wrong_type: tool: expected a string, got a number 1\n", 1, true))
    assert.truthy(r.stdout:find(":5: invalid_value: ts: 't' is not an RFC 3339 timestamp", 1, true))
    assert.truthy(r.stdout:find("status: ok_with_warnings\n", 1, true))
  end)

  it("--json: every finding with file, line, class, field, message, severity; counters; status", function()
    h.write(log, strict_row() .. "\n" .. "not json\n" .. "[1,2]\n" .. "\255\254\n" ..
      '{"execution_id":"x","timest\n' .. strict_row() .. "\n" .. '{"a":tru')
    local r = cx({ "logs", "--json" })
    assert.equal(1, r.code, r.stderr)
    local d = json.decode(r.stdout)
    assert.equal("logs_validate.v2", d.contract_version)
    assert.equal(log, d.log_file)
    assert.is_false(d.strict)
    assert.is_true(d.legacy_ok)
    assert.equal(6, d.entries_scanned) -- the bad UTF-8 line is not scanned
    assert.equal(3, d.invalid_json_entries)
    assert.equal(2, d.torn_entries)
    assert.equal(5, d.corrupted_entries) -- lines 2, 3, 4, 5 and 7
    assert.equal(5, d.issue_count)
    assert.equal(1, d.warning_count) -- line 6 repeats line 1's execution_id
    assert.equal(7, d.lines)
    assert.equal("fail", d.status)
    assert.equal(0, d.legacy_entries)
    assert.same({ "2 invalid_json -", "3 not_object -", "4 invalid_encoding -", "5 torn_line -",
      "6 duplicate_execution_id execution_id", "7 torn_line -" }, keys_of(d.findings))
    for _, f in ipairs(d.findings) do
      assert.equal(log, f.file)
      assert.equal(f.class == "duplicate_execution_id" and "warning" or "error", f.severity)
      assert.equal("string", type(f.message))
    end
    assert.equal(json.null, d.findings[1].field)
    assert.equal("expected ident at line 1 column 2 (preview='not json')", d.findings[1].message)
    assert.equal("json is not an object (an array)", d.findings[2].message)
    assert.matches("^stream did not contain valid UTF%-8 %(a UTF%-16 byte%-order mark FF FE", d.findings[3].message)
    assert.matches("^a row cut short, then a complete row on the next line: EOF while parsing a string",
      d.findings[4].message)
    assert.matches("^the last line ends inside a row", d.findings[6].message)
    assert.equal(1, d.classes.not_object)
    assert.equal(0, d.classes.wrong_type)
    -- text mode: the same verdict, no status line on failure
    r = cx({ "logs" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find("invalid_json_entries: 3\n", 1, true))
    assert.falsy(r.stdout:find("\nstatus:", 1, true))
  end)

  it("previews at most 160 characters; text output carries no control byte from the data", function()
    h.write(log, ("x"):rep(300) .. "\n" .. '{"a":"\27[31m\0\7' .. "\n" .. '["\27]0;pwned\7"]\n')
    local d = json.decode(cx({ "logs", "--json" }).stdout)
    assert.truthy(d.findings[1].message:find("(preview='" .. ("x"):rep(160) .. "')", 1, true))
    local r = cx({ "logs" })
    assert.falsy(r.stdout:find("[%z\1-\9\11-\31\127]"), "a control byte reached the terminal")
    assert.truthy(r.stdout:find("preview='{\"a\":\"\\x1b[31m\\x00\\x07')", 1, true))
  end)

  it("lists every finding in --json and the first 20 of each class in text", function()
    local lines = {}
    for _ = 1, 10 do lines[#lines + 1] = SIX_KEYS end
    h.write(log, table.concat(lines, "\n") .. "\n")
    local d = json.decode(cx({ "logs", "validate", "--strict", "--json" }).stdout)
    assert.equal(270, d.issue_count)
    assert.equal(270, #d.findings - d.warning_count)
    assert.equal(9, d.warning_count) -- the same execution_id ten times
    assert.equal(10, d.corrupted_entries)
    local r = cx({ "logs", "validate", "--strict" })
    assert.equal(20, count(r.stdout, ": missing_required: "))
    assert.equal(9, count(r.stdout, ": duplicate_execution_id: "))
    assert.truthy(r.stdout:find("\n- missing_required: 270 (first 20 shown)\n- duplicate_execution_id: 9\n", 1, true))
  end)

  it("a missing log: message on stdout, exit 0; under --strict a failure", function()
    local r = cx({ "logs", "validate" })
    assert.equal(0, r.code)
    assert.equal("cx logs validate: no log file at " .. log .. "\n", r.stdout)
    r = cx({ "logs", "validate", "--json" })
    assert.equal(0, r.code)
    assert.equal("no_log_file", json.decode(r.stdout).status)
    r = cx({ "logs", "validate", "--strict" })
    assert.equal(1, r.code)
    assert.equal("cx logs validate: no log file at " .. log .. "\n", r.stderr)
    assert.equal(1, cx({ "logs", "validate", "--strict", "--json" }).code)
  end)

  it("an empty log passes, except under --strict", function()
    h.write(log, "\n  \n")
    local r = cx({ "logs", "validate" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("status: ok\n", 1, true))
    r = cx({ "logs", "validate", "--strict" })
    assert.equal(1, r.code)
    assert.equal("cx logs validate: " .. log .. " holds no rows\n", r.stderr)
  end)

  it("--log PATH validates another file, inside a repository or not", function()
    local other = repo .. "/other.jsonl"
    h.write(other, strict_row() .. "\n")
    local r = cx({ "logs", "validate", "--strict", "--log", other })
    assert.equal(0, r.code, r.stdout)
    assert.truthy(r.stdout:find("log_file: " .. other .. "\n", 1, true))
    local dir = h.tmpdir()
    r = h.cx({ "logs", "validate", "--log=" .. other, "--json" }, { cwd = dir, env = { HOME = false } })
    assert.equal(0, r.code, r.stderr)
    assert.equal(other, json.decode(r.stdout).log_file)
    h.rm(dir)
  end)

  it("usage errors exit 2 naming the argument", function()
    local r = cx({ "logs", "validate", "--fix" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("'--fix'", 1, true))
    r = cx({ "logs", "validate", "--log" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("--log needs a PATH", 1, true))
    r = cx({ "logs", "frobnicate" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("unknown subcommand 'frobnicate'", 1, true))
  end)

  it("refuses what is not a regular file at the log's path, naming it", function()
    os.execute("mkdir " .. h.quote(log))
    local r = cx({ "logs", "validate" })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find(log, 1, true))
  end)

  it("validates what cx.runlog writes, in strict mode", function()
    local code = "local runlog = require('cx.runlog'); assert(runlog.append(runlog.row('cxo', {}))); " ..
      "assert(runlog.append(runlog.row('cxrs_next', { schema_valid = false }))); return true"
    local sub = require "helpers.sub"
    local ok, res = sub.lua(code, { HOME = repo }, repo)
    assert.is_true(ok, res.stderr)
    local r = cx({ "logs", "validate", "--strict" })
    assert.equal(0, r.code, r.stdout)
    assert.truthy(r.stdout:find("entries_scanned: 2\n", 1, true))
    log_valid.assert_repo_clean(repo, { no_warnings = true })
  end)

  -- issue 12 item 5: optimize skipped such a row as mistyped while validate --strict passed it
  it("a negative or non-finite number fails --strict as invalid_value; what passes, optimize reads", function()
    h.write(log, strict_row() .. "\n" .. (strict_row():gsub('"queue_ms":null', '"queue_ms":-1.7e308')
      :gsub('"execution_id":"e"', '"execution_id":"f"')) .. "\n")
    -- strict_row has no queue_ms (not a strict key): add it
    local t = json.decode(strict_row())
    t.execution_id = "g"
    local text = json.encode(t):gsub("}$", ',"queue_ms":-1.7e308}')
    h.write(log, strict_row() .. "\n" .. text .. "\n")
    local r = cx({ "logs", "validate", "--strict" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find(":2: invalid_value: queue_ms: negative value -1.7e308 (expected a " ..
      "non-negative integer)\n", 1, true))
    -- every row the strict check passes is one optimize's typed reader keeps
    local fields = require "cx.diag.fields"
    for _, row in ipairs(rr.rust_era()) do assert.is_true((fields.typed_ok(row))) end
    assert.is_false((fields.typed_ok(json.decode(text))))
  end)

  describe("the broken-log corpus (tests/fixtures/logs)", function()
    for name, want in pairs(EXPECTED) do
      it(name .. ": each defect at its line, in --json and in text", function()
        local file = CORPUS .. name
        local args = { "logs", "validate", "--json", "--log", file }
        if want.mode == "strict" then table.insert(args, 3, "--strict") end
        local r = cx(args)
        local d = json.decode(r.stdout)
        assert.is_table(d, r.stderr)
        local expect = {}
        for _, f in ipairs(want.findings) do expect[#expect + 1] = f[1] .. " " .. f[2] .. " " .. (f[3] or "-") end
        assert.same(expect, keys_of(d.findings))
        table.remove(args, want.mode == "strict" and 4 or 3) -- text mode
        r = cx(args)
        for _, f in ipairs(want.findings) do
          local prefix = string.format("%s:%d: %s: %s: ", file, f[1], f[2], f[3] or "-")
          assert.truthy(r.stdout:find("\n" .. prefix, 1, true), prefix)
        end
        assert.falsy(r.stdout:find("[%z\1-\9\11-\31\127]"), "a control byte reached the terminal")
      end)
    end
  end)

  describe("logs of the earlier implementation", function()
    it("the Rust era's rows of every tool validate clean under --strict", function()
      h.write(log, rr.lines(rr.rust_era()))
      local r = cx({ "logs", "validate", "--strict" })
      assert.equal(0, r.code, r.stdout)
      assert.truthy(r.stdout:find("status: ok\n", 1, true))
      -- the schema failure's two rows share an id: a warning, not a failure
      local report = log_valid.assert_repo_clean(repo)
      assert.same({ "7 duplicate_execution_id execution_id" }, keys_of(report.findings))
      -- and the exact on-disk example
      h.write(log, rr.EXAMPLE .. "\n")
      log_valid.assert_repo_clean(repo, { no_warnings = true })
    end)

    it("the bash era's legacy rows are complete in legacy mode and miss only strict keys in strict mode", function()
      h.write(log, rr.lines(rr.bash_era()))
      local r = cx({ "logs", "validate", "--legacy-ok", "--strict" })
      assert.equal(0, r.code, r.stdout)
      assert.truthy(r.stdout:find("legacy_entries: 3\n", 1, true))
      assert.truthy(r.stdout:find("status: ok\n", 1, true))
      local report = log_valid.check(log)
      for _, f in ipairs(report.findings) do assert.equal("missing_required", f.class) end
    end)
  end)

  describe("defects nobody wrote on purpose", function()
    local row = json.encode(rr.rust({ prompt_preview = "caf\195\169 \240\159\152\128 naïve" }))
    local other = json.encode(rr.rust({ execution_id = "20260305T141503Z_cxo_48214" }))

    it("a row cut at every byte: repaired by the next append, glued to it, or last", function()
      local repaired, glued = {}, {}
      for k = 1, #row - 1 do
        repaired[#repaired + 1] = row:sub(1, k) .. "\n" .. other
        glued[#glued + 1] = row:sub(1, k) .. other
      end
      for _, case in ipairs({ { "repaired", repaired, 2 }, { "glued", glued, 1 } }) do
        local step = case[3]
        h.write(log, table.concat(case[2], "\n") .. "\n")
        local r = cx({ "logs", "validate", "--json" }) -- the CLI: under ASan in `make asan`
        local d = json.decode(r.stdout)
        assert.is_table(d, case[1] .. ": " .. r.stderr)
        assert.equal(#row - 1, d.torn_entries, case[1])
        assert.equal(#row - 1, d.issue_count, case[1])
        for _, f in ipairs(d.findings) do
          if f.severity == "error" then
            assert.equal("torn_line", f.class, case[1] .. " line " .. f.line)
            assert.equal(step == 2 and 1 or 0, f.line % step, case[1])
          end
        end
      end
      -- the last line cut at every byte (each its own log)
      local path = repo .. "/cut.jsonl"
      for k = 1, #row do
        h.write(path, other .. "\n" .. row:sub(1, k))
        local rep = validate.file(path, { legacy_ok = false })
        local f = rep.findings[#rep.findings]
        assert.equal(2, f.line)
        assert.equal("torn_line", f.class, "cut at " .. k)
        assert.equal(k == #row and "warning" or "error", f.severity, "cut at " .. k)
      end
    end)

    it("random bytes, invalid UTF-8, NULs and CR are classified, never a crash", function()
      math.randomseed(7)
      local lines = {}
      for i = 1, 300 do
        local n = math.random(0, 120)
        local b = {}
        for j = 1, n do
          local c = math.random(0, 255)
          if c == 10 then c = 13 end
          b[j] = string.char(c)
        end
        lines[i] = i % 3 == 0 and row:sub(1, n * 10) .. table.concat(b) or table.concat(b)
      end
      h.write(log, table.concat(lines, "\n") .. "\n")
      for _, args in ipairs({ { "logs" }, { "logs", "--json" }, { "logs", "--strict" } }) do
        local r = cx(args)
        assert.equal(1, r.code, r.stderr)
        assert.equal("", r.stderr)
        assert.falsy(r.stdout:find("traceback", 1, true))
        if args[2] ~= "--json" then
          assert.falsy(r.stdout:find("[%z\1-\9\11-\31\127]"), "a control byte reached the terminal")
        else
          assert.is_table(json.decode(r.stdout))
        end
      end
    end)
  end)

  describe("blocks and threads", function()
    -- The same findings and counters whatever the threads and wherever the blocks are cut.
    local function snapshot(path, opts)
      local rep = assert(validate.file(path, opts))
      local out = {}
      for _, f in ipairs(rep.findings) do out[#out + 1] = validate.format(f) .. " " .. f.severity end
      local s = rep.summary
      out[#out + 1] = table.concat({ s.lines, s.entries_scanned, s.legacy_entries, s.corrupted_entries, s.issue_count,
        s.invalid_json_entries, s.torn_entries, s.warning_count, s.status }, " ")
      return table.concat(out, "\n")
    end

    it("gives byte-identical output to the single-threaded path on every corpus file and on random splits", function()
      h.write(log, rr.lines(rr.rust_era()) .. rr.lines(rr.bash_era()))
      local files = { log }
      for name in pairs(EXPECTED) do files[#files + 1] = CORPUS .. name end
      for _, path in ipairs(files) do
        for _, legacy in ipairs({ false, true }) do
          local want = snapshot(path, { legacy_ok = legacy, threads = 1, block_size = 1 << 24 })
          for _, o in ipairs({ { threads = 2 }, { threads = 2, block_size = 1 }, { threads = 3, block_size = 97 },
            { threads = 2, block_size = 4096, split_seed = 11 }, { threads = 4, block_size = 300, split_seed = 5 } }) do
            o.legacy_ok = legacy
            assert.equal(want, snapshot(path, o), path)
          end
        end
      end
      -- and through the command, with CX_LOGS_VALIDATE_THREADS
      h.write(log, (rr.lines(rr.rust_era())):rep(50))
      local one = cx({ "logs", "--json" }, { CX_LOGS_VALIDATE_THREADS = "1" })
      local two = cx({ "logs", "--json" }, { CX_LOGS_VALIDATE_THREADS = "2" })
      assert.equal(one.stdout, two.stdout)
    end)
  end)
end)

describe("cx logs --help", function()
  it("prints the help for logs, its subcommands and telemetry", function()
    for _, argv in ipairs({ { "logs", "--help" }, { "logs", "stats", "-h" }, { "help", "logs" },
      { "telemetry", "--help" } }) do
      local r = h.cx(argv)
      assert.equal(0, r.code, table.concat(argv, " "))
      assert.truthy(r.stdout:find("Usage: cx logs", 1, true))
      assert.truthy(r.stdout:find("migrate [--out PATH] [--in-place] [--log PATH]", 1, true))
      assert.truthy(r.stdout:find("file:line: class: field: message", 1, true))
    end
  end)
end)

describe("cx logs without a repository or HOME", function()
  it("fails with 'unable to resolve log file', exit 1", function()
    local dir = h.tmpdir()
    for _, argv in ipairs({ { "logs" }, { "logs", "stats" }, { "telemetry", "--json" }, { "logs", "migrate" } }) do
      local r = h.cx(argv, { cwd = dir, env = { HOME = false } })
      assert.equal(1, r.code, table.concat(argv, " "))
      assert.truthy(r.stderr:find("unable to resolve log file", 1, true), r.stderr)
    end
    h.rm(dir)
  end)

  it("uses $HOME/.codex outside a repository", function()
    local dir = h.tmpdir()
    os.execute("mkdir -p " .. h.quote(dir .. "/home/.codex/cxlogs") .. " " .. h.quote(dir .. "/work"))
    h.write(dir .. "/home/.codex/cxlogs/runs.jsonl", '{"ts":"2026-02-20T10:00:00Z","tool":"cx","repo_root":""}\n')
    local r = h.cx({ "logs" }, { cwd = dir .. "/work", env = { HOME = dir .. "/home" } })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("log_file: " .. dir .. "/home/.codex/cxlogs/runs.jsonl\n", 1, true))
    assert.truthy(r.stdout:find("legacy_entries: 1\n", 1, true))
    h.rm(dir)
  end)
end)
