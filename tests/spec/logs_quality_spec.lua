-- Telemetry quality of `cx logs stats` / `cx telemetry` (issue 9 item 2): logs with known
-- completeness, nullability, drift and scheduler defects yield the expected classes, findings,
-- severities and exit codes (text and --json); a repository override changes a threshold and
-- disables a rule; logs cx writes raise nothing; a reference-era log is judged by its rows' kinds.
local h = require "helpers.cli"
local json = require "cx.json"
local tl = require "helpers.telemetry_log"
local ref = require "helpers.reference_rows"
local telemetry = require "cx.logs.telemetry"

local function lines_of(list)
  local out = {}
  for i, e in ipairs(list) do out[i] = e.line end
  return out
end

local function finding(doc, id)
  for _, f in ipairs(doc.findings) do
    if f.id == id then return f end
  end
  return nil
end

local function field(doc, name)
  for _, f in ipairs(doc.completeness.fields) do
    if f.field == name then return f end
  end
  return nil
end

local function item(doc, group, name)
  for _, x in ipairs(doc.nullability.items) do
    if x.group == group and x.field == name then return x end
  end
  return nil
end

-- 60 successful cxo rows; the newer half drifts: prompt_sha256 null from line 40 on, duration_ms
-- a string on line 45, adapter_id gone from line 31 on, an unknown key from line 50 on.
local function drifting_rows()
  local rows = {}
  for i = 1, 60 do
    local f = {}
    if i >= 40 then f.prompt_sha256 = json.null end
    if i == 45 then f.duration_ms = "12" end
    if i > 30 then f.adapter_id = tl.drop end
    if i >= 50 then f.x_trace = "t" .. i end
    rows[i] = tl.capture(f)
  end
  return rows
end

