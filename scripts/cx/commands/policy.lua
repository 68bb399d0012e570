--- `cx policy list`, `cx policy show [name]` and `cx policy check <name> <command...>`: the editable
--- Lua policies.
--- `show` prints which file is active (a repository override in .codex/policies/ wins over the
--- shipped one) and its text; `check` runs the command-safety policy on one command line.
local args = require "cx.args"
local json = require "cx.json"
local paths = require "cx.paths"
local policy = require "cx.policy"

local M = { summary = "show a policy, or check a command against command_safety" }

local DEFAULT_POLICY = "command_safety"

function M.parser()
  local p = args.parser("policy", "Show the active Lua policies and try them out.",
    "A file .codex/policies/<name>.lua overrides the shipped policy of the same name.\n"
      .. "check exits 0 when the command is allowed, 1 when it is blocked.")
  local list = p:command("list", "List the policies: shipped ones and repository overrides.")
  list:flag("--json", "Print one JSON object.")
  local show = p:command("show", "Print the active policy's source path and text.")
  show:argument("name", "The policy (default " .. DEFAULT_POLICY .. ")."):args("?")
  local check = p:command("check", "Classify a shell command with a policy's check(cmd).")
  check:argument("name", "The policy (e.g. " .. DEFAULT_POLICY .. ").")
  check:argument("command", "The command line (words are joined with spaces)."):args("+")
  check:flag("--json", "Print one JSON object.")
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

local function run_show(name)
  local path, origin, class = policy.find(name, { policies_dir = policies_dir() })
  if not path then return fail("show", origin, class == "usage" and 2 or 1) end
  local f, err = io.open(path, "rb")
  if not f then return fail("show", "failed to read " .. path .. ": " .. tostring(err)) end
  local text = f:read("a")
  f:close()
  io.stdout:write("-- policy: ", name, "\n-- source: ", path, " (", origin, ")\n", text)
  if text:sub(-1) ~= "\n" then io.stdout:write("\n") end
  return 0
end

local function run_check(opts)
  local h, err, class = policy.load(opts.name, { policies_dir = policies_dir() })
  if not h then return fail("check", err, class == "usage" and 2 or 1) end
  local cmd = table.concat(opts.command, " ")
  local r, cerr = policy.call(h, "check", cmd)
  if not r then return fail("check", cerr) end
  if type(r) ~= "table" or type(r.blocked) ~= "boolean" then
    return fail("check", h.path .. ": check() must return { blocked = true|false, reason = ... }")
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

-- `check` takes a command line whose words may look like flags (rm -rf /): everything after the
-- policy name belongs to the command, so it is parsed by hand; flags go before the name.
local function parse_check(argv)
  local opts, i = { json = false }, 2
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
  if not opts.name then return nil, fail("check", "missing argument 'name'", 2) end
  opts.command = {}
  for j = i + 1, #argv do
    if not (j == i + 1 and argv[j] == "--") then opts.command[#opts.command + 1] = argv[j] end
  end
  if #opts.command == 0 then return nil, fail("check", "missing argument 'command'", 2) end
  return opts
end

function M.run(argv)
  if argv[1] == "check" then
    local opts, code = parse_check(argv)
    if not opts then return code end
    return run_check(opts)
  end
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  if opts.list then return run_list(opts) end
  if opts.show then return run_show(opts.name or DEFAULT_POLICY) end
  return run_check(opts)
end

return M
