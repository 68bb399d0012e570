--- `cx quarantine list [N] [--json]` and `cx quarantine show <id>`: the structured-command failures
--- kept in `.codex/quarantine/`. Unreadable files are skipped by `list` but reported (stderr, and
--- `skipped` in JSON), never silently.
local args = require "cx.args"
local json = require "cx.json"
local paths = require "cx.paths"
local printable = require "cx.printable"
local quarantine = require "cx.quarantine"

local M = { summary = "list or show quarantined structured-command failures" }

local DEFAULT_N = 20

function M.parser()
  local p = args.parser("quarantine", "List or show quarantined structured-command failures (.codex/quarantine/).")
  local list = p:command("list", "The newest N entries (default " .. DEFAULT_N .. "), newest first.")
  list:argument("N", "How many entries (an integer >= 1)."):args("?")
  list:flag("--json", "Print one JSON object.")
  local show = p:command("show", "One entry, as stored (pretty JSON).")
  show:argument("id", "The quarantine id.")
  return p
end

local function fail(sub, msg, code)
  io.stderr:write("cx quarantine ", sub, ": ", printable.line(msg), "\n")
  return code or 1
end

local function run_list(dir, opts)
  local n = DEFAULT_N
  if opts.N then -- the reference took anything not a positive number as the default (docs/compat.md)
    local err
    n, err = args.count(opts.N, "N")
    if not n then return fail("list", err, 2) end
  end
  local r, lerr = quarantine.list(dir, n)
  if not r then return fail("list", lerr) end
  for _, s in ipairs(r.skipped) do
    io.stderr:write("cx quarantine list: skipped unreadable entry ", s.path, ": ", tostring(s.error), "\n")
  end
  if opts.json then
    local entries = {}
    for i, e in ipairs(r.entries) do
      entries[i] = { id = e.id, ts = e.ts, tool = e.tool, reason = e.reason }
    end
    local skipped = {}
    for i, s in ipairs(r.skipped) do skipped[i] = { path = s.path, error = tostring(s.error) } end
    io.stdout:write(json.encode({ quarantine_dir = dir, entries = json.array(entries), total = r.total,
      skipped = json.array(skipped) }), "\n")
    return 0
  end
  local lines = { "== cx quarantine list ==", "entries: " .. #r.entries }
  for _, e in ipairs(r.entries) do
    lines[#lines + 1] = string.format("- %s | %s | %s | %s", e.id, e.ts, e.tool, e.reason)
  end
  if #r.skipped > 0 then lines[#lines + 1] = "skipped_unreadable: " .. #r.skipped end
  lines[#lines + 1] = "quarantine_dir: " .. dir
  io.stdout:write(table.concat(lines, "\n"), "\n")
  return 0
end

local function run_show(dir, id)
  local rec, err, class = quarantine.show(dir, id)
  if not rec then
    if class == "invalid_id" then
      return fail("show", "invalid quarantine id '" .. tostring(id) .. "' (letters, digits, '_' and '-' only)", 2)
    end
    return fail("show", err)
  end
  io.stdout:write(quarantine.encode(rec), "\n")
  return 0
end

function M.run(argv)
  local opts, code = args.parse(M.parser(), argv)
  if not opts then return code end
  local p, err = paths.resolve()
  if not p then return fail(opts.show and "show" or "list", err) end
  if opts.show then return run_show(p.quarantine_dir, opts.id) end
  return run_list(p.quarantine_dir, opts)
end

return M
