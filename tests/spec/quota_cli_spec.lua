-- `cx quota` end to end: the burn report, the probe, the catalog (refresh, show, auto, --from),
-- totals, and the guard (a --strict gate), with the reference's test scenarios (commands.md §7), and
-- the probe notice of `cx llm use`. Nothing reaches the network.
local h = require "helpers.cli"
local lr = require "helpers.log_repo"
local contract = require "helpers.contract"
local usage = require "cx.quota.usage"

local fixtures = {
  burn = contract.load("quota_json_contract.json"),
  probe = contract.load("quota_probe_json_contract.json"),
  catalog = contract.load("quota_catalog_json_contract.json"),
  guard = contract.load("quota_guard_json_contract.json"),
}

local function row(eff, extra)
  local r = { timestamp = lr.ts(-60), command = "cxo", effective_input_tokens = eff, duration_ms = 100 }
  for k, v in pairs(extra or {}) do r[k] = v end
  return r
end

local has_line = lr.has_line

teardown(lr.cleanup)

describe("RFC 3339 times", function()
  it("parse with Z, offsets and fractions", function()
    assert.equal(0, usage.parse_time("1970-01-01T00:00:00Z"))
    assert.equal(1772720102, usage.parse_time("2026-03-05T14:15:02Z"))
    assert.equal(1772720102, usage.parse_time("2026-03-05T14:15:02.123456789+00:00"))
    assert.equal(1772720102, usage.parse_time("2026-03-05T16:15:02+02:00"))
    assert.equal(951782400, usage.parse_time("2000-02-29T00:00:00Z"))
    for _, bad in ipairs({ "2026-03-05", "2026-13-05T00:00:00Z", "2026-03-05T14:15:02", "x", 5 }) do
      assert.is_nil(usage.parse_time(bad), tostring(bad))
    end
  end)
end)

