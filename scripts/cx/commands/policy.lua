--- `cx policy list | show | check | test | run`: the editable Lua policies.
---   list                 shipped policies and the repository's overrides (.codex/policies/)
---   show [name]          the active file and its text; --out FILE writes it (atomically, no clobber)
---   check [name]         validate every policy (or one): syntax, shape, rule ids, thresholds
---   check name command…  classify a shell command with the policy's check(cmd) (command_safety)
---   test [path…]         run policy fixtures (.codex/policies/tests/*.json): rows in, findings expected
---   run FILE|name        evaluate one rule policy over a log window and gate on its severity
local args = require "cx.args"
local core = require "cx.core"
local json = require "cx.json"
local paths = require "cx.paths"
local policy = require "cx.policy"
local policy_rules = require "cx.policy_rules"
local command = require "cx.diag.command"
local policy_test = require "cx.policy_test"

local M = { summary = "list, show, check, test and run the editable Lua policies" }

local DEFAULT_POLICY = "command_safety"

local function window_value(text)
  local n = args.positive_int(text)
  if not n then return nil, "--window must be a positive integer, got '" .. text .. "'" end
  return n
end

function M.parser()
  local p = args.parser("policy", "List, show, check, test and run the editable Lua policies.",
    "A file .codex/policies/<name>.lua overrides the shipped policy of the same name (with\n"
      .. "`extends = true`, a rule policy adds to, tunes or disables the shipped rules).\n"
      .. "Exit codes: 0 ok, 1 failure (invalid policy, failed test, failed gate, blocked command), 2 usage.")
  local list = p:command("list", "List the policies: shipped ones and repository overrides.")
  list:flag("--json", "Print one JSON object.")
  local show = p:command("show", "Print the active policy's source path and text.")
  show:argument("name", "The policy (default " .. DEFAULT_POLICY .. ")."):args("?")
  show:option("--out", "Write the text to this file (atomically) instead of printing it."):argname("<file>")
  show:flag("--force", "With --out: replace an existing file.")
  show:flag("--shipped", "Show the shipped policy even when the repository overrides it.")
  local check = p:command("check", "Validate policies (all, or one); with a command: classify it with check(cmd).")
  check:argument("name", "The policy (default: every policy)."):args("?")
  check:argument("command", "A shell command line to classify (words are joined with spaces)."):args("*")
  check:flag("--json", "Print one JSON object.")
  local test = p:command("test", "Run policy fixtures: a log excerpt and the findings expected.")
  test:argument("path", "Fixture files or directories (default .codex/policies/tests)."):args("*")
  test:flag("--json", "Print one JSON object.")
  local run = p:command("run", "Evaluate one rule policy over a log window and gate on its severity.")
  run:argument("policy", "A policy file (path) or a policy name (shipped + override).")
  run:option("--window", "How many of the last log rows to evaluate.", "200"):argname("<N>"):convert(window_value)
  run:flag("--json", "Print one JSON document.")
  run:flag("--strict", "Exit 1 when the severity (or an action's) reaches the --severity floor.")
  run:option("--severity", "Floor of the --strict gate: warning (or warn) | critical.")
    :argname("<level>"):convert(command.severity_value)
  command.log_flags(run)
  return p
end

local function fail(sub, msg, code)
  io.stderr:write("cx policy ", sub, ": ", msg, "\n")
  return code or 1
end

local function policies_dir()
  local p = paths.resolve()
  return p and p.policies_dir or nil
end

local function run_list(opts)
  local dir = policies_dir()
  local entries = policy.list({ policies_dir = dir })
  if opts.json then
    local list = {}
    for i, e in ipairs(entries) do
      list[i] = { name = e.name, path = e.path, origin = e.origin, overrides = e.overrides }
    end
    io.stdout:write(json.encode({ policies_dir = dir or json.null, policies = json.array(list) }), "\n")
    return 0
  end
  local lines = { "policies_dir: " .. (dir or "<none>") }
  for _, e in ipairs(entries) do
    lines[#lines + 1] = string.format("- %s (%s) [%s%s]", e.name, e.path, e.origin,
      e.overrides and ", overrides shipped" or "")
  end
  io.stdout:write(table.concat(lines, "\n"), "\n")
  return 0
end

-- The file `show` prints: the active one, but the shipped one when the override is empty (the
-- shell created it for `cx policy show x > .codex/policies/x.lua` before cx ran).
local function show_source(name, shipped_only)
  local dir = not shipped_only and policies_dir() or nil
  local path, origin, class = policy.find(name, { policies_dir = dir })
  if not path then return nil, origin, class end
  if origin == "repo" then
    local st = core.fs.stat(path)
    if st and st.size == 0 then
      local shipped = policy.find_shipped(name)
      if shipped then
        io.stderr:write("cx policy show: ", path, " is empty; showing the shipped policy\n")
        path, origin = shipped, "shipped"
      end
    end
  end
  local text, err, rclass = policy.read(path)
  if not text then return nil, err, rclass end
  return text, path, origin
end

local function run_show(opts)
  local name = opts.name or DEFAULT_POLICY
  local text, path, origin = show_source(name, opts.shipped)
  if not text then return fail("show", path, origin == "usage" and 2 or 1) end
  local out = "-- policy: " .. name .. "\n-- source: " .. path .. " (" .. origin .. ")\n" .. text
  if out:sub(-1) ~= "\n" then out = out .. "\n" end
  if not opts.out then
    io.stdout:write(out)
    return 0
  end
  if core.fs.exists(opts.out) and not opts.force then
    return fail("show", "refusing to overwrite " .. opts.out .. " (use --force)")
  end
  local ok, werr = core.fs.write_atomic(opts.out, out)
  if not ok then return fail("show", "cannot write " .. opts.out .. ": " .. tostring(werr)) end
  io.stderr:write("cx policy show: wrote ", opts.out, " (", name, " from ", path, ")\n")
  return 0
end

-- Classify a command line with policy `name`'s check(cmd).
local function classify(opts)
  local h, err, class = policy.load(opts.name, { policies_dir = policies_dir() })
  if not h then return fail("check", err, class == "usage" and 2 or 1) end
  local cmd = table.concat(opts.command, " ")
  local r, cerr = policy.call(h, "check", cmd)
  if not r then return fail("check", cerr) end
  if type(r) ~= "table" or type(r.blocked) ~= "boolean" then
    return fail("check", policy.where(h, "check") .. ": check() must return { blocked = true|false, reason = ... }")
  end
  local reason = type(r.reason) == "string" and r.reason or nil
  if opts.json then
    io.stdout:write(json.encode({ command = cmd, blocked = r.blocked, reason = reason or json.null,
      rule = type(r.rule) == "string" and r.rule or json.null, policy = h.path }), "\n")
  elseif r.blocked then
    io.stdout:write("blocked: ", reason or "(no reason given)", "\n")
  else
    io.stdout:write("allowed\n")
  end
  return r.blocked and 1 or 0
end

-- Validate one policy file: rule policies are composed and checked as cx evaluates them.
local function validate(entry, dir)
  local h, err = policy.load(entry.name, { path = entry.path })
  if not h then return false, err end
  if h.kind ~= "rules" then
    return true, string.format("%d function(s): %s", #h.functions, table.concat(h.functions, ", "))
  end
  local opts = { policies_dir = dir }
  if entry.origin == "shipped" then opts.policies_dir = "/nonexistent" end
  local r, rerr = policy_rules.check(entry.name, opts)
  if not r then return false, rerr end
  local active = 0
  for _, rule in ipairs(r.rules) do
    if not rule.disabled then active = active + 1 end
  end
  return true, string.format("%d rule(s), %d active", #r.rules, active)
end

local function run_validate(opts)
  local dir = policies_dir()
  local entries = {}
  if opts.name then
    local path, origin, class = policy.find(opts.name, { policies_dir = dir })
    if not path then return fail("check", origin, class == "usage" and 2 or 1) end
    entries[1] = { name = opts.name, path = path, origin = origin }
  else
    -- Every file: the shipped ones too, also where the repository overrides them.
    for _, e in ipairs(policy.list({})) do entries[#entries + 1] = e end
    for _, e in ipairs(policy.list({ policies_dir = dir })) do
      if e.origin == "repo" then entries[#entries + 1] = e end
    end
  end
  local results, bad = {}, 0
  for i, e in ipairs(entries) do
    local ok, detail = validate(e, dir)
    if not ok then bad = bad + 1 end
    results[i] = { name = e.name, path = e.path, origin = e.origin, ok = ok, detail = detail }
  end
  if opts.json then
    io.stdout:write(json.encode({ ok = bad == 0, invalid = bad, policies = json.array(results) }), "\n")
  else
    for _, r in ipairs(results) do
      if r.ok then
        io.stdout:write("ok ", r.path, " (", r.origin, "; ", r.detail, ")\n")
      else
        io.stdout:write("invalid ", r.detail, "\n")
      end
    end
    io.stdout:write(string.format("%d policies, %d invalid\n", #results, bad))
  end
  return bad > 0 and 1 or 0
end

-- `check` takes a command line whose words may look like flags (rm -rf /): everything after the
-- policy name belongs to the command, so it is parsed by hand; flags go before the name.
local function parse_check(argv)
  local opts, i = { json = false, command = {} }, 2
  while argv[i] and argv[i]:sub(1, 1) == "-" do
    if argv[i] == "--json" then
      opts.json = true
    elseif argv[i] == "-h" or argv[i] == "--help" then
      return nil, args.parse(M.parser(), { "check", "--help" })
    else
      return nil, fail("check", "unknown option '" .. argv[i] .. "' (flags go before the policy name)", 2)
    end
    i = i + 1
  end
  opts.name = argv[i]
  for j = i + 1, #argv do
    if not (j == i + 1 and argv[j] == "--") then opts.command[#opts.command + 1] = argv[j] end
  end
  return opts
end

local function run_check(argv)
  local opts, code = parse_check(argv)
  if not opts then return code end
  if #opts.command > 0 then return classify(opts) end
  return run_validate(opts)
end

local function run_tests(opts)
  local targets = opts.path
  if #targets == 0 then
    local dir = policies_dir()
    if not dir then return fail("test", "no .codex directory (not in a repository and no HOME)") end
    targets = { dir .. "/tests" }
  end
  local results, err = policy_test.run_all(targets, { policies_dir = policies_dir() })
  if not results then return fail("test", err) end
  local failed = 0
  for _, r in ipairs(results) do
    if not r.ok then failed = failed + 1 end
  end
  if opts.json then
    local list = {}
    for i, r in ipairs(results) do list[i] = { file = r.file, ok = r.ok, problems = json.array(r.problems) } end
    io.stdout:write(json.encode({ ok = failed == 0, tests = #results, failed = failed, results = json.array(list) }),
      "\n")
  else
    for _, r in ipairs(results) do
      io.stdout:write(r.ok and "ok " or "FAIL ", r.file, r.ok and "" or (": " .. table.concat(r.problems, "; ")), "\n")
    end
    io.stdout:write(string.format("%d tests, %d failed\n", #results, failed))
  end
  return failed > 0 and 1 or 0
end

function M.run(argv)
  if argv[1] == "check" then return run_check(argv) end
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  if opts.list then return run_list(opts) end
  if opts.show then return run_show(opts) end
  if opts.test then return run_tests(opts) end
  local policy_run = require "cx.commands.policy.run"
  return policy_run.run(opts)
end

return M
