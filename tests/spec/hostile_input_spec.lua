-- The hostile-input suite (issue #12): grammar-based and mutation fuzzing of state files, schema
-- files, run-log lines and command lines, run through the real `cx` binary (CX_TEST_BIN: the ASan
-- build under `make asan`). Every case must end with exit 0 (the input was fine) or 1/2 with one
-- message naming the file, the line or the argument — never a traceback, a sanitizer report, a hang
-- (each run is under `timeout`), or raw control bytes on stdout or stderr.
--
-- Deterministic: CX_HOSTILE_SEED (default 12) seeds every generator; CX_HOSTILE_SCALE (default 1)
-- multiplies the case counts. A failure prints the seed, the case and its input to reproduce it.
local h = require "helpers.cli"
local hostile = require "helpers.hostile"
local builtin = require "cx.schema.builtin"
local json = require "cx.json"
local printable = require "cx.printable"

local SEED = math.tointeger(tonumber(os.getenv("CX_HOSTILE_SEED") or "")) or 12
local SCALE = tonumber(os.getenv("CX_HOSTILE_SCALE") or "") or 1
local function count(n) return math.max(1, math.floor(n * SCALE)) end

local RAW = "[%z\1-\8\11-\31\127]"

-- The invariants every case shares; returns nil or what is wrong.
local function broken(r, allowed)
  if not allowed[r.code] then return "exit code " .. tostring(r.code) end
  for _, bad in ipairs({ "traceback", "internal error", "AddressSanitizer", "runtime error:", "LeakSanitizer" }) do
    if r.stderr:find(bad, 1, true) then return "stderr has '" .. bad .. "'" end
  end
  if r.stdout:find(RAW) or r.stdout:find("\194[\128-\159]") then return "raw control bytes on stdout" end
  if r.stderr:find(RAW) or r.stderr:find("\194[\128-\159]") then return "raw control bytes on stderr" end
  return nil
end

local function first_line(s)
  return s:match("^[^\n]*") or ""
end

-- One message line on stderr that mentions `what`.
local function names(r, what)
  return r.stderr ~= "" and first_line(r.stderr):find(what, 1, true) ~= nil
end

-- The oracle for state files: what cx must accept (docs/security.md; cx.state's rules).
local function valid_state(text)
  if #text > 1024 * 1024 then return false end
  if not text:find("%S") then return true end
  local doc = json.decode(text)
  if type(doc) ~= "table" or json.is_array(doc) then return false end
  for _, k in ipairs({ "preferences", "runtime", "alert_overrides" }) do
    local v = doc[k]
    if v ~= nil and v ~= json.null and (type(v) ~= "table" or json.is_array(v)) then return false end
  end
  return true
end

local function show(s)
  s = printable.escape(s)
  if #s > 400 then s = s:sub(1, 400) .. "...(" .. #s .. " bytes)" end
  return s
end

describe("hostile input (seed " .. SEED .. ")", function()
  local repo, total = nil, 0

  setup(function() repo = h.tmprepo() end)
  teardown(function()
    h.rm(repo)
    print(string.format("\nhostile input: %d cases run (seed %d)", total, SEED))
  end)

  local function cx(args, opts)
    total = total + 1
    local argv = { "30", h.bin }
    for _, a in ipairs(args) do argv[#argv + 1] = a end
    local env = { CX_PROVIDER_ADAPTER = "mock", CX_LLM_BACKEND = false, CX_NO_PROGRESS = "1" }
    return h.run(argv, { cwd = repo, env = env, bin = "timeout", stdin = opts and opts.stdin })
  end

  local function fail(what, i, input, r, why)
    error(string.format("%s case %d (seed %d): %s\ninput: %s\nexit: %s\nstdout: %s\nstderr: %s", what, i, SEED,
      why, show(input), tostring(r.code), show(r.stdout), show(r.stderr)), 0)
  end

  it("state files: a broken .codex/state.json is one message naming it", function()
    local g = hostile.new(SEED * 101 + 1)
    local file = repo .. "/.codex/state.json"
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex"))
    for i = 1, count(40) do
      local text = g:state_file()
      h.write(file, text)
      local args = i % 2 == 0 and { "cxo", "true" } or { "llm", "show" }
      local r = cx(args)
      local valid = valid_state(text)
      local why = broken(r, { [valid and 0 or 1] = true })
      if not why and r.code == 1 and not (names(r, file) and select(2, r.stderr:gsub("\n", "")) == 1) then
        why = "exit 1 without one line naming " .. file
      end
      if why then fail("state", i, text, r, why .. (valid and "" or " (the file is broken)")) end
    end
    os.remove(file)
  end)

  it("schema files: a broken schema is one message naming it; documents are checked or named invalid", function()
    local g = hostile.new(SEED * 101 + 2)
    local dir = repo .. "/.codex/schemas"
    local file = dir .. "/next.schema.json"
    os.execute("mkdir -p " .. h.quote(dir))
    for i = 1, count(40) do
      local text = g:schema_file(builtin.texts.next)
      h.write(file, text)
      local doc = i % 3 == 0 and g:mutate('{"commands":["ls"]}') or g:json(3)
      local args = i % 5 == 0 and { "schema", "list" } or { "schema", "validate", "next" }
      local r = cx(args, { stdin = doc })
      local why = broken(r, { [0] = true, [1] = true })
      if not why and r.code == 1 and not (names(r, file) or r.stdout:find("^invalid: ")) then
        why = "exit 1 neither naming " .. file .. " nor reporting an invalid document"
      end
      if why then fail("schema", i, text .. "\ndocument: " .. doc, r, why) end
    end
    os.remove(file)
  end)

  it("run-log lines: every reader ends with a report or one message naming the file or line", function()
    local g = hostile.new(SEED * 101 + 3)
    local log = repo .. "/.codex/cxlogs/runs.jsonl"
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/cxlogs"))
    local readers = {
      { "logs", "validate" }, { "logs", "validate", "--strict", "--json" }, { "log-tail", "5" },
      { "log-tail", "--json" },
      { "diag", "--json", "--window", "20" }, { "scheduler" }, { "optimize", "--json" }, { "optimize" },
      { "logs", "stats", "--json" }, { "telemetry" }, { "logs", "migrate" },
    }
    for i = 1, count(30) do
      local text = g:log(g:int(1, 25))
      for k = 1, 3 do
        h.write(log, text)
        local args = g:pick(readers)
        local r = cx(args)
        local why = broken(r, { [0] = true, [1] = true })
        -- exit 1: a failed check reports on stdout (text "line N", JSON "line": N, or file:line), or
        -- one message on stderr names the log
        local reported = r.stdout:find("line %d+") or r.stdout:find('"line":%s*%d+') or r.stdout:find(log, 1, true)
        if not why and r.code == 1 and not (names(r, log) or reported or names(r, "line ")) then
          why = "exit 1 naming neither the log nor a line"
        end
        if why then fail("log " .. table.concat(args, " "), i * 10 + k, text, r, why) end
      end
    end
    os.remove(log)
  end)

  it("command lines: usage errors are exit 2 with one line naming the argument", function()
    local g = hostile.new(SEED * 101 + 4)
    for i = 1, count(120) do
      local args = g:argv()
      local r = cx(args)
      local why = broken(r, { [0] = true, [1] = true, [2] = true })
      if not why and r.code == 2 then
        local line = first_line(r.stderr)
        local named = false
        for k = 1, #args do
          local tok = printable.escape(args[k])
          if tok ~= "" and line:find(tok, 1, true) then named = true end
        end
        named = named or line:find("'[^']*'") ~= nil
        if not (line:match("^cx") and named) then why = "exit 2 without a line naming an argument" end
      end
      -- exit 1: a message, or a report whose --strict gate failed
      if not why and r.code == 1 and not first_line(r.stderr):match("^cx") and r.stdout == "" then
        why = "exit 1 without a message"
      end
      if why then fail("argv", i, table.concat(args, " | "), r, why) end
    end
  end)
end)