describe("cx quota (burn report)", function()
  it("reports the projection and top commands (reference quota_json_reports_projection_and_top_commands)", function()
    local dir = lr.repo({ row(300), row(600, { command = "next", input_tokens = 900, cached_input_tokens = 300 }),
      row(50, { timestamp = "2020-01-01T00:00:00Z" }), { ts = lr.ts(-10), tool = "cxj", input_tokens = 30 }, "7" })
    local r = lr.cx(dir, { "quota", "30", "--json" })
    assert.equal(0, r.code, r.stderr)
    local doc = lr.json(r)
    assert.same({}, contract.check_shape(doc, fixtures.burn))
    assert.equal(30, doc.window_days)
    assert.equal(3, doc.runs)
    assert.equal(930, doc.tokens.effective_input)
    assert.equal(930 // 30, doc.daily_effective_tokens_avg)
    assert.equal(930 // 30 * 30, doc.monthly_effective_projection)
    assert.equal(300 / 930, doc.tokens.cache_hit_rate)
    assert.same({ "next", "cxo", "cxj" }, { doc.top_commands[1].command, doc.top_commands[2].command,
      doc.top_commands[3].command })
    assert.equal(900, doc.top_commands[1].avg_effective_tokens)
    assert.equal(4, #doc.recommendations)
  end)

  it("prints text and a null cache rate as n/a", function()
    local dir = lr.repo({ row(10) })
    local r = lr.cx(dir, { "quota" })
    assert.equal(0, r.code)
    assert.is_true(has_line(r, "== cx quota (last 30 days) =="))
    assert.is_true(has_line(r, "cache_hit_rate: n/a"))
    assert.is_true(has_line(r, "- cxo: avg_effective_tokens=10 avg_duration_ms=100 runs=1"))
  end)

  for _, case in ipairs({ { { "0" }, "days must be >= 1" }, { { "x" }, "invalid argument 'x'" },
    { { "--frob" }, "invalid argument '--frob'" } }) do
    it("rejects " .. case[1][1] .. " with exit 2", function()
      local args = { "quota" }
      for _, a in ipairs(case[1]) do args[#args + 1] = a end
      local r = lr.cx(lr.repo({}), args)
      assert.equal(2, r.code)
      assert.equal("cx quota: " .. case[2], r.stderr:match("^[^\n]*"))
      assert.matches("\nUsage: cx quota ", r.stderr)
    end)
  end
end)

describe("cx quota probe", function()
  it("uses a configured total (reference quota_probe_reports_configured_total_remaining)", function()
    local dir = lr.repo({ row(400) })
    local r = lr.cx(dir, { "quota", "probe", "--json" }, { CX_QUOTA_CODEX_TOTAL_TOKENS = "1000" })
    assert.equal(0, r.code, r.stderr)
    local doc = lr.json(r)
    assert.same({}, contract.check_shape(doc, fixtures.probe))
    assert.equal("codex", doc.backend)
    assert.equal("env:CX_QUOTA_CODEX_TOTAL_TOKENS", doc.quota_source)
    assert.equal("hard", doc.quota_limit_type)
    assert.equal(400, doc.quota_used_tokens_window)
    assert.equal(600, doc.quota_remaining_tokens)
    assert.equal(0.6, doc.quota_remaining_pct)
    local t = lr.cx(dir, { "quota", "--probe" }, { CX_QUOTA_CODEX_TOTAL_TOKENS = "1000" })
    assert.is_true(has_line(t, "quota_remaining_pct: 60%"))
  end)

  it("uses the catalog after a refresh (reference quota_probe_uses_catalog_without_state_total)", function()
    local dir = lr.repo({})
    assert.equal(0, lr.cx(dir, { "quota", "catalog", "refresh" }).code)
    local doc = lr.json(lr.cx(dir, { "quota", "probe", "--json" }, { CX_QUOTA_CODEX_TIER = "plus" }))
    assert.equal("plus", doc.quota_tier)
    assert.equal("catalog:codex:plus", doc.quota_source)
    assert.equal("dynamic", doc.quota_limit_type)
    assert.equal(require("cx.json").null, doc.quota_total_tokens)
    assert.is_string(doc.quota_source_url)
  end)

  it("counts only the probed backend's rows, and reports ollama as unmetered", function()
    local dir = lr.repo({ row(100, { backend_used = "codex" }), row(900, { backend_used = "ollama" }), row(5) })
    local doc = lr.json(lr.cx(dir, { "quota", "probe", "--json" }))
    assert.equal(105, doc.quota_used_tokens_window)
    assert.equal("unknown", doc.quota_source)
    local o = lr.json(lr.cx(dir, { "quota", "probe", "--json" }, { CX_LLM_BACKEND = "ollama", CX_OLLAMA_MODEL = "m" }))
    assert.same({ "ollama", "local_unmetered", "service:local_unmetered", "unmetered", "m" },
      { o.backend, o.service_kind, o.quota_source, o.quota_limit_type, o.model })
    assert.equal(905, o.quota_used_tokens_window)
  end)

  it("follows set and unset (reference quota_set_unset_updates_probe_totals)", function()
    local dir = lr.repo({ row(300) })
    local s = lr.cx(dir, { "quota", "set", " CODEX ", "1000" })
    assert.equal(0, s.code, s.stderr)
    assert.equal("quota_total_set: backend=codex total_tokens=1000\n", s.stdout)
    local doc = lr.json(lr.cx(dir, { "quota", "probe", "--json" }))
    assert.equal("state:preferences.quota.codex_total_tokens", doc.quota_source)
    assert.equal(700, doc.quota_remaining_tokens)
    assert.equal("quota_total_unset: codex\n", lr.cx(dir, { "quota", "unset", "codex" }).stdout)
    assert.equal(require("cx.json").null, lr.json(lr.cx(dir, { "quota", "probe", "--json" })).quota_total_tokens)
    assert.matches('"codex_total_tokens": null', h.slurp(dir .. "/.codex/state.json"))
    assert.equal(0, lr.cx(dir, { "quota", "set", "default", "50" }).code)
    assert.equal("state:preferences.quota.default_total_tokens",
      lr.json(lr.cx(dir, { "quota", "probe", "--json" })).quota_source)
  end)

  for _, case in ipairs({ { { "set", "gpt", "5" }, "backend must be codex|ollama|default" },
    { { "set", "codex", "0" }, "total_tokens must be a positive integer" },
    { { "set", "codex" }, "expects <backend|default> <total_tokens>" },
    { { "unset", "x" }, "backend must be codex|ollama|default|all" } }) do
    it("rejects quota " .. table.concat(case[1], " ") .. " with exit 2", function()
      local args = { "quota" }
      for _, a in ipairs(case[1]) do args[#args + 1] = a end
      local r = lr.cx(lr.repo({}), args)
      assert.equal(2, r.code)
      assert.equal("cx quota " .. case[1][1] .. ": " .. case[2], r.stderr:match("^[^\n]*"))
    end)
  end
end)

describe("cx quota catalog", function()
  it("refreshes and shows (reference quota_catalog_refresh_and_show_work)", function()
    local dir = lr.repo({})
    local r = lr.cx(dir, { "quota", "catalog", "refresh" })
    assert.equal(0, r.code, r.stderr)
    assert.same({ "quota_catalog_refreshed: " .. dir .. "/.codex/quota_catalog.json", "refreshed: true",
      "entries: 10" },
      lr.lines(r))
    local doc = lr.json(lr.cx(dir, { "quota", "catalog", "show", "--json" }))
    assert.same({}, contract.check_shape(doc, fixtures.catalog))
    assert.equal(1, doc.version)
    assert.equal(10, #doc.entries)
    assert.equal(6, #doc.sources)
    local t = lr.cx(dir, { "quota", "catalog" })
    assert.is_true(has_line(t, "- codex:plus limit_type=dynamic total_tokens=n/a"))
    assert.is_true(has_line(t, "- ollama:local limit_type=unmetered total_tokens=n/a"))
  end)

  it("shows the placeholder without a catalog", function()
    local dir = lr.repo({})
    local doc = lr.json(lr.cx(dir, { "quota", "catalog", "show", "--json" }))
    assert.same({}, contract.check_shape(doc, fixtures.catalog))
    assert.equal("Catalog missing. Run: cx quota catalog refresh", doc.notes)
    assert.is_false(h.slurp(dir .. "/.codex/quota_catalog.json") ~= "")
  end)

  it("toggles auto refresh and keeps a fresh catalog (reference quota_catalog_auto_toggle_refresh_stale)", function()
    local dir = lr.repo({})
    local on = lr.cx(dir, { "quota", "catalog", "auto", "on", "--interval-hours", "2" })
    assert.same({ "quota_catalog_auto: enabled", "interval_hours: 2" }, lr.lines(on))
    assert.same({ "== cx quota catalog auto ==", "enabled: true", "interval_hours: 2" },
      lr.lines(lr.cx(dir, { "quota", "catalog", "auto" })))
    assert.equal(0, lr.cx(dir, { "quota", "catalog", "refresh" }).code)
    local again = lr.cx(dir, { "quota", "catalog", "refresh", "--if-stale", "--max-age-hours", "9999" })
    assert.is_true(has_line(again, "refreshed: false"))
    local j = lr.json(lr.cx(dir, { "quota", "catalog", "refresh", "--if-stale", "--json" }))
    assert.is_false(j.refreshed)
    assert.same({ "quota_catalog_auto: disabled" }, lr.lines(lr.cx(dir, { "quota", "catalog", "auto", "off" })))
  end)

  it("auto-refreshes a stale catalog when the probe needs it", function()
    local dir = lr.repo({})
    assert.equal(0, lr.cx(dir, { "quota", "catalog", "auto", "on", "--interval-hours", "1" }).code)
    h.write(dir .. "/.codex/quota_catalog.json", '{"version":1,"updated_at":"2020-01-01T00:00:00Z","entries":[]}')
    local doc = lr.json(lr.cx(dir, { "quota", "probe", "--json" }))
    assert.equal("catalog:codex:free", doc.quota_source)
    assert.matches('"entries"', h.slurp(dir .. "/.codex/quota_catalog.json"))
    assert.is_nil(h.slurp(dir .. "/.codex/quota_catalog.json"):find("2020-01-01", 1, true))
  end)

  it("imports a local catalog with --from and refuses one that is not a catalog", function()
    local dir = lr.repo({})
    h.write(dir .. "/mine.json", '{"entries":[{"backend":"codex","tier":"team","limit_type":"hard",'
      .. '"quota_total_tokens":5000,"source_url":"file:mine"}]}')
    local r = lr.cx(dir, { "quota", "catalog", "refresh", "--from", dir .. "/mine.json" })
    assert.equal(0, r.code, r.stderr)
    local doc = lr.json(lr.cx(dir, { "quota", "probe", "--json" }, { CX_QUOTA_TIER = "team" }))
    assert.same({ "catalog:codex:team", "hard", 5000, 5000 }, { doc.quota_source, doc.quota_limit_type,
      doc.quota_total_tokens, doc.quota_remaining_tokens })
    h.write(dir .. "/bad.json", '{"entries":[{"tier":1}]}')
    local bad = lr.cx(dir, { "quota", "catalog", "refresh", "--from", dir .. "/bad.json" })
    assert.equal(1, bad.code)
    assert.matches("^cx quota catalog refresh: not a quota catalog: .*bad%.json: entry 1 needs", bad.stderr)
  end)

  for _, case in ipairs({ { { "refresh", "--max-age-hours" }, "--max-age-hours requires a value" },
    { { "refresh", "--max-age-hours", "0" }, "--max-age-hours must be >= 1" },
    { { "refresh", "--x" }, "unknown arg '--x'" } }) do
    it("rejects catalog " .. table.concat(case[1], " ") .. " with exit 2", function()
      local args = { "quota", "catalog" }
      for _, a in ipairs(case[1]) do args[#args + 1] = a end
      local r = lr.cx(lr.repo({}), args)
      assert.equal(2, r.code)
      assert.equal("cx quota catalog refresh: " .. case[2], r.stderr:match("^[^\n]*"))
    end)
  end
end)

describe("cx quota guard", function()
  local env = { CX_QUOTA_CODEX_TOTAL_TOKENS = "1000" }

  it("reports warning and options (reference quota_guard_check_reports_warning_and_options)", function()
    local dir = lr.repo({ row(800) })
    local on = lr.cx(dir, { "quota", "guard", "on", "--warn-pct", "25", "--critical-pct", "10", "--auto-action",
      "none" })
    assert.equal(0, on.code, on.stderr)
    assert.same({ "quota_guard: enabled", "warn_pct: 25%", "critical_pct: 10%", "auto_action: none" }, lr.lines(on))
    local r = lr.cx(dir, { "quota", "guard", "check", "--json" }, env)
    assert.equal(0, r.code, r.stderr)
    local doc = lr.json(r)
    assert.same({}, contract.check_shape(doc, fixtures.guard))
    assert.equal("warning", doc.status)
    assert.equal("remaining quota 20% is below/equal warning threshold 25%", doc.reason)
    assert.equal(5, #doc.options)
    assert.equal(require("cx.json").null, doc.auto_applied)
    assert.equal(1, lr.cx(dir, { "quota", "guard", "check", "--strict" }, env).code)
  end)

  it("is a gate: critical fails --strict, ok passes, disabled and unknown pass", function()
    local dir = lr.repo({ row(950) })
    assert.equal(0, lr.cx(dir, { "quota", "guard", "check", "--strict" }, env).code) -- disabled
    lr.cx(dir, { "quota", "guard", "on" })
    local r = lr.cx(dir, { "quota", "guard", "check", "--strict" }, env)
    assert.equal(1, r.code)
    assert.is_true(has_line(r, "status: critical"))
    assert.is_true(has_line(r, "reason: remaining quota 5% is below/equal critical threshold 10%"))
    assert.equal(0,
      lr.cx(dir, { "quota", "guard", "check", "--strict" }, { CX_QUOTA_CODEX_TOTAL_TOKENS = "100000" }).code)
    local unknown = lr.cx(dir, { "quota", "guard", "check", "--strict" })
    assert.equal(0, unknown.code)
    assert.is_true(has_line(unknown, "status: unknown"))
  end)

  it("applies quota_saver with --apply when the auto action says so", function()
    local dir = lr.repo({ row(950) })
    lr.cx(dir, { "quota", "guard", "on", "--auto-action", "quota_saver" })
    local r = lr.cx(dir, { "quota", "guard", "check", "--apply" }, env)
    assert.is_true(has_line(r, "auto_applied: set preferences.broker_policy=quota_saver"))
    assert.equal("quota_saver\n", lr.cx(dir, { "state", "get", "preferences.broker_policy" }).stdout)
  end)

  it("shows, turns off, and raises warn to critical on read", function()
    local dir = lr.repo({})
    lr.cx(dir, { "state", "set", "preferences.quota_guard", '{"enabled":true,"warn_pct":0.05,"critical_pct":0.2}' })
    assert.same({ "== cx quota guard ==", "enabled: true", "warn_pct: 20%", "critical_pct: 20%", "auto_action: none" },
      lr.lines(lr.cx(dir, { "quota", "guard" })))
    assert.equal("quota_guard: disabled\n", lr.cx(dir, { "quota", "guard", "off" }).stdout)
  end)

  for _, case in ipairs({ { { "--warn-pct" }, "--warn-pct requires a value" },
    { { "--warn-pct", "abc" }, "invalid percentage 'abc'" },
    { { "--critical-pct", "101" }, "percentage must be between 0 and 100, got 101" },
    { { "--auto-action", "yes" }, "--auto-action expects none|quota_saver" }, { { "--x" }, "unknown arg '--x'" } }) do
    it("rejects guard on " .. table.concat(case[1], " ") .. " with exit 2", function()
      local args = { "quota", "guard", "on" }
      for _, a in ipairs(case[1]) do args[#args + 1] = a end
      local r = lr.cx(lr.repo({}), args)
      assert.equal(2, r.code)
      assert.equal("cx quota guard on: " .. case[2], r.stderr:match("^[^\n]*"))
    end)
  end
end)

describe("cx llm use", function()
  it("prints the quota probe notice on stderr", function()
    local dir = lr.repo({})
    local r = lr.cx(dir, { "llm", "use", "codex" })
    assert.equal(0, r.code)
    assert.matches("quota_probe: backend=codex remaining=unknown source=unknown %(set quota total or refresh catalog%)",
      r.stderr)
    r = lr.cx(dir, { "llm", "use", "codex" }, { CX_QUOTA_TOTAL_TOKENS = "10" })
    assert.matches("quota_probe: backend=codex remaining=100%% source=env:CX_QUOTA_TOTAL_TOKENS", r.stderr)
  end)
end)