describe("telemetry quality (cx.logs.telemetry)", function()
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function() h.rm(dir) end)

  local function report(rows, n, opts)
    local path = dir .. "/runs.jsonl"
    h.write(path, type(rows) == "string" and rows or tl.text(rows))
    local doc, result = telemetry.file(path, n or 200, opts or { rules = { policies_dir = dir .. "/none" } })
    assert(doc, result)
    return doc, result
  end

  it("a run-all with scheduler defects: classes, nullability breaks, rollups, findings at their lines", function()
    local doc = report(tl.runall_defects())
    assert.equal("telemetry_quality.v1", doc.quality_contract_version)
    assert.equal("telemetry.v1", doc.contract_version)
    assert.same({ capture = 0, structured = 0, runall_summary = 2, convergence = 0, legacy = 0, other = 16 },
      doc.row_kinds.kinds)
    assert.equal(16, doc.row_kinds.contexts.runall_attempt)
    -- completeness against what run-all attempt rows must carry
    local q = field(doc, "queue_ms")
    assert.same({ "partial", 16, 15, 93.8 }, { q.class, q.expected_rows, q.carried, q.population_pct })
    assert.same({ "runall_attempt" }, q.groups)
    assert.equal("partial", field(doc, "attempt_finished_ms").class)
    assert.equal("complete", field(doc, "worker_id").class)
    assert.equal("complete", field(doc, "run_all_scheduled").class)
    -- a plain field nobody must carry is not judged, only measured over the window
    local tokens = field(doc, "input_tokens")
    assert.equal(json.null, tokens.class)
    assert.equal(0, tokens.expected_rows)
    assert.equal("absent", tokens.window_class)
    -- nullability: each broken expectation names its rows
    local qi = item(doc, "runall_attempt", "queue_ms")
    assert.same({ expectation = "expected", rows = 16, non_null = 15, null = 1, absent = 0, breaks = 1 },
      { expectation = qi.expectation, rows = qi.rows, non_null = qi.non_null, null = qi.null, absent = qi.absent,
        breaks = qi.breaks })
    assert.same({ 3 }, lines_of(qi.evidence))
    assert.truthy(qi.evidence[1].execution_id:find("_cxtask_run_", 1, true))
    local fi = item(doc, "runall_attempt", "attempt_finished_ms")
    assert.same({ 0, 1, { 7 } }, { fi.null, fi.absent, lines_of(fi.evidence) })
    assert.equal(2, doc.nullability.broken)
    -- rollups
    local r = doc.quality_rollups
    assert.same({ 16, 15, 1 }, { r.queue.scheduled_rows, r.queue.with_queue_ms, r.queue.without_queue_ms })
    assert.same({ 3 }, lines_of(r.queue.evidence))
    assert.same({ 1, 1, { 5 } }, { r.attempts.retries, r.attempts.retries_without_reason,
      lines_of(r.attempts.retries_without_reason_evidence) })
    assert.same({ 16, 1, { 7 } }, { r.attempts.started, r.attempts.started_not_finished,
      lines_of(r.attempts.started_not_finished_evidence) })
    assert.same({ 2, 1 }, { r.workers.workers_seen, r.workers.workers_with_unfinished })
    assert.same({ worker_id = "w2", rows = 6, attempts_started = 6, unfinished = 1 }, r.workers.workers[2])
    assert.same({ 4, 2, 1, 1 }, { r.runs.runs_seen, r.runs.runs_with_summary, r.runs.runs_without_summary,
      r.runs.open_runs })
    assert.equal("run-r2", r.runs.without_summary[1].run_id)
    assert.same({ 12 }, lines_of(r.runs.without_summary[1].evidence))
    assert.equal("run-r4", r.runs.open[1].run_id)
    -- the policy's findings, in rule order, with the rows
    assert.same({ "expected_field_incomplete", "queue_ms_missing", "retry_reason_missing", "attempt_unfinished",
      "run_summary_missing" }, tl.ids(doc.findings))
    assert.equal("warning", doc.quality_severity)
    assert.same({ 3, 7 }, lines_of(finding(doc, "expected_field_incomplete").evidence))
    assert.truthy(finding(doc, "expected_field_incomplete").message:find("runall_attempt.queue_ms partial (15 of 16",
      1, true))
    assert.same({ 12 }, lines_of(finding(doc, "run_summary_missing").evidence))
    assert.truthy(finding(doc, "run_summary_missing").message:find("run-r2 (3 rows)", 1, true))
    for _, f in ipairs(doc.findings) do assert.equal("warning", f.severity, f.id) end
  end)

  it("a field most rows lack is sparse, one none carries absent: both critical", function()
    local rows = {}
    for i = 1, 10 do
      rows[i] = tl.attempt({ run = "run-s", worker = 1, task = "t" .. i },
        { queue_ms = i == 4 and 7 or json.null, wave = json.null })
    end
    rows[11] = tl.summary("run-s", 10)
    local doc = report(rows)
    assert.equal("sparse", field(doc, "queue_ms").class)
    assert.equal("absent", field(doc, "wave").class)
    local f = finding(doc, "expected_field_incomplete")
    assert.equal("critical", f.severity)
    assert.equal("critical", doc.quality_severity)
    assert.truthy(f.message:find("runall_attempt.queue_ms sparse (1 of 10 rows)", 1, true))
    assert.truthy(f.message:find("runall_attempt.wave absent (0 of 10 rows)", 1, true))
    -- every row lacking queue_ms is evidence; the row carrying it is not
    assert.same({ 1, 2, 3, 5, 6, 7, 8, 9, 10 }, lines_of(item(doc, "runall_attempt", "queue_ms").evidence))
    assert.same({ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, lines_of(f.evidence))
  end)

  it("attempts that finished before they started and attempts beyond retry_max are named at their lines", function()
    local rows = {}
    for i = 1, 6 do
      local fields
      if i == 2 or i == 5 then fields = { attempt_finished_ms = 1772720000000 } end -- before every start
      rows[i] = tl.attempt({ run = "run-t", worker = 1, task = "t" .. i, attempt = i == 4 and 4 or 1, max = 1 },
        fields)
    end
    rows[7] = tl.summary("run-t", 6)
    local doc = report(rows)
    local a = doc.quality_rollups.attempts
    assert.same({ 6, 2, { 2, 5 } },
      { a.started, a.finished_before_started, lines_of(a.finished_before_started_evidence) })
    assert.same({ 1, { 4 } }, { a.attempts_over_max, lines_of(a.attempts_over_max_evidence) })
    local f = finding(doc, "attempt_time_inverted")
    assert.equal("warning", f.severity)
    assert.same({ 2, 5 }, lines_of(f.evidence))
    assert.truthy(f.message:find("2 of 6 attempts have attempt_finished_ms before attempt_started_ms", 1, true))
    assert.same({ 4 }, lines_of(finding(doc, "attempt_over_max").evidence))
    -- the cut-off is a threshold
    local pdir = dir .. "/policies"
    os.execute("mkdir -p " .. h.quote(pdir))
    h.write(pdir .. "/telemetry.lua", "return { extends = true, thresholds = { finished_before_started_max = 2 } }\n")
    assert.is_nil(finding(report(rows, 200, { rules = { policies_dir = pdir } }), "attempt_time_inverted"))
  end)

  it("rows of any shape are counted, never a crash: wrong types, odd keys, non-objects", function()
    local odd = {
      tl.attempt({ run = "run-h", worker = 1, task = "a" }, { worker_id = 7, queue_ms = -3, retry_attempt = "2" }),
      tl.attempt({ run = "run-h", worker = 1, task = "b" }, { run_id = { nested = true }, attempt_started_ms = "x",
        attempt_finished_ms = 1.5, retry_max = json.array({ 1 }) }),
      tl.attempt({ run = "run-h", worker = 1, task = "c" }, { worker_id = "", retry_attempt = 2.0, retry_reason = 9 }),
      tl.capture({ ["ts|timestamp"] = "x", [""] = 1, ["a b|c"] = json.null, tool = 5, command = json.null }),
      tl.summary({ "not", "a", "string" }, 1, { tool = "cxtask_runall", run_all_scheduled = "many" }),
      { execution_id = json.null, timestamp = 12 },
      {},
    }
    local text = tl.text(odd) .. '[1,2]\n"a string"\n42\nnull\n{"deep":' .. ('['):rep(100) .. (']'):rep(100)
      .. "}\n"
    -- keys beyond what is tracked in detail
    local wide = {}
    for i = 1, 1100 do wide["k" .. i] = i end
    text = text .. json.encode(wide) .. "\n"
    local doc = report(text)
    local back = assert(json.decode(json.encode(doc)))
    assert.same({}, require("helpers.contract").check_shape(back,
      require("helpers.contract").load("telemetry_json_contract.json")))
    assert.equal(13, doc.window_runs)
    assert.same({ 9, 4 }, { doc.row_kinds.objects, doc.row_kinds.non_objects })
    local r = doc.quality_rollups
    -- worker_id 7 and "" are no worker; "2" and 2.0 are no attempt number; "x" is no start time
    assert.same({ 1, 1, 2 }, { r.queue.scheduled_rows, r.attempts.attempt_rows, r.attempts.started })
    assert.same({ 0, 0 }, { r.queue.without_queue_ms, r.attempts.retries })
    assert.is_string(doc.quality_severity)
  end)

  it("never-null breaks are critical and name each row", function()
    local rows = { tl.capture(), tl.capture({ cwd = json.null }), tl.capture(), tl.capture({ tool = tl.drop }) }
    local doc = report(rows)
    local f = finding(doc, "never_null_broken")
    assert.equal("critical", f.severity)
    assert.same({ 2, 4 }, lines_of(f.evidence))
    assert.truthy(f.message:find("modern.cwd missing in 1 of 4 rows", 1, true))
    local cwd, tool = item(doc, "modern", "cwd"), item(doc, "modern", "tool")
    assert.same({ "never_null", 1, 0, { 2 } }, { cwd.expectation, cwd.null, cwd.absent, lines_of(cwd.evidence) })
    assert.same({ 0, 1, { 4 } }, { tool.null, tool.absent, lines_of(tool.evidence) })
    assert.equal("partial", cwd.class)
  end)

  it("drift: population, keys that vanished or appeared, type changes, each with a diagnostic", function()
    local doc = report(drifting_rows())
    local d = doc.drift
    assert.same({ 30, 30, 20, 30 }, { d.older_rows, d.newer_rows, d.min_rows, d.population_pct })
    local pop = {}
    for _, x in ipairs(d.population) do pop[x.group .. "." .. x.field] = x end
    local p = pop["capture.ok.prompt_sha256"]
    assert.same({ true, 100.0, 30.0, -70.0 }, { p.expected, p.older.pct, p.newer.pct, p.change_pct })
    assert.same({ 40, 41, 42, 43, 44, 45, 46, 47, 48, 49 }, lines_of(p.evidence))
    assert.truthy(p.diagnostic:find("prompt_sha256 is carried by 100.0% of capture.ok rows in the older half and "
      .. "30.0% in the newer, first at line 40", 1, true), p.diagnostic)
    assert.truthy(p.diagnostic:find("look at prompt hashing and the prompt filter", 1, true))
    -- a field nobody must carry drifts too, but is not an expected one
    assert.is_false(pop["capture.ok.x_trace"].expected)
    assert.equal(36.7, pop["capture.ok.x_trace"].change_pct)
    assert.equal(1, #d.keys_vanished)
    local v = d.keys_vanished[1]
    assert.same({ "adapter_id", 30, true, false, false, false, { "capture" } }, { v.key, v.rows, v.contract, v.strict,
      v.legacy_only, v.kinds_gone, v.carried_by })
    assert.same({ 31 }, lines_of(v.evidence))
    assert.truthy(v.diagnostic:find("carried by 30 rows of the older half (kind capture) and by no row of the newer "
      .. "(from line 31", 1, true), v.diagnostic)
    assert.truthy(v.diagnostic:find("which has 30 rows of that kind: look at the adapter that ran", 1, true))
    assert.equal(1, #d.keys_appeared)
    assert.same({ "x_trace", 11, false, { 50 } }, { d.keys_appeared[1].key, d.keys_appeared[1].rows,
      d.keys_appeared[1].contract, lines_of(d.keys_appeared[1].evidence) })
    assert.equal(1, #d.type_changes)
    local t = d.type_changes[1]
    assert.same({ "duration_ms", { "integer" }, { "integer", "string" }, { 45 } }, { t.key, t.older, t.newer,
      lines_of(t.evidence) })
    assert.truthy(t.diagnostic:find("`cx logs validate` names every row", 1, true))
    assert.same({ "expected_field_incomplete", "expected_field_drift", "key_vanished", "unknown_key_appeared",
      "type_changed" }, tl.ids(doc.findings))
    assert.same({ 40, 41, 42, 43, 44, 45, 46, 47, 48, 49 }, lines_of(finding(doc, "expected_field_drift").evidence))
    assert.truthy(finding(doc, "expected_field_drift").message:find("capture.ok.prompt_sha256 100% -> 30%", 1, true))
    assert.equal("warning", finding(doc, "key_vanished").severity)
    assert.equal("warning", doc.quality_severity)
    -- the reference's key drift is unchanged beside it
    assert.same({ "x_trace" }, doc.contract_drift.new_keys_second_half)
    assert.same({ "adapter_id" }, doc.contract_drift.missing_keys_second_half)
  end)

  it("a strict key that vanishes is critical; drift needs drift_min_rows rows in each half", function()
    local rows = {}
    for i = 1, 40 do rows[i] = tl.capture(i > 20 and { timed_out = tl.drop } or nil) end
    local doc = report(rows)
    assert.equal("critical", finding(doc, "key_vanished").severity)
    assert.is_true(doc.drift.keys_vanished[1].strict)
    assert.truthy(doc.drift.keys_vanished[1].diagnostic:find("one of the 33 keys the strict contract requires", 1,
      true))
    -- 19 rows a half: population drift is not judged
    local few = drifting_rows()
    for _ = 1, 11 do table.remove(few, 1) end
    for _ = 1, 11 do table.remove(few) end
    local d = report(few).drift
    assert.same({ 19, 19 }, { d.older_rows, d.newer_rows })
    assert.same({}, d.population)
  end)

  it("a log cx's rows only, with nothing wrong, raises nothing", function()
    local rows = {}
    for i = 1, 5 do rows[#rows + 1] = tl.attempt({ run = "run-ok", worker = i % 2 + 1, task = "t" .. i }) end
    rows[#rows + 1] = tl.summary("run-ok", 5)
    for _ = 1, 5 do rows[#rows + 1] = tl.capture() end
    local doc = report(rows)
    assert.same({}, doc.findings)
    assert.equal("ok", doc.quality_severity)
    assert.equal(0, doc.nullability.broken)
  end)

  it("a reference-era log: legacy rows judged as legacy, modern rows by their kinds; no finding", function()
    local rows = ref.bash_era()
    for _, r in ipairs(ref.rust_era()) do rows[#rows + 1] = r end
    local doc = report(rows)
    assert.same({ capture = 10, structured = 5, runall_summary = 1, convergence = 1, legacy = 4, other = 2 },
      doc.row_kinds.kinds)
    assert.equal(1, doc.row_kinds.contexts.task_attempt)
    -- the legacy rows lack execution_id: not a gap, modern rows are the ones that must carry it
    local id = field(doc, "execution_id")
    assert.same({ "complete", 19, 19 }, { id.class, id.expected_rows, id.carried })
    assert.same({ "complete", 4 }, { field(doc, "ts|timestamp").class, field(doc, "ts|timestamp").expected_rows })
    assert.equal("complete", field(doc, "repo_root").class)
    assert.same({}, doc.findings)
    assert.equal("ok", doc.quality_severity)
    -- keys only the bash rows had are an upgrade, not a loss
    for _, v in ipairs(doc.drift.keys_vanished) do
      assert.is_true(v.legacy_only, v.key)
      assert.truthy(v.diagnostic:find("moved on from the bash implementation", 1, true))
    end
    -- the reference's own verdict is unchanged: legacy rows lack the strict keys
    assert.equal("critical", doc.severity)
    assert.is_true(doc.strict_violations > 0)
  end)

  it("expectations are the policy's: an override adds one, tunes a cut-off, disables a rule", function()
    local pdir = dir .. "/policies"
    os.execute("mkdir -p " .. h.quote(pdir))
    h.write(pdir .. "/telemetry.lua", [[
return {
  extends = true,
  thresholds = { complete_min_pct = 90, ["expect.other"] = "llm_model" },
  rules = { { id = "retry_reason_missing", disabled = true } },
}
]])
    local doc, result = report(tl.runall_defects(), 200, { rules = { policies_dir = pdir } })
    assert.equal("complete", field(doc, "queue_ms").class)
    assert.equal(90, doc.completeness.complete_min_pct)
    local m = field(doc, "llm_model")
    assert.same({ "absent", 16, { "other" } }, { m.class, m.expected_rows, m.groups })
    assert.same({ "expected_field_incomplete", "queue_ms_missing", "attempt_unfinished", "run_summary_missing" },
      tl.ids(doc.findings))
    assert.equal("critical", finding(doc, "expected_field_incomplete").severity)
    assert.truthy(finding(doc, "expected_field_incomplete").message:find("other.llm_model absent", 1, true))
    assert.falsy(finding(doc, "expected_field_incomplete").message:find("queue_ms", 1, true))
    local disabled
    for _, r in ipairs(result.rules) do
      if r.id == "retry_reason_missing" then disabled = r.disabled end
    end
    assert.is_true(disabled)
    assert.equal(2, #doc.policy.files)
    -- a group cx does not know is reported, not silently ignored
    h.write(pdir .. "/telemetry.lua", 'return { extends = true, thresholds = { ["expect.captur"] = "x" } }\n')
    assert.same({ "expect.captur" }, report(tl.runall_defects(), 200, { rules = { policies_dir = pdir } })
      .nullability.unknown_groups)
  end)

  it("a broken override is an error naming its file and line", function()
    local pdir = dir .. "/policies"
    os.execute("mkdir -p " .. h.quote(pdir))
    h.write(pdir .. "/telemetry.lua", "return {\n  extends = true,\n  thresholds = { complete_min_pct = 'all' },\n}\n")
    local path = dir .. "/runs.jsonl"
    h.write(path, tl.text(tl.runall_defects()))
    local doc, err = telemetry.file(path, 200, { rules = { policies_dir = pdir } })
    assert.is_nil(doc)
    assert.truthy(err:find("telemetry.lua:3: threshold 'complete_min_pct' must be a number", 1, true), err)
  end)
end)

describe("telemetry quality streams", function()
  local window = require "cx.logs.window"
  local population = require "cx.logs.population"
  local quality = require "cx.logs.quality"
  local runlog = require "cx.runlog"
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function()
    window.BATCH = 512
    population.EVIDENCE_ROWS_MAX = 4096
    population.SHAPES_MAX = 4096
    h.rm(dir)
  end)

  local NONE = { rules = { policies_dir = "/nonexistent" } }

  it("gives the report of the rows the tail reader returns, for any window and batch size", function()
    math.randomseed(7)
    local lines = {}
    local rows = drifting_rows()
    for _, r in ipairs(tl.runall_defects()) do rows[#rows + 1] = r end
    for i, r in ipairs(rows) do
      local x = math.random(1, 10)
      if x == 1 then lines[#lines + 1] = "garbage " .. i end
      if x == 2 then lines[#lines + 1] = "" end
      if x == 3 then lines[#lines + 1] = "[" .. i .. "]" end
      lines[#lines + 1] = json.encode(r)
    end
    local path = dir .. "/runs.jsonl"
    h.write(path, table.concat(lines, "\n") .. "\n")
    for _, batch in ipairs({ 1, 7, 512 }) do
      window.BATCH = batch
      for _, n in ipairs({ 1, 2, 9, 40, 77, 1000 }) do
        local got = assert(telemetry.file(path, n, NONE))
        local read, info = assert(runlog.read_window(n, path))
        local lines_at = {}
        local nums = assert(require("cx.core").runlog.line_numbers(path, info.offsets))
        for i = 1, #read do lines_at[i] = nums[i] end
        local acc = quality.of_rows(read, info.offsets, lines_at)
        local want = quality.report(acc, assert(quality.evaluate(acc, { window = n, log_file = path }, NONE.rules)))
        for k, v in pairs(want) do
          assert.equal(json.encode(v), json.encode(got[k]), "batch " .. batch .. " window " .. n .. " key " .. k)
        end
      end
    end
  end)

  it("rows of a shape seen before are tallied and give the same numbers and evidence as rows walked", function()
    -- 30 rows of one shape; a key outside the contract on line 31; the old shape again (those rows
    -- lack the new key: evidence); a float where integers were (a new shape, a type change)
    local rows = {}
    for i = 1, 80 do
      local f = {}
      if i == 31 then f.x_new = 1 end
      if i > 60 then f.duration_ms = 12.5 end
      if i > 70 then f.prompt_sha256 = json.null end
      rows[i] = tl.capture(f)
    end
    local path = dir .. "/runs.jsonl"
    h.write(path, tl.text(rows))
    for _, max in ipairs({ 4096, 2, 0 }) do -- the shapes settled are capped: later rows are walked
      population.SHAPES_MAX = max
      local loc = assert(window.locate(path, 1000))
      local shaped, walked = population.new(loc.count), population.new(loc.count)
      assert(window.each(loc, function(row, offset, lineno, shape)
        assert.equal(row.x_new == nil, type(shape) == "string")
        population.add(shaped, row, offset, lineno, shape)
        population.add(walked, row, offset, lineno)
      end, { shape = true }))
      local tallied = 0
      for _, c in ipairs(shaped.cell_order) do
        for _, n in pairs(c.tally) do tallied = tallied + n end
      end
      assert.is_true(max == 0 and tallied == 0 or max == 2 and tallied > 0 or tallied > 30, "rows tallied: " .. tallied)
      for _, name in ipairs({ "all", "capture.ok", "modern" }) do
        local a, b = population.group(shaped, name), population.group(walked, name)
        assert.same(b.non_null, a.non_null)
        assert.same(b.null, a.null)
        assert.same(json.encode(b.missing), json.encode(a.missing))
      end
      -- the rows after the new key lack it (its absence is looked for from there on)
      assert.same({ 32, 33, 34, 35, 36, 37, 38, 39, 40, 41 }, lines_of(population.group(shaped, "all").missing.x_new))
      assert.same(json.encode(population.type_changes(walked)), json.encode(population.type_changes(shaped)))
      local change = population.type_changes(shaped)[1]
      assert.same({ "duration_ms", { "integer" }, { "float", "integer" } }, { change.key, change.older, change.newer })
      assert.same(json.encode(population.halves(walked)), json.encode(population.halves(shaped)))
    end
  end)

  it("keeps counts exact and evidence bounded when the evidence budget is spent", function()
    population.EVIDENCE_ROWS_MAX = 3
    local path = dir .. "/runs.jsonl"
    h.write(path, tl.text(tl.runall_defects()))
    local doc = assert(telemetry.file(path, 200, NONE))
    local q = doc.quality_rollups
    assert.same({ 1, 1, 1 }, { q.queue.without_queue_ms, q.attempts.retries_without_reason,
      q.attempts.started_not_finished })
    assert.equal(1, item(doc, "runall_attempt", "queue_ms").breaks)
    local kept = {}
    local function note(list)
      for _, e in ipairs(list) do kept[(e.line or 0)] = true end
    end
    for _, x in ipairs(doc.nullability.items) do note(x.evidence) end
    note(q.queue.evidence)
    note(q.attempts.started_not_finished_evidence)
    local n = 0
    for _ in pairs(kept) do n = n + 1 end
    assert.is_true(n <= 3, "rows kept as evidence: " .. n)
  end)
end)

describe("the telemetry JSON contract fixture", function()
  local contract = require "helpers.contract"
  it("holds for a log with defects of every kind and for a reference-era log", function()
    local dir = h.tmpdir()
    local fixture = contract.load("telemetry_json_contract.json")
    local rows = drifting_rows()
    for _, r in ipairs(tl.runall_defects()) do rows[#rows + 1] = r end
    for _, set in ipairs({ rows, ref.rust_era() }) do
      h.write(dir .. "/runs.jsonl", tl.text(set))
      local doc = assert(telemetry.file(dir .. "/runs.jsonl", 200, { rules = { policies_dir = dir } }))
      doc = json.decode(json.encode(doc))
      assert.same({}, contract.check_shape(doc, fixture))
      assert.equal(fixture.contract_version, doc.contract_version)
      assert.equal(fixture.quality_contract_version, doc.quality_contract_version)
    end
    h.rm(dir)
  end)
end)
