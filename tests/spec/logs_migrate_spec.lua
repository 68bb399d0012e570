-- `cx logs migrate` end to end, and cx.logs.migrate's normalization.
local h = require "helpers.cli"
local json = require "cx.json"
local contract = require "cx.log_contract"
local migrate = require "cx.logs.migrate"
local digest = require("cx.core").digest

local LEGACY = '{"ts":"2026-02-20T10:00:00Z","tool":"cxo","cwd":"/p","scope":"repo","repo_root":"/p",' ..
  '"duration_ms":12,"input_tokens":null,"prompt_sha256":"abc","prompt_preview":"hi","schema_ok":false,' ..
  '"clip_mode":"smart","rtk_error":"x"}'
local MODERN = '{"execution_id":"20260305T141502Z_cxo_1","timestamp":"2026-03-05T14:15:02Z","command":"cxo",' ..
  '"backend_used":"ollama","provider_status":" Experimental ","retry_attempt":4294967296,"retry_max":3,' ..
  '"route_policy":"cost","queue_ms":5,"duration_ms":-1,"schema_valid":false,"adapter_id":"mock"}'

-- The keys of a compact JSON object line, in the order written.
local function key_order(line)
  local ks = {}
  local depth, i = 0, 1
  while i <= #line do
    local c = line:sub(i, i)
    if c == '"' then
      local j = i + 1
      while line:sub(j, j) ~= '"' do
        if line:sub(j, j) == "\\" then j = j + 1 end
        j = j + 1
      end
      if depth == 1 and line:sub(j + 1, j + 1) == ":" then ks[#ks + 1] = line:sub(i + 1, j - 1) end
      i = j
    elseif c == "{" or c == "[" then
      depth = depth + 1
    elseif c == "}" or c == "]" then
      depth = depth - 1
    end
    i = i + 1
  end
  return ks
end

describe("cx.logs.migrate.normalize", function()
  it("normalizes a legacy row", function()
    local row, modern = migrate.normalize(json.decode(LEGACY))
    assert.is_false(modern)
    assert.equal("legacy_" .. digest.sha256_hex("cxo|2026-02-20T10:00:00Z|/p"), row.execution_id)
    assert.equal("2026-02-20T10:00:00Z", row.timestamp)
    assert.equal("2026-02-20T10:00:00Z", row.ts)
    assert.equal("cxo", row.command)
    assert.equal("codex", row.backend_used)
    assert.equal("codex", row.llm_backend)
    assert.equal("legacy", row.execution_mode)
    assert.is_false(row.schema_valid) -- from schema_ok
    assert.is_false(row.schema_ok)
    assert.is_false(row.schema_enforced)
    assert.equal(12, row.duration_ms)
    assert.equal("smart", row.clip_mode)
    assert.equal(json.null, row.input_tokens)
    assert.is_nil(row.rtk_error)
  end)

  it("normalizes a modern row: types checked, lossy resets kept from the reference", function()
    local row, modern = migrate.normalize(json.decode(MODERN))
    assert.is_true(modern)
    assert.equal("20260305T141502Z_cxo_1", row.execution_id)
    assert.equal("lean", row.execution_mode)
    assert.equal("experimental", row.provider_status)
    assert.equal(json.null, row.retry_attempt) -- over u32
    assert.equal(3, row.retry_max)
    assert.equal(json.null, row.duration_ms) -- negative
    assert.equal("cost", row.route_policy) -- kept (the reference reset it)
    assert.equal(5, row.queue_ms)
    assert.is_false(row.schema_valid)
    assert.is_false(row.schema_ok) -- follows schema_valid (the reference defaulted it to true)
    assert.equal("", row.cwd)
    assert.equal("repo", row.scope)
    assert.equal("mock", row.adapter_id)
  end)

  it("fills defaults for an empty object", function()
    local row = migrate.normalize({})
    assert.equal("unknown", row.command)
    assert.equal("", row.ts)
    assert.equal("legacy_" .. digest.sha256_hex("unknown||"), row.execution_id)
  end)

  it("encodes keys in declaration order", function()
    local line = migrate.encode(migrate.normalize(json.decode(MODERN)))
    assert.same(contract.ROW_KEYS, key_order(line))
    assert.is_table(json.decode(line))
  end)

  it("with_extension replaces the last extension", function()
    assert.equal("/a/runs.migrated.jsonl.tmp", migrate.with_extension("/a/runs.migrated.jsonl", "jsonl.tmp"))
    assert.equal("/a/out.jsonl.tmp", migrate.with_extension("/a/out", "jsonl.tmp"))
    assert.equal("/a.b/out.jsonl.tmp", migrate.with_extension("/a.b/out.txt", "jsonl.tmp"))
    assert.equal("runs.jsonl.bak.X", migrate.with_extension("runs.jsonl", "jsonl.bak.X"))
  end)
end)

describe("cx logs migrate", function()
  local repo, dir, log
  before_each(function()
    repo = h.tmprepo()
    dir = repo .. "/.codex/cxlogs"
    os.execute("mkdir -p " .. h.quote(dir))
    log = dir .. "/runs.jsonl"
  end)
  after_each(function() h.rm(repo) end)

  local function cx(args) return h.cx(args, { cwd = repo, env = { HOME = repo } }) end

  local function lines_of(path)
    local out = {}
    for l in io.lines(path) do out[#out + 1] = l end
    return out
  end

  it("writes runs.migrated.jsonl beside the log", function()
    h.write(log, LEGACY .. "\n\nnot json\n" .. MODERN .. "\n")
    local r = cx({ "logs", "migrate" })
    assert.equal(0, r.code, r.stderr)
    assert.equal("== cx logs migrate ==\nin: " .. log .. "\nout: " .. dir .. "/runs.migrated.jsonl\n" ..
      "entries_in: 3\nentries_out: 2\ninvalid_json_skipped: 1\nlegacy_normalized: 1\nmodern_normalized: 1\n" ..
      "status: wrote\n", r.stdout)
    local out = lines_of(dir .. "/runs.migrated.jsonl")
    assert.equal(2, #out)
    assert.same(contract.ROW_KEYS, key_order(out[1]))
    assert.is_nil(io.open(dir .. "/runs.migrated.jsonl.tmp"))
    -- the log is untouched, and the migrated file validates strictly
    assert.equal(LEGACY .. "\n\nnot json\n" .. MODERN .. "\n", h.slurp(log))
    h.write(log, h.slurp(dir .. "/runs.migrated.jsonl"))
    assert.equal(0, cx({ "logs", "validate", "--strict" }).code)
  end)

  it("--out PATH and --in-place with a backup", function()
    h.write(log, LEGACY .. "\n")
    local r = cx({ "logs", "migrate", "--out", repo .. "/m.jsonl" })
    assert.equal(0, r.code, r.stderr)
    assert.equal(1, #lines_of(repo .. "/m.jsonl"))
    r = cx({ "logs", "migrate", "--in-place" })
    assert.equal(0, r.code, r.stderr)
    local bak = r.stdout:match("\nbackup: ([^\n]+)\nstatus: replaced\n$")
    assert.truthy(bak, r.stdout)
    assert.truthy(bak:match("/runs%.jsonl%.bak%.%d%d%d%d%d%d%d%dT%d%d%d%d%d%dZ$"), bak)
    assert.equal(LEGACY .. "\n", h.slurp(bak))
    local migrated = lines_of(log)
    assert.equal(1, #migrated)
    assert.equal("legacy", json.decode(migrated[1]).execution_mode)
    assert.is_nil(io.open(dir .. "/runs.migrated.jsonl"))
  end)

  -- A process that appends through the native writer (as every cx run does) until told to stop:
  -- prints "ready" after its first row, then its row count when it sees the stop file.
  local APPENDER = [[
package.cpath = arg[1] .. "/build/lib/?.so;" .. package.cpath
local rl = require("cx.core").runlog
local log, stop, n = arg[2], arg[3], 0
local function append()
  n = n + 1
  assert(rl.append(log, string.format(
    '{"execution_id":"app_%d","timestamp":"2026-03-05T14:15:02Z","command":"append"}', n)))
end
append()
io.stdout:write("ready\n")
io.stdout:flush()
repeat
  append()
  local f = io.open(stop)
  if f then f:close() end
until f or n >= 1000000
io.stdout:write(n, "\n")
]]

  it("--in-place loses no row appended while it runs", function()
    local SEED = 4000
    local seed = {}
    for i = 1, SEED do
      seed[i] = string.format('{"execution_id":"seed_%d","timestamp":"2026-03-05T14:15:02Z",' ..
        '"command":"cxo","prompt_preview":"%s"}', i, string.rep("p", 200))
    end
    h.write(log, table.concat(seed, "\n") .. "\n")
    local script, stop = repo .. "/appender.lua", repo .. "/stop"
    h.write(script, APPENDER)
    local p = assert(io.popen(table.concat({ "lua5.4", h.quote(script), h.quote(h.root), h.quote(log),
      h.quote(stop) }, " ")))
    assert.equal("ready", p:read("l"))
    local r = cx({ "logs", "migrate", "--in-place" })
    h.write(stop, "")
    local appended = tonumber(p:read("l"))
    assert.is_true(p:close())
    assert.equal(0, r.code, r.stderr)
    assert.truthy(appended and appended > 1, tostring(appended))

    local seen, raw, invalid, lines = {}, 0, 0, 0
    for line in io.lines(log) do
      lines = lines + 1
      local v = json.decode(line)
      if type(v) ~= "table" or type(v.execution_id) ~= "string" then
        invalid = invalid + 1
      else
        seen[v.execution_id] = (seen[v.execution_id] or 0) + 1
        if v.scope == nil then raw = raw + 1 end -- appended after the rewrite (not migrated)
      end
    end
    assert.equal(0, invalid)
    assert.equal(SEED + appended, lines)
    local missing = {}
    for i = 1, SEED do
      if seen["seed_" .. i] ~= 1 then missing[#missing + 1] = "seed_" .. i end
    end
    for i = 1, appended do
      if seen["app_" .. i] ~= 1 then missing[#missing + 1] = "app_" .. i end
    end
    assert.same({}, missing)
    -- the first appended row was migrated with the seed, the last one came after the rewrite
    local migrated_rows = lines - raw
    assert.is_true(migrated_rows > SEED and raw > 0, migrated_rows .. " migrated, " .. raw .. " raw")
    assert.is_nil(io.open(dir .. "/runs.migrated.jsonl"))
  end)

  it("fails on a non-object row or bad UTF-8, leaving no temporary file", function()
    h.write(log, LEGACY .. "\n[1]\n")
    local r = cx({ "logs", "migrate" })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("line 2: run log row is not an object", 1, true))
    assert.is_nil(io.open(dir .. "/runs.migrated.jsonl.tmp"))
    assert.is_nil(io.open(dir .. "/runs.migrated.jsonl"))
    h.write(log, LEGACY .. "\n\255\n")
    r = cx({ "logs", "migrate" })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("line 2: read error", 1, true))
  end)

  it("missing log exits 1 before flags are read; bad flags exit 2", function()
    local r = cx({ "logs", "migrate", "--bogus" })
    assert.equal(1, r.code)
    assert.equal("cx logs migrate: no log file at " .. log .. "\n", r.stderr)
    h.write(log, LEGACY .. "\n")
    r = cx({ "logs", "migrate", "--bogus" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("unknown flag '--bogus'", 1, true))
    r = cx({ "logs", "migrate", "--out" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("--out", 1, true))
  end)
end)
