-- `cx logs migrate` end to end, and cx.logs.migrate's normalization.
local h = require "helpers.cli"
local json = require "cx.json"
local contract = require "cx.log_contract"
local migrate = require "cx.logs.migrate"
local digest = require("cx.core").digest
local rr = require "helpers.reference_rows"
local log_valid = require "helpers.log_valid"

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
    assert.equal("x", row.rtk_error) -- keys outside the contract are carried over
    assert.is_nil(row.legacy_fields) -- nothing had to change
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
    -- the values that could not stay under their key are kept in legacy_fields
    assert.same({ retry_attempt = 4294967296, duration_ms = -1, provider_status = " Experimental " },
      row.legacy_fields)
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

  it("encodes the contract's keys in declaration order, then optional, unknown and legacy_fields", function()
    local modern_row, _, no_extra = migrate.normalize(json.decode(MODERN))
    local line = migrate.encode(modern_row, no_extra)
    local want = {}
    for i, k in ipairs(contract.ROW_KEYS) do want[i] = k end
    want[#want + 1] = "legacy_fields"
    assert.same(want, key_order(line))
    assert.is_table(json.decode(line))
    local row, _, extra = migrate.normalize(json.decode(LEGACY:gsub("}$", ',"wave":2,"zz":1,"aa":[1]}')))
    line = migrate.encode(row, extra)
    local keys = key_order(line)
    assert.same({ "wave", "aa", "rtk_error", "zz" }, { table.unpack(keys, #contract.ROW_KEYS + 1) })
  end)

  it("loses no key or value: each is kept under its name or in legacy_fields; a second run changes nothing",
    function()
      local weird = {
        json.decode(LEGACY), json.decode(MODERN),
        { ts = 5, tool = "x", duration_ms = 1.5, scope = json.null, wave = "one", run_id = 7, legacy_fields = 3 },
        { execution_id = "", timestamp = "t", ts = "u", command = "a", tool = "b", schema_ok = "yes",
          converge_votes = { mode = "vote", list = json.array({ 1, 2 }) }, custom = { nested = true } },
        { tool = "x", legacy_fields = { duration_ms = "old" }, duration_ms = "newer" },
      }
      for _, r in ipairs(rr.rust_era()) do weird[#weird + 1] = r end
      for _, r in ipairs(rr.bash_era()) do weird[#weird + 1] = r end
      weird[#weird + 1] = rr.schema_failure_row()
      for i, original in ipairs(weird) do
        local row, _, extra = migrate.normalize(original)
        local line = migrate.encode(row, extra)
        local back = json.decode(line)
        local kept = back.legacy_fields or {}
        for k, v in pairs(original) do
          local enc = json.encode(v)
          if k == "legacy_fields" and type(v) == "table" then
            for k2, v2 in pairs(v) do assert.equal(json.encode(v2), json.encode(kept[k2]), i .. ": " .. k2) end
          else
            local here = back[k] ~= nil and json.encode(back[k]) == enc
            local there = false
            for name, value in pairs(kept) do
              if (name == k or name:match("^" .. k:gsub("%p", "%%%0") .. "~%d+$")) and json.encode(value) == enc then
                there = true
              end
            end
            assert.is_true(here or there, string.format("row %d lost %s = %s", i, k, enc))
          end
        end
        local again = json.decode(line)
        local row2, _, extra2 = migrate.normalize(again)
        assert.equal(line, migrate.encode(row2, extra2), "row " .. i .. " changed on a second run")
      end
      -- a value recorded by an earlier migration stays; a newer one joins it under another name
      local row = migrate.normalize(weird[5])
      assert.same({ duration_ms = "old", ["duration_ms~2"] = "newer" }, row.legacy_fields)
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

  it("writes runs.migrated.jsonl beside the log; lines that are not rows go to a rejects file", function()
    h.write(log, LEGACY .. "\n\nnot json\n" .. MODERN .. "\n[1]\n\255\254\n")
    local r = cx({ "logs", "migrate" })
    assert.equal(0, r.code, r.stderr)
    assert.equal("== cx logs migrate ==\nin: " .. log .. "\nout: " .. dir .. "/runs.migrated.jsonl\n" ..
      "entries_in: 5\nentries_out: 2\ninvalid_json_skipped: 1\nlegacy_normalized: 1\nmodern_normalized: 1\n" ..
      "rejected: 3\nrejects: " .. dir .. "/runs.migrated.jsonl.rejects\nstatus: wrote\n", r.stdout)
    local out = lines_of(dir .. "/runs.migrated.jsonl")
    assert.equal(2, #out)
    assert.same(contract.ROW_KEYS, { table.unpack(key_order(out[1]), 1, #contract.ROW_KEYS) })
    assert.equal("not json\n[1]\n\255\254\n", h.slurp(dir .. "/runs.migrated.jsonl.rejects"))
    -- no temporary file left; the log is untouched; the migrated file validates strictly
    local p = io.popen("ls -a " .. h.quote(dir))
    local names = p:read("a")
    p:close()
    assert.falsy(names:find(".tmp", 1, true), names)
    assert.equal(LEGACY .. "\n\nnot json\n" .. MODERN .. "\n[1]\n\255\254\n", h.slurp(log))
    log_valid.assert_clean(dir .. "/runs.migrated.jsonl")
    -- a second run keeps the first rejects file: the new one takes the next free name
    r = cx({ "logs", "migrate" })
    assert.truthy(r.stdout:find("\nrejects: " .. dir .. "/runs.migrated.jsonl.rejects.1\n", 1, true), r.stdout)
  end)

  it("--out PATH, --log PATH and --in-place with a backup", function()
    h.write(log, LEGACY .. "\n")
    local r = cx({ "logs", "migrate", "--out", repo .. "/m.jsonl" })
    assert.equal(0, r.code, r.stderr)
    assert.equal(1, #lines_of(repo .. "/m.jsonl"))
    local other = repo .. "/other.jsonl"
    h.write(other, MODERN .. "\n")
    r = cx({ "logs", "migrate", "--log", other, "--out=" .. repo .. "/n.jsonl" })
    assert.equal(0, r.code, r.stderr)
    assert.equal("20260305T141502Z_cxo_1", json.decode(lines_of(repo .. "/n.jsonl")[1]).execution_id)
    r = cx({ "logs", "migrate", "--in-place" })
    assert.equal(0, r.code, r.stderr)
    local bak = r.stdout:match("\nbackup: ([^\n]+)\nstatus: replaced\n$")
    assert.truthy(bak, r.stdout)
    assert.truthy(bak:match("/runs%.jsonl%.bak%.%d%d%d%d%d%d%d%dT%d%d%d%d%d%dZ$"), bak)
    assert.equal(LEGACY .. "\n", h.slurp(bak))
    assert.truthy(r.stdout:find("\nout: " .. log .. "\n", 1, true))
    local migrated = lines_of(log)
    assert.equal(1, #migrated)
    assert.equal("legacy", json.decode(migrated[1]).execution_mode)
    assert.is_nil(io.open(dir .. "/runs.migrated.jsonl"))
    log_valid.assert_clean(log)
  end)

  -- issue 12 item 7: two migrations in the same second wrote the same backup, and a skipped line was
  -- then in neither file
  it("two --in-place migrations in the same second keep both backups; no line is ever lost", function()
    h.write(log, LEGACY .. "\nnot json\n" .. MODERN .. "\n")
    local now = os.time()
    local a = assert(migrate.run(log, { in_place = true, now = now }))
    h.write(log, h.slurp(log) .. "junk 2\n")
    local b = assert(migrate.run(log, { in_place = true, now = now }))
    assert.are_not.equal(a.backup, b.backup)
    assert.equal(a.backup .. ".1", b.backup)
    assert.equal(LEGACY .. "\nnot json\n" .. MODERN .. "\n", h.slurp(a.backup))
    assert.equal("not json\n", h.slurp(a.rejects))
    assert.equal("junk 2\n", h.slurp(b.rejects))
    assert.equal(log .. ".rejects", a.rejects)
    assert.equal(log .. ".rejects.1", b.rejects)
    assert.truthy(h.slurp(b.backup):find("junk 2\n", 1, true))
    -- through the command, twice in a row: distinct backups whatever the clock says
    local r1, r2 = cx({ "logs", "migrate", "--in-place" }), cx({ "logs", "migrate", "--in-place" })
    local n1 = r1.stdout:match("\nbackup: ([^\n]+)\n")
    local n2 = r2.stdout:match("\nbackup: ([^\n]+)\n")
    assert.truthy(n1 and n2)
    assert.are_not.equal(n1, n2)
  end)

  it("a migration killed at any moment leaves the old log or the new one, and whole backups", function()
    local rows = {}
    for i = 1, 20000 do rows[i] = LEGACY:gsub('"duration_ms":12', '"duration_ms":' .. i) end
    local original = table.concat(rows, "\n") .. "\n"
    for _, delay in ipairs({ "0", "0.02", "0.05", "0.1", "0.2", "0.4" }) do
      h.write(log, original)
      -- fault injection, not synchronisation: every moment must leave a consistent state
      os.execute("cd " .. h.quote(repo) .. " && (HOME=" .. h.quote(repo) .. " " .. h.quote(h.bin) ..
        " logs migrate --in-place >/dev/null 2>&1 & pid=$!; sleep " .. delay .. "; kill -9 $pid 2>/dev/null; " ..
        "wait $pid 2>/dev/null) >/dev/null 2>&1")
      local now = h.slurp(log)
      if now ~= original then
        local n = 0
        for line in now:gmatch("[^\n]+") do
          n = n + 1
          assert.equal("legacy", json.decode(line).execution_mode)
        end
        assert.equal(20000, n)
      end
      local p = io.popen("ls " .. h.quote(dir))
      for name in p:lines() do
        if name:match("^runs%.jsonl%.bak%.") then assert.equal(original, h.slurp(dir .. "/" .. name), name) end
        if name:match("%.rejects") then error("unexpected rejects file " .. name) end
      end
      p:close()
      os.execute("rm -f " .. h.quote(dir) .. "/runs.jsonl.bak.* " .. h.quote(dir) .. "/*.tmp.*")
    end
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

  it("a failed write leaves the log untouched and no temporary file", function()
    h.write(log, LEGACY .. "\nnot json\n")
    local r = cx({ "logs", "migrate", "--out", repo .. "/missing/m.jsonl" })
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("cannot create " .. repo .. "/missing/m.jsonl.tmp.", 1, true), r.stderr)
    assert.equal(LEGACY .. "\nnot json\n", h.slurp(log))
    assert.is_nil(io.open(repo .. "/missing"))
    -- a rejects name that is taken (here by a directory) is skipped, never replaced
    h.write(log, LEGACY .. "\nnot json\n")
    os.execute("mkdir " .. h.quote(repo .. "/m.jsonl.rejects"))
    r = cx({ "logs", "migrate", "--out", repo .. "/m.jsonl" })
    assert.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("\nrejects: " .. repo .. "/m.jsonl.rejects.1\n", 1, true), r.stdout)
  end)

  it("a missing log exits 1; bad flags exit 2", function()
    local r = cx({ "logs", "migrate" })
    assert.equal(1, r.code)
    assert.equal("cx logs migrate: no log file at " .. log .. "\n", r.stderr)
    r = cx({ "logs", "migrate", "--bogus" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("unknown flag '--bogus'", 1, true))
    r = cx({ "logs", "migrate", "--out" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("--out", 1, true))
    r = cx({ "logs", "migrate", "--log" })
    assert.equal(2, r.code)
    assert.truthy(r.stderr:find("--log needs a PATH", 1, true))
  end)
end)
