-- `cx logs [validate]` end to end, with the reference's worked examples.
local h = require "helpers.cli"
local json = require "cx.json"
local contract = require "cx.log_contract"

local SIX_KEYS = '{"execution_id":"e1","timestamp":"2026-03-05T14:15:02Z","command":"cxo",' ..
  '"backend_used":"codex","capture_provider":null,"execution_mode":"lean"}'

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

describe("cx logs validate", function()
  local repo, log
  before_each(function()
    repo = h.tmprepo()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/cxlogs"))
    log = repo .. "/.codex/cxlogs/runs.jsonl"
  end)
  after_each(function() h.rm(repo) end)

  local function cx(args) return h.cx(args, { cwd = repo, env = { HOME = repo } }) end

  it("a modern row with 6 keys: 27 issues, ok_with_warnings; --strict fails", function()
    h.write(log, SIX_KEYS .. "\n")
    local r = cx({ "logs" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("^== cx logs validate ==\nlog_file: " .. log:gsub("%p", "%%%0") .. "\n"))
    assert.truthy(r.stdout:find("\nentries_scanned: 1\nlegacy_ok: true\nlegacy_entries: 0\ncorrupted_entries: 1\n" ..
      "issue_count: 27\ninvalid_json_entries: 0\n", 1, true))
    assert.truthy(r.stdout:find("- line 1: missing required field 'adapter_type'\n", 1, true))
    assert.equal(20, count(r.stdout, "\n%- line 1: missing required field"))
    local tail = "- ... and 7 more\nstatus: ok_with_warnings\n"
    assert.equal(tail, r.stdout:sub(-#tail))
    r = cx({ "logs", "validate", "--strict" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find("issue_count: 27\n", 1, true))
    assert.truthy(r.stdout:find("legacy_ok: false\ncorrupted_entries", 1, true))
    assert.falsy(r.stdout:find("status:", 1, true))
    -- --strict --legacy-ok is legacy mode
    assert.equal(0, cx({ "logs", "validate", "--strict", "--legacy-ok" }).code)
  end)

  it("appending {\"bad\":1}: default passes with 3 legacy issues, --strict fails with 33 more", function()
    h.write(log, strict_row() .. "\n" .. '{"bad":1}\n')
    local r = cx({ "logs", "validate" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("issue_count: 3\n", 1, true))
    assert.truthy(r.stdout:find("- line 2: missing legacy field 'ts' (or 'timestamp')\n", 1, true))
    assert.truthy(r.stdout:find("- line 2: missing legacy field 'tool' (or 'command')\n", 1, true))
    assert.truthy(r.stdout:find("- line 2: missing legacy field 'repo_root' (or 'repo_root')\n", 1, true))
    assert.truthy(r.stdout:find("status: ok_with_warnings", 1, true))
    r = cx({ "logs", "validate", "--strict" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find("issue_count: 33\n", 1, true))
  end)

  it("a row with exactly the 33 strict keys (nulls allowed) passes --strict", function()
    h.write(log, strict_row() .. "\n")
    local r = cx({ "logs", "validate", "--strict" })
    assert.equal(0, r.code)
    local tail = "\nissue_count: 0\ninvalid_json_entries: 0\nstatus: ok\n"
    assert.equal(tail, r.stdout:sub(-#tail))
  end)

  it("counts legacy rows, skips blank lines, keeps physical line numbers", function()
    h.write(log, '{"ts":"t","tool":"cx","repo_root":""}\n\n   \n{"timestamp":"t","command":"c","repo_root":"/r"}\n')
    local r = cx({ "logs" })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("entries_scanned: 2\nlegacy_ok: true\nlegacy_entries: 2\n", 1, true))
    assert.truthy(r.stdout:find("status: ok\n", 1, true))
  end)

  it("classifies invalid JSON, torn rows, non-objects and bad UTF-8; fails with invalid JSON", function()
    h.write(log, strict_row() .. "\n" .. "not json\n" .. "[1,2]\n" .. "\255\254\n" ..
      '{"execution_id":"x","timest\n' .. strict_row() .. "\n" .. '{"a":tru')
    local r = cx({ "logs", "--json" })
    assert.equal(1, r.code, r.stderr)
    local d = json.decode(r.stdout)
    assert.equal("logs_validate.v1", d.contract_version)
    assert.equal(log, d.log_file)
    assert.equal(6, d.entries_scanned) -- the bad UTF-8 line is not scanned
    assert.equal(3, d.invalid_json_entries)
    assert.equal(2, d.torn_entries)
    assert.equal(5, d.corrupted_entries) -- lines 2, 3, 4, 5 and 7
    assert.equal(5, d.issue_count)
    assert.equal("fail", d.status)
    assert.is_true(d.legacy_ok)
    assert.equal(0, d.legacy_entries)
    local by_line = {}
    for _, i in ipairs(d.issues) do by_line[i.line] = i end
    assert.equal("invalid_json", by_line[2].class)
    assert.truthy(by_line[2].message:find("^failed to parse json line 2 in " .. log:gsub("%p", "%%%0") ..
      " %(preview='not json'%): "))
    assert.equal("not_object", by_line[3].class)
    assert.equal("line 3: json is not an object", by_line[3].message)
    assert.equal("read_error", by_line[4].class)
    assert.equal("line 4: read error: stream did not contain valid UTF-8", by_line[4].message)
    assert.equal("torn", by_line[5].class)
    assert.equal("torn", by_line[7].class)
    -- text mode: the same verdict, no status line on failure
    r = cx({ "logs" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find("invalid_json_entries: 3\n", 1, true))
    assert.falsy(r.stdout:find("status:", 1, true))
  end)

  it("previews at most 160 characters", function()
    h.write(log, ("x"):rep(300) .. "\n")
    local d = json.decode(cx({ "logs", "--json" }).stdout)
    assert.truthy(d.issues[1].message:find("(preview='" .. ("x"):rep(160) .. "')", 1, true))
  end)

  it("keeps 200 issues in --json, counts them all", function()
    local lines = {}
    for _ = 1, 10 do lines[#lines + 1] = SIX_KEYS end
    h.write(log, table.concat(lines, "\n") .. "\n")
    local d = json.decode(cx({ "logs", "validate", "--strict", "--json" }).stdout)
    assert.equal(270, d.issue_count)
    assert.equal(200, #d.issues)
    assert.equal(10, d.corrupted_entries)
    assert.equal("fail", d.status)
  end)

  it("a missing log: message on stdout, exit 0", function()
    local r = cx({ "logs", "validate" })
    assert.equal(0, r.code)
    assert.equal("cx logs validate: no log file at " .. log .. "\n", r.stdout)
    r = cx({ "logs", "validate", "--json" })
    assert.equal(0, r.code)
    assert.equal("no_log_file", json.decode(r.stdout).status)
  end)

  it("usage errors exit 2 naming the argument", function()
    local r = cx({ "logs", "validate", "--fix" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("'--fix'", 1, true))
    r = cx({ "logs", "frobnicate" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("unknown subcommand 'frobnicate'", 1, true))
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
  end)
end)

describe("cx logs --help", function()
  it("prints the help for logs, its subcommands and telemetry", function()
    for _, argv in ipairs({ { "logs", "--help" }, { "logs", "stats", "-h" }, { "help", "logs" },
      { "telemetry", "--help" } }) do
      local r = h.cx(argv)
      assert.equal(0, r.code, table.concat(argv, " "))
      assert.truthy(r.stdout:find("Usage: cx logs", 1, true))
      assert.truthy(r.stdout:find("migrate [--out PATH] [--in-place]", 1, true))
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
    h.write(dir .. "/home/.codex/cxlogs/runs.jsonl", '{"ts":"t","tool":"cx","repo_root":""}\n')
    local r = h.cx({ "logs" }, { cwd = dir .. "/work", env = { HOME = dir .. "/home" } })
    assert.equal(0, r.code)
    assert.truthy(r.stdout:find("log_file: " .. dir .. "/home/.codex/cxlogs/runs.jsonl\n", 1, true))
    assert.truthy(r.stdout:find("legacy_entries: 1\n", 1, true))
    h.rm(dir)
  end)
end)
