-- Telemetry rules: what `cx logs stats` / `cx telemetry` report as findings about the run log's
-- own telemetry (docs/logs.md "Telemetry quality"): fields the rows of a kind must carry, drift
-- between the older and the newer half of the window, and the scheduler's queue, attempt, worker
-- and run bookkeeping.
--
-- Expectations are thresholds, so a repository tunes them like any other value:
--   ["never_null.<group>"] = "field field ..."   every row of the group carries each field, non-null
--                                                (a break is critical)
--   ["expect.<group>"]     = "field field ..."   the rows of the group should carry each field; the
--                                                field's completeness class says how far they do
-- A group is a row kind (capture, structured, runall_summary, convergence, legacy, other), a
-- scheduling context (runall_attempt, task_run, task_attempt), `<kind>.ok` / `<kind>.failed`, an
-- outcome (failed, timed_out, schema_failure), `modern` (every kind but legacy) or `all`.
-- `ts|timestamp` and `tool|command` (the legacy pairs) are carried when either key is.
-- Completeness classes: complete (at least complete_min_pct % of the rows that must carry the
-- field do), partial (at least partial_min_pct %), sparse (some), absent (none).
--
-- Input (plain data, built while the window streams; evidence items are {execution_id, line,
-- offset, tool, kind}):
--   input.groups[name]   = { rows, non_null = {field = n}, null = {field = n},
--                            missing = {field = first rows lacking it}, first = first rows }
--   input.halves[name]   = { older = {rows, non_null}, newer = {rows, non_null, missing} }
--                          (kinds' `.ok` groups and the contexts, when both halves have rows)
--   input.keys           = { appeared = { {key, rows, contract, legacy_only, evidence} },
--                            vanished = { {key, rows, contract, strict, legacy_only, carried_by = {kinds},
--                                          newer_rows_of_those_kinds, kinds_gone, evidence} } }
--   input.type_changes   = { {key, older = {types}, newer = {types}, evidence} }
--   input.rollups        = { queue, attempts, workers, runs } (docs/logs.md "Quality rollups")
--   input.window, input.window_runs, input.log_file
--
-- Override in .codex/policies/telemetry.lua with `extends = true` (see policies/examples/).

local CLASS_RANK = { complete = 0, partial = 1, sparse = 2, absent = 3, none = 4 }

local function words(list)
  local out = {}
  for w in tostring(list):gmatch("[^%s,]+") do out[#out + 1] = w end
  return out
end

-- The expectations of one family ("never_null" or "expect"): { {group, field} }, sorted.
local function expectations(t, family)
  local out = {}
  for name, list in pairs(t) do
    local group = type(name) == "string" and name:match("^" .. family .. "%.(.+)$")
    if group and type(list) == "string" then
      for _, f in ipairs(words(list)) do out[#out + 1] = { group = group, field = f } end
    end
  end
  table.sort(out, function(a, b)
    if a.group ~= b.group then return a.group < b.group end
    return a.field < b.field
  end)
  return out
end

-- Whether the rows of group must carry field: an expectation of either family names the group,
-- its kind (for `<kind>.ok`), `modern` (for every kind but legacy) or `all`.
local function expected(t, group, field)
  local kind = group:match("^([^.]+)%.") or group
  local names = { group, kind, "all" }
  if kind ~= "legacy" then names[#names + 1] = "modern" end
  for _, name in ipairs(names) do
    for _, family in ipairs({ "never_null", "expect" }) do
      local list = t[family .. "." .. name]
      if type(list) == "string" then
        for _, f in ipairs(words(list)) do
          if f == field then return true end
        end
      end
    end
  end
  return false
end

local function class_of(carried, rows, t)
  if rows == 0 then return nil end
  if carried * 100 >= t.complete_min_pct * rows then return "complete" end
  if carried * 100 >= t.partial_min_pct * rows then return "partial" end
  if carried > 0 then return "sparse" end
  return "absent"
end

-- The first n items of a list as "a, b, c (+k more)".
local function some(items, n)
  local shown = {}
  for i = 1, math.min(n or 6, #items) do shown[i] = items[i] end
  local text = table.concat(shown, "; ")
  if #items > #shown then text = text .. string.format(" (+%d more)", #items - #shown) end
  return text
end

-- Evidence rows gathered from several lists: each row once, in log order.
local function evidence_set()
  local list, seen = {}, {}
  return {
    add = function(rows)
      for _, e in ipairs(rows or {}) do
        if not seen[e] then
          seen[e] = true
          list[#list + 1] = e
        end
      end
    end,
    rows = function()
      table.sort(list, function(a, b) return (a.index or 0) < (b.index or 0) end)
      return list
    end,
  }
end

-- A rollup rule: fires when count exceeds the threshold named max_name.
local function rollup_rule(id, max_name, read)
  return {
    id = id,
    severity = "warning",
    check = function(input, t)
      local count, evidence, message = read(input.rollups)
      if count <= t[max_name] then return nil end
      return { message = message, evidence = evidence }
    end,
  }
end

return {
  thresholds = {
    complete_min_pct = 100, -- complete: at least this share of the rows that must carry a field do
    partial_min_pct = 50, -- partial: at least this share (below: sparse when some do, absent when none)
    critical_class = "sparse", -- an expected field in this class or worse makes the finding critical
    min_rows = 1, -- a group's expectations are judged from this many rows
    drift_min_rows = 20, -- rows a group needs in each half before its population drift is judged
    drift_population_pct = 30, -- a field whose population moved by this many points drifted
    queue_missing_max = 0, -- scheduled rows (with a worker) without queue_ms tolerated
    retry_reason_missing_max = 0, -- retries (attempt > 1) without retry_reason tolerated
    unfinished_attempts_max = 0, -- rows with attempt_started_ms and no attempt_finished_ms tolerated
    attempts_over_max_max = 0, -- rows with retry_attempt beyond retry_max + 1 tolerated
    finished_before_started_max = 0, -- rows whose attempt_finished_ms is before attempt_started_ms tolerated
    runs_without_summary_max = 0, -- run-all runs (not the latest) without a summary row tolerated

    -- What every row must carry: the base fields both implementations always write, and the
    -- legacy pairs of the bash implementation's rows.
    ["never_null.modern"] = "execution_id timestamp ts command tool cwd scope repo_root backend_used llm_backend "
      .. "execution_mode schema_enforced schema_valid schema_ok",
    ["never_null.legacy"] = "ts|timestamp tool|command repo_root",
    -- What rows of a kind, a context or an outcome should carry.
    ["expect.modern"] = "backend_selected route_policy route_reason",
    ["expect.capture"] = "adapter_type provider_transport duration_ms",
    ["expect.capture.ok"] = "capture_provider system_output_len_raw system_output_len_processed "
      .. "system_output_len_clipped system_output_lines_raw system_output_lines_processed "
      .. "system_output_lines_clipped clipped budget_chars budget_lines prompt_sha256 prompt_len_raw",
    ["expect.structured"] = "adapter_type provider_transport",
    ["expect.structured.ok"] = "schema_name duration_ms",
    ["expect.failed"] = "schema_reason",
    ["expect.timed_out"] = "timeout_secs command_label",
    ["expect.schema_failure"] = "quarantine_id",
    ["expect.runall_attempt"] = "task_id worker_id queue_ms retry_attempt retry_max run_id wave "
      .. "attempt_started_ms attempt_finished_ms run_offset_ms",
    ["expect.task_run"] = "task_id run_id attempt_started_ms attempt_finished_ms",
    ["expect.task_attempt"] = "task_id retry_attempt retry_max",
    ["expect.runall_summary"] = "run_all_mode run_all_scheduled run_all_complete run_all_failed run_all_blocked "
      .. "run_all_retryable_failures run_all_non_retryable_failures run_all_critical_errors halt_on_critical "
      .. "command_label duration_ms",
    ["expect.convergence"] = "task_id converge_mode converge_winner converge_votes command_label duration_ms",
  },

  rules = {
    {
      -- Nullability: a field every row of a group must carry is null or absent in some.
      id = "never_null_broken",
      severity = "critical",
      check = function(input, t)
        local broken, evidence = {}, evidence_set()
        for _, x in ipairs(expectations(t, "never_null")) do
          local g = input.groups[x.group]
          if g and g.rows >= t.min_rows then
            local carried = g.non_null[x.field] or 0
            if carried < g.rows then
              broken[#broken + 1] = string.format("%s.%s missing in %d of %d rows", x.group, x.field,
                g.rows - carried, g.rows)
              evidence.add(g.missing[x.field] or g.first)
            end
          end
        end
        if #broken == 0 then return nil end
        return { message = "Fields every row must carry are null or absent: " .. some(broken) .. ".",
          evidence = evidence.rows() }
      end,
    },
    {
      -- Completeness: the rows of a group carry an expected field less often than complete_min_pct.
      -- Severity: critical when a field is critical_class or worse (sparse, absent), else warning.
      id = "expected_field_incomplete",
      severity = "warning",
      check = function(input, t)
        local gaps, evidence, severity = {}, evidence_set(), "warning"
        local floor = CLASS_RANK[t.critical_class] or CLASS_RANK.none
        for _, x in ipairs(expectations(t, "expect")) do
          local g = input.groups[x.group]
          if g and g.rows >= t.min_rows then
            local carried = g.non_null[x.field] or 0
            local class = class_of(carried, g.rows, t)
            if class ~= "complete" then
              gaps[#gaps + 1] = string.format("%s.%s %s (%d of %d rows)", x.group, x.field, class, carried, g.rows)
              evidence.add(g.missing[x.field] or g.first)
              if CLASS_RANK[class] >= floor then severity = "critical" end
            end
          end
        end
        if #gaps == 0 then return nil end
        return { severity = severity, message = "Rows lack fields their kind should carry: " .. some(gaps) .. ".",
          evidence = evidence.rows() }
      end,
    },
    {
      -- Drift: an expected field is carried by fewer of a group's rows in the newer half.
      id = "expected_field_drift",
      severity = "warning",
      check = function(input, t)
        local drops, evidence = {}, evidence_set()
        local names = {}
        for name in pairs(input.halves) do names[#names + 1] = name end
        table.sort(names)
        for _, name in ipairs(names) do
          local h = input.halves[name]
          if h.older.rows >= t.drift_min_rows and h.newer.rows >= t.drift_min_rows then
            local fields = {}
            for f in pairs(h.older.non_null) do fields[#fields + 1] = f end
            table.sort(fields)
            for _, f in ipairs(fields) do
              local a = (h.older.non_null[f] or 0) * 100 / h.older.rows
              local b = (h.newer.non_null[f] or 0) * 100 / h.newer.rows
              if a - b >= t.drift_population_pct and expected(t, name, f) then
                drops[#drops + 1] = string.format("%s.%s %.0f%% -> %.0f%%", name, f, a, b)
                evidence.add(h.newer.missing[f])
              end
            end
          end
        end
        if #drops == 0 then return nil end
        return { message = "Expected fields are carried less often in the newer half of the window: " ..
          some(drops) .. ".", evidence = evidence.rows() }
      end,
    },
    {
      -- A key the older half's rows carried and the newer half's rows of the same kinds do not (a
      -- key whose kinds of rows are all gone is a change of mix, and one only legacy rows carried
      -- an upgrade: neither is a loss). Critical for the 33 strict keys.
      id = "key_vanished",
      severity = "warning",
      check = function(input)
        local gone, evidence, severity = {}, evidence_set(), "warning"
        for _, k in ipairs(input.keys.vanished) do
          if not k.kinds_gone and not k.legacy_only then
            gone[#gone + 1] = string.format("%s (%d rows)", k.key, k.rows)
            evidence.add(k.evidence)
            if k.strict then severity = "critical" end
          end
        end
        if #gone == 0 then return nil end
        return { severity = severity, message = "Keys vanished from the newer half of the window: " ..
          some(gone) .. ".", evidence = evidence.rows() }
      end,
    },
    {
      -- A key outside the row contract appeared (contract keys appear with an upgrade: additive;
      -- keys only legacy rows carry are the bash implementation's, kept by logs migrate).
      id = "unknown_key_appeared",
      severity = "warning",
      check = function(input)
        local new, evidence = {}, evidence_set()
        for _, k in ipairs(input.keys.appeared) do
          if not k.contract and not k.legacy_only then
            new[#new + 1] = string.format("%s (%d rows)", k.key, k.rows)
            evidence.add(k.evidence)
          end
        end
        if #new == 0 then return nil end
        return { message = "Keys outside the row contract appeared in the newer half: " .. some(new) .. ".",
          evidence = evidence.rows() }
      end,
    },
    {
      id = "type_changed",
      severity = "warning",
      check = function(input)
        local changed, evidence = {}, evidence_set()
        for _, c in ipairs(input.type_changes) do
          changed[#changed + 1] = string.format("%s %s -> %s", c.key, table.concat(c.older, "|"),
            table.concat(c.newer, "|"))
          evidence.add(c.evidence)
        end
        if #changed == 0 then return nil end
        return { message = "Fields changed JSON type between the halves of the window: " .. some(changed) .. ".",
          evidence = evidence.rows() }
      end,
    },
    rollup_rule("queue_ms_missing", "queue_missing_max", function(r)
      local q = r.queue
      return q.without_queue_ms, q.evidence, string.format(
        "%d of %d rows a scheduler placed on a worker have no queue_ms.", q.without_queue_ms, q.scheduled_rows)
    end),
    rollup_rule("retry_reason_missing", "retry_reason_missing_max", function(r)
      local a = r.attempts
      return a.retries_without_reason, a.retries_without_reason_evidence, string.format(
        "%d of %d retries (retry_attempt > 1) have no retry_reason.", a.retries_without_reason, a.retries)
    end),
    rollup_rule("attempt_unfinished", "unfinished_attempts_max", function(r)
      local a, w = r.attempts, r.workers
      return a.started_not_finished, a.started_not_finished_evidence, string.format(
        "%d of %d attempts have attempt_started_ms and no attempt_finished_ms (%d worker(s) affected).",
        a.started_not_finished, a.started, w.workers_with_unfinished)
    end),
    rollup_rule("attempt_over_max", "attempts_over_max_max", function(r)
      local a = r.attempts
      return a.attempts_over_max, a.attempts_over_max_evidence, string.format(
        "%d rows have a retry_attempt beyond retry_max + 1.", a.attempts_over_max)
    end),
    rollup_rule("attempt_time_inverted", "finished_before_started_max", function(r)
      local a = r.attempts
      return a.finished_before_started, a.finished_before_started_evidence, string.format(
        "%d of %d attempts have attempt_finished_ms before attempt_started_ms (a clock step or a writer bug).",
        a.finished_before_started, a.started)
    end),
    rollup_rule("run_summary_missing", "runs_without_summary_max", function(r)
      local runs, evidence, ids = r.runs.without_summary, {}, {}
      for _, run in ipairs(runs) do
        ids[#ids + 1] = string.format("%s (%d rows)", run.run_id, run.rows)
        if run.first then evidence[#evidence + 1] = run.first end
      end
      return #runs, evidence, string.format("%d run-all run(s) wrote attempts and no summary row: %s.", #runs,
        some(ids))
    end),
  },
}
