--- Telemetry quality of a window of run-log rows (`logs stats`, `telemetry`): what each kind of
--- row must carry and how far it does (completeness classes, nullability breaks), drift between the
--- older and the newer half of the window, and the scheduler's queue / attempt / worker / run
--- rollups. The window streams through cx.logs.population and cx.logs.rollups (bounded memory);
--- their compact aggregates and bounded row excerpts go to ONE evaluation of the telemetry rule
--- policy (policies/telemetry.lua, composed with the repository's override), whose thresholds —
--- the expectations and cut-offs — then shape the report blocks. docs/logs.md "Telemetry quality".
local core = require "cx.core"
local json = require "cx.json"
local contract = require "cx.log_contract"
local rowkind = require "cx.logs.rowkind"
local population = require "cx.logs.population"
local rollups = require "cx.logs.rollups"
local policy_rules = require "cx.policy_rules"

local array = json.array

local quality = {}

quality.VERSION = "telemetry_quality.v1"
quality.POLICY = "telemetry"
quality.FAMILIES = { "never_null", "expect" }
quality.LIST_MAX = 20 -- items of a list in the report (a count beside it has the total)
--- Rows get line numbers when that reads at most this much of the log before the window (a window
--- of the whole file always has them); beyond it the byte offset and the execution id locate them.
quality.LINE_SCAN_MAX = 64 * 1024 * 1024

local STRICT = {}
for _, k in ipairs(contract.STRICT_KEYS) do STRICT[k] = true end

-- Population drift is judged over the successful rows of each kind and over each context.
local DRIFT_GROUPS = {}
for _, k in ipairs(rowkind.KINDS) do DRIFT_GROUPS[#DRIFT_GROUPS + 1] = k .. ".ok" end
for _, c in ipairs(rowkind.CONTEXTS) do DRIFT_GROUPS[#DRIFT_GROUPS + 1] = c end

--- A fresh accumulator for a window of `total` rows.
function quality.new(total)
  return { pop = population.new(total), roll = rollups.new() }
end

--- Count one decoded row at byte offset / line (either may be nil), in file order; shape: the
--- row's shape from contract:decode (optional: rows of a shape seen before count faster).
function quality.add(acc, row, offset, line, shape)
  local pop = acc.pop
  population.add(pop, row, offset, line, shape)
  rollups.add(acc.roll, row, function() return population.excerpt(pop, row) end)
end

local function is_contract(k)
  return contract.TYPES[k] ~= nil
end

local function by_key(a, b)
  return a.key < b.key
end

-- The kinds (kind and context) of the older half's rows that carry key k, and how many rows of
-- those kinds the newer half has: none means the rows that wrote k simply are not there any more.
local function carriers(pop, k)
  local kinds, names = {}, {}
  for _, c in ipairs(population.cells(pop)) do
    if c.half == 1 and ((c.non_null[k] or 0) + (c.null[k] or 0)) > 0 then
      local name = c.context == "none" and c.kind or (c.kind .. "/" .. c.context)
      if not kinds[name] then names[#names + 1] = name end
      kinds[name] = true
    end
  end
  local newer = 0
  for _, c in ipairs(population.cells(pop)) do
    local name = c.context == "none" and c.kind or (c.kind .. "/" .. c.context)
    if c.half == 2 and kinds[name] then newer = newer + c.rows end
  end
  table.sort(names)
  return names, newer
end

-- Keys of one half that the other lacks (the reference's contract_drift, with counts and rows).
local function key_changes(pop)
  local appeared, vanished = {}, {}
  if pop.half == 0 or pop.index <= pop.half then return { appeared = appeared, vanished = vanished } end
  local h = population.halves(pop)
  for k, n in pairs(h.newer) do
    if not h.older[k] then
      local e = h.appeared[k]
      appeared[#appeared + 1] = { key = k, rows = n, contract = is_contract(k),
        legacy_only = (h.newer_legacy[k] or 0) == n, evidence = { e or nil } }
    end
  end
  for k, n in pairs(h.older) do
    if not h.newer[k] then
      local kinds, newer_rows = carriers(pop, k)
      vanished[#vanished + 1] = { key = k, rows = n, contract = is_contract(k), strict = STRICT[k] == true,
        legacy_only = (h.older_legacy[k] or 0) == n, carried_by = kinds, newer_rows_of_those_kinds = newer_rows,
        kinds_gone = newer_rows == 0, evidence = { h.first_newer or nil } }
    end
  end
  table.sort(appeared, by_key)
  table.sort(vanished, by_key)
  return { appeared = appeared, vanished = vanished }
end

local function older(c) return c.half == 1 end
local function newer(c) return c.half == 2 end

--- The input of the telemetry policy (docs/policies.md "The telemetry policy"). ctx: {window,
--- log_file}. Kept in acc for quality.report.
function quality.input(acc, ctx)
  local pop = acc.pop
  local groups = {}
  for _, name in ipairs(rowkind.GROUPS) do
    local g = population.group(pop, name)
    if g.rows > 0 then groups[name] = g end
  end
  local halves = {}
  for _, name in ipairs(DRIFT_GROUPS) do
    if groups[name] then
      local a, b = population.group(pop, name, older), population.group(pop, name, newer)
      if a.rows > 0 and b.rows > 0 then
        halves[name] = { older = { rows = a.rows, non_null = a.non_null },
          newer = { rows = b.rows, non_null = b.non_null, missing = b.missing } }
      end
    end
  end
  acc.input = {
    window = ctx.window, log_file = ctx.log_file, window_runs = pop.index, objects = pop.objects,
    groups = groups, halves = halves, keys = key_changes(pop), type_changes = population.type_changes(pop),
    rollups = rollups.finish(acc.roll), vars = { W = ctx.window },
  }
  return acc.input
end

--- Evaluate the telemetry policy over the window once. opts: cx.policy_rules options (policies_dir,
--- file, ...). Returns its result or nil, message, class.
function quality.evaluate(acc, ctx, opts)
  return policy_rules.evaluate(quality.POLICY, quality.input(acc, ctx), opts)
end

-- expectations ----------------------------------------------------------------------------------

--- The expectations in a policy's thresholds: `never_null.<group>` / `expect.<group>` = "field ...".
--- Returns { {family, group, field} } (sorted by group, field) and the threshold names whose group
--- cx does not know (sorted).
function quality.expectations(t)
  local list, unknown = {}, {}
  for name, value in pairs(t or {}) do
    local family, group = tostring(name):match("^([%w_]+)%.(.+)$")
    if family == "never_null" or family == "expect" then
      if not rowkind.IS_GROUP[group] then
        unknown[#unknown + 1] = name
      elseif type(value) == "string" then
        for f in value:gmatch("[^%s,]+") do list[#list + 1] = { family = family, group = group, field = f } end
      end
    end
  end
  table.sort(list, function(a, b)
    if a.group ~= b.group then return a.group < b.group end
    if a.field ~= b.field then return a.field < b.field end
    return a.family < b.family
  end)
  table.sort(unknown)
  return list, unknown
end

--- The completeness class of a field carried by `carried` of `rows` rows (nil when rows is 0):
--- complete, partial, sparse or absent, by the thresholds complete_min_pct and partial_min_pct.
function quality.class(carried, rows, t)
  if rows == 0 then return nil end
  if carried * 100 >= t.complete_min_pct * rows then return "complete" end
  if carried * 100 >= t.partial_min_pct * rows then return "partial" end
  if carried > 0 then return "sparse" end
  return "absent"
end

--- Whether the rows of group must carry field (as the policy reads it): an expectation names the
--- group, its kind (for `<kind>.ok`), `modern` (every kind but legacy) or `all`.
function quality.expected(exps, group, field)
  local kind = group:match("^([^.]+)%.") or group
  for _, x in ipairs(exps) do
    if x.field == field and (x.group == group or x.group == kind or x.group == "all"
      or (x.group == "modern" and kind ~= "legacy")) then
      return true
    end
  end
  return false
end

-- report ----------------------------------------------------------------------------------------

local function pct(n, d)
  if d == 0 then return 0.0 end
  return math.floor(n * 1000 / d + 0.5) / 10
end

local function evidence(list, max)
  local out = {}
  for _, e in ipairs(list or {}) do
    if #out == (max or quality.LIST_MAX) then break end
    out[#out + 1] = { execution_id = e.execution_id, line = e.line, offset = e.offset }
  end
  return array(out)
end

-- "line 12 (execution id x)" / "offset 4096 (...)" for a diagnostic.
local function at(e)
  if not e then return nil end
  local where = e.line and ("line " .. e.line) or (e.offset and ("offset " .. e.offset)) or "an unnumbered row"
  if e.execution_id then where = where .. " (execution id " .. e.execution_id .. ")" end
  return where
end

-- What writes a field: where a diagnostic sends the reader.
local HINTS = {
  { "^queue_ms$", "the scheduler's queue wait (every attempt of `cx task run-all`; CX_TASK_QUEUE_MS for the "
    .. "earlier implementation)" },
  { "^worker_id$", "the worker slot of `cx task run-all` (CX_TASK_WORKER_ID)" },
  { "^retry_", "the scheduler's retry bookkeeping (`cx task run-all`: attempt, max, reason, backoff)" },
  { "^attempt_", "the attempt clock of `cx task run` / `run-all`" },
  { "^run_id$", "the run id `cx task run` / `run-all` stamps on its rows" },
  { "^run_offset_ms$", "the run-all driver's clock" },
  { "^wave$", "the task's plan wave (`cx task run-plan`)" },
  { "^run_all_", "the run-all summary row" },
  { "^halt_on_critical$", "the run-all summary row" },
  { "^task_", "the task context (CX_TASK_ID, or state.json runtime.current_task_id)" },
  { "^converge_", "task replicas and their convergence" },
  { "^replica_", "task replicas and their convergence" },
  { "tokens$", "the provider's usage report (does the adapter return token usage?)" },
  { "^system_output_", "the capture of the command's output" },
  { "^clip", "the capture budget and clipping" },
  { "^budget_", "the capture budget and clipping" },
  { "^capture_provider$", "the capture of the command's output" },
  { "^prompt_", "prompt hashing and the prompt filter" },
  { "^schema_", "the schema checks of structured commands" },
  { "^quarantine_id$", "the quarantine of schema failures" },
  { "^http_", "the HTTP adapter (CX_HTTP_PROVIDER_FORMAT, the provider's answers)" },
  { "^timed_out$", "timeouts (the process killed and its limit)" },
  { "^timeout_secs$", "timeouts (the process killed and its limit)" },
  { "^command_label$", "timeouts and the task summaries (the labelled process)" },
  { "^policy_", "fix-run's command policy" },
  { "^adapter_", "the adapter that ran (CX_PROVIDER_ADAPTER)" },
  { "^provider_", "the adapter that ran (CX_PROVIDER_ADAPTER)" },
  { "^failure_class$", "the failure classes of failed runs" },
  { "^duration_ms$", "the run's timing" },
}

--- Where to look when a field misbehaves (a phrase for diagnostics).
function quality.hint(field)
  for _, h in ipairs(HINTS) do
    if tostring(field):find(h[1]) then return h[2] end
  end
  return "the writer of these rows"
end

local function row_kinds(pop)
  local kinds, contexts, outcomes = {}, {}, {}
  for _, k in ipairs(rowkind.KINDS) do kinds[k] = 0 end
  for _, c in ipairs(rowkind.CONTEXTS) do contexts[c] = 0 end
  contexts.none = 0
  for _, o in ipairs(rowkind.OUTCOMES) do outcomes[o] = 0 end
  for _, c in ipairs(population.cells(pop)) do
    kinds[c.kind] = kinds[c.kind] + c.rows
    contexts[c.context] = contexts[c.context] + c.rows
    outcomes[c.outcome] = outcomes[c.outcome] + c.rows
  end
  return { kinds = kinds, contexts = contexts, outcomes = outcomes, objects = pop.objects,
    non_objects = pop.non_objects }
end

-- Every field the report lists: the contract's keys, the legacy pairs, every key seen, every key
-- expected; contract order first, then the rest sorted.
local function field_universe(pop, exps)
  local out, seen = {}, {}
  local function add(k)
    if not seen[k] then seen[k] = true; out[#out + 1] = k end
  end
  for _, k in ipairs(contract.ROW_KEYS) do add(k) end
  for _, k in ipairs(contract.OPTIONAL_KEYS) do add(k) end
  for _, k in ipairs(population.PAIRS) do add(k) end
  local rest = {}
  for k in pairs(pop.known) do if not seen[k] then rest[#rest + 1] = k end end
  for _, x in ipairs(exps) do if not seen[x.field] then rest[#rest + 1] = x.field end end
  table.sort(rest)
  for _, k in ipairs(rest) do add(k) end
  return out
end

local function completeness(pop, exps, t)
  local groups_of = {}
  for _, x in ipairs(exps) do
    local g = groups_of[x.field] or {}
    g[x.group] = true
    groups_of[x.field] = g
  end
  local fields = {}
  for _, f in ipairs(field_universe(pop, exps)) do
    local expected_rows, carried, window_nn = 0, 0, 0
    local gs = groups_of[f]
    for _, c in ipairs(population.cells(pop)) do
      local nn = c.non_null[f] or 0
      window_nn = window_nn + nn
      if gs then
        for g in pairs(gs) do
          if rowkind.member(g, c.kind, c.context, c.outcome) then
            expected_rows, carried = expected_rows + c.rows, carried + nn
            break
          end
        end
      end
    end
    local names = {}
    for g in pairs(gs or {}) do names[#names + 1] = g end
    table.sort(names)
    fields[#fields + 1] = {
      field = f,
      class = quality.class(carried, expected_rows, t) or json.null,
      expected_rows = expected_rows,
      carried = carried,
      population_pct = pct(carried, expected_rows),
      groups = array(names),
      window_rows = pop.objects,
      window_non_null = window_nn,
      window_class = quality.class(window_nn, pop.objects, t) or json.null,
    }
  end
  return { complete_min_pct = t.complete_min_pct, partial_min_pct = t.partial_min_pct, fields = array(fields) }
end

local function nullability(input, exps, unknown, t)
  local items, broken = {}, 0
  for _, x in ipairs(exps) do
    local g = input.groups[x.group]
    if g then
      local nn, nl = g.non_null[x.field] or 0, g.null[x.field] or 0
      local breaks = g.rows - nn
      if breaks > 0 then broken = broken + 1 end
      items[#items + 1] = {
        group = x.group, field = x.field, expectation = x.family == "never_null" and "never_null" or "expected",
        rows = g.rows, non_null = nn, null = nl, absent = g.rows - nn - nl, breaks = breaks,
        class = quality.class(nn, g.rows, t),
        evidence = breaks > 0 and evidence(population.missing_rows(g, x.field)) or array({}),
        evidence_count = breaks,
      }
    end
  end
  return { expectations = #items, broken = broken, unknown_groups = array(unknown), items = array(items) }
end

local function drift_diagnostic(name, field, a, b, first)
  local where = first and (", first at " .. at(first)) or ""
  if b < a then
    return string.format("%s is carried by %.1f%% of %s rows in the older half and %.1f%% in the newer%s: "
      .. "look at %s; did the writer or its configuration change there?", field, a, name, b, where, quality.hint(field))
  end
  return string.format("%s is carried by %.1f%% of %s rows in the older half and %.1f%% in the newer: rows started "
    .. "carrying it (a new cx version or configuration writes %s).", field, a, name, b, quality.hint(field))
end

local function population_drift(input, exps, t)
  local out = {}
  local names = {}
  for name in pairs(input.halves) do names[#names + 1] = name end
  table.sort(names)
  for _, name in ipairs(names) do
    local h = input.halves[name]
    if h.older.rows >= t.drift_min_rows and h.newer.rows >= t.drift_min_rows then
      local fields, seen = {}, {}
      for _, side in ipairs({ h.older, h.newer }) do
        for f in pairs(side.non_null) do
          if not seen[f] then seen[f] = true; fields[#fields + 1] = f end
        end
      end
      table.sort(fields)
      for _, f in ipairs(fields) do
        local a_nn, b_nn = h.older.non_null[f] or 0, h.newer.non_null[f] or 0
        local a, b = a_nn * 100 / h.older.rows, b_nn * 100 / h.newer.rows
        if math.abs(b - a) >= t.drift_population_pct then
          local ev = b < a and (h.newer.missing[f] or {}) or {}
          out[#out + 1] = {
            group = name, field = f, expected = quality.expected(exps, name, f),
            older = { rows = h.older.rows, non_null = a_nn, pct = pct(a_nn, h.older.rows) },
            newer = { rows = h.newer.rows, non_null = b_nn, pct = pct(b_nn, h.newer.rows) },
            change_pct = math.floor((b - a) * 10 + 0.5) / 10,
            evidence = evidence(ev),
            diagnostic = drift_diagnostic(name, f, pct(a_nn, h.older.rows), pct(b_nn, h.newer.rows), ev[1]),
          }
        end
      end
    end
  end
  return out
end

local function appeared_item(k)
  local first = k.evidence[1]
  local where = first and (", first at " .. at(first)) or ""
  local diag
  if k.legacy_only and not k.contract then
    diag = string.format("%s appeared in %d rows of the newer half%s, all of them legacy rows (the bash "
      .. "implementation's, or rows logs migrate rewrote, which keep every key): old rows, not a new writer.", k.key,
      k.rows, where)
  elseif k.contract then
    diag = string.format("%s is absent from the older half and carried by %d rows of the newer%s: a writer started "
      .. "writing this contract key (a cx upgrade or a new code path; keys are additive, not an error).", k.key, k.rows,
      where)
  else
    diag = string.format("%s is not a row-contract key and appeared in %d rows of the newer half%s: a third-party "
      .. "writer, a typo or a newer tool writes it; cx ignores keys it does not know.", k.key, k.rows, where)
  end
  return { key = k.key, rows = k.rows, contract = k.contract, legacy_only = k.legacy_only,
    evidence = evidence(k.evidence), diagnostic = diag }
end

local function vanished_item(k)
  local diag
  if k.legacy_only then
    diag = string.format("%s was carried only by legacy rows of the older half (%d rows) and the newer half has "
      .. "none: the log moved on from the bash implementation's rows, not a loss.", k.key, k.rows)
  elseif k.kinds_gone then
    diag = string.format("%s was carried by %d rows of the older half, all of kind %s, and the newer half has no "
      .. "row of those kinds: the mix of commands changed, not a loss.", k.key, k.rows,
      table.concat(k.carried_by, ", "))
  else
    local first = k.evidence[1]
    diag = string.format("%s was carried by %d rows of the older half (kind %s) and by no row of the newer%s, which "
      .. "has %d rows of that kind: look at %s; did a writer drop it?%s", k.key, k.rows,
      table.concat(k.carried_by, ", "), first and (" (from " .. at(first) .. ")") or "", k.newer_rows_of_those_kinds,
      quality.hint(k.key), k.strict and " It is one of the 33 keys the strict contract requires." or "")
  end
  return { key = k.key, rows = k.rows, contract = k.contract, strict = k.strict, legacy_only = k.legacy_only,
    carried_by = array(k.carried_by), kinds_gone = k.kinds_gone, evidence = evidence(k.evidence), diagnostic = diag }
end

local function type_item(c)
  local first = c.evidence[1]
  return {
    key = c.key, older = array(c.older), newer = array(c.newer), evidence = evidence(c.evidence),
    diagnostic = string.format("%s held %s values in the older half and %s in the newer%s: look at %s; "
      .. "`cx logs validate` names every row whose type breaks the contract.", c.key, table.concat(c.older, "|"),
      table.concat(c.newer, "|"), first and (", first at " .. at(first)) or "", quality.hint(c.key)),
  }
end

local function drift(pop, input, exps, t)
  local appeared, vanished, types = {}, {}, {}
  for i, k in ipairs(input.keys.appeared) do appeared[i] = appeared_item(k) end
  for i, k in ipairs(input.keys.vanished) do vanished[i] = vanished_item(k) end
  for i, c in ipairs(input.type_changes) do types[i] = type_item(c) end
  return {
    older_rows = math.min(pop.half, pop.index), newer_rows = math.max(0, pop.index - pop.half),
    min_rows = t.drift_min_rows, population_pct = t.drift_population_pct,
    population = array(population_drift(input, exps, t)),
    keys_appeared = array(appeared), keys_vanished = array(vanished), type_changes = array(types),
  }
end

local function runs_list(list)
  local out = {}
  for _, r in ipairs(list) do
    if #out == quality.LIST_MAX then break end
    out[#out + 1] = { run_id = r.run_id, rows = r.rows, evidence = evidence({ r.first }) }
  end
  return array(out)
end

local function rollups_block(r)
  local a, w, runs = r.attempts, r.workers, r.runs
  local workers = {}
  for _, x in ipairs(w.workers) do
    workers[#workers + 1] = { worker_id = x.worker_id, rows = x.rows, attempts_started = x.attempts_started,
      unfinished = x.unfinished }
  end
  return {
    queue = { scheduled_rows = r.queue.scheduled_rows, with_queue_ms = r.queue.with_queue_ms,
      without_queue_ms = r.queue.without_queue_ms, evidence = evidence(r.queue.evidence) },
    attempts = {
      attempt_rows = a.attempt_rows, retries = a.retries,
      retries_without_reason = a.retries_without_reason, retries_without_reason_evidence =
        evidence(a.retries_without_reason_evidence),
      attempts_over_max = a.attempts_over_max, attempts_over_max_evidence = evidence(a.attempts_over_max_evidence),
      started = a.started,
      started_not_finished = a.started_not_finished,
      started_not_finished_evidence = evidence(a.started_not_finished_evidence),
      finished_before_started = a.finished_before_started,
      finished_before_started_evidence = evidence(a.finished_before_started_evidence),
    },
    workers = { workers_seen = w.workers_seen, workers_with_unfinished = w.workers_with_unfinished,
      workers_untracked = w.untracked, workers = array(workers) },
    runs = {
      runs_seen = runs.runs_seen, runs_untracked = runs.untracked, summary_rows = runs.summary_rows,
      runs_with_summary = runs.runs_seen - runs.untracked - #runs.without_summary - #runs.open,
      runs_without_summary = #runs.without_summary, without_summary = runs_list(runs.without_summary),
      open_runs = #runs.open, open = runs_list(runs.open),
    },
  }
end

--- The findings of an evaluation as the report carries them.
function quality.findings_json(list)
  local out = {}
  for i, f in ipairs(list or {}) do
    out[i] = { id = f.id, severity = f.severity, reason = f.reason, message = f.message,
      evidence = evidence(f.evidence), evidence_count = f.evidence_count or #(f.evidence or {}), policy = f.policy }
  end
  return array(out)
end

--- The report blocks (additive keys of the telemetry.v1 document) after quality.evaluate gave
--- result: row_kinds, completeness, nullability, drift, quality_rollups, quality_severity,
--- findings, policy.
function quality.report(acc, result)
  local t = result.thresholds
  local exps, unknown = quality.expectations(t)
  local files = {}
  for i, f in ipairs(result.policy and result.policy.files or {}) do files[i] = { path = f.path, origin = f.origin } end
  return {
    quality_contract_version = quality.VERSION,
    row_kinds = row_kinds(acc.pop),
    completeness = completeness(acc.pop, exps, t),
    nullability = nullability(acc.input, exps, unknown, t),
    drift = drift(acc.pop, acc.input, exps, t),
    quality_rollups = rollups_block(acc.input.rollups),
    quality_severity = result.severity,
    findings = quality.findings_json(result.findings),
    policy = { name = quality.POLICY, files = array(files) },
  }
end

--- The line number of the row at byte offset start, when counting it reads at most LINE_SCAN_MAX.
function quality.first_line(path, start)
  if start == nil then return nil end
  if start == 0 then return 1 end
  if start > quality.LINE_SCAN_MAX then return nil end
  local lines = core.runlog.line_numbers(path, { start })
  return lines and lines[1] or nil
end

--- The accumulator of a window of decoded rows already in memory (cx policy run / test, the Lua
--- API): offsets[i] and lines[i] locate row i (either may be absent).
function quality.of_rows(rows, offsets, lines)
  local acc = quality.new(#rows)
  for i, row in ipairs(rows) do quality.add(acc, row, offsets and offsets[i], lines and lines[i]) end
  return acc
end

return quality
