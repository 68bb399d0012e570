-- Hostile files and values (issue #12 items 4, 5, 8): a FIFO, directory or symlink where cx keeps its
-- data; a broken state.json; bad numbers; control bytes in data. Every case ends at once with one
-- clear line naming the file or argument and exit 1 or 2 — never a hang, a traceback, a row written
-- through a symlink, or raw control bytes on the terminal. (The generated cases are in
-- hostile_input_spec.lua.)
local h = require "helpers.cli"
local json = require "cx.json"

-- Every command that reads the run log, and the one that writes it. (diag and scheduler report an
-- unreadable log and go on with an empty window; under --strict it fails them: docs/diagnostics.md.)
local LOG_COMMANDS = {
  { "logs", "validate" }, { "log-tail" }, { "diag", "--strict" }, { "logs", "stats" }, { "scheduler", "--strict" },
  { "optimize" }, { "logs", "migrate" }, { "logs", "migrate", "--in-place" }, { "telemetry" },
}

local function mkfifo(path)
  assert(os.execute("mkfifo " .. h.quote(path)))
end

local function first_line(s)
  return s:match("^[^\n]*")
end

describe("hostile files", function()
  local repo, logs
  before_each(function()
    repo = h.tmprepo()
    logs = repo .. "/.codex/cxlogs"
    os.execute("mkdir -p " .. h.quote(logs))
  end)
  after_each(function() h.rm(repo) end)

  -- `timeout` turns a hang into a failure instead of a stuck suite.
  local function cx(args, env)
    local argv = { "20", h.bin }
    for _, a in ipairs(args) do argv[#argv + 1] = a end
    local e = { CX_PROVIDER_ADAPTER = "mock" }
    for k, v in pairs(env or {}) do e[k] = v end
    return h.run(argv, { cwd = repo, env = e, bin = "timeout" })
  end

  for _, kind in ipairs({ "fifo", "directory" }) do
    it("refuses a " .. kind .. " at runs.jsonl in every log command, at once, naming it", function()
      local log = logs .. "/runs.jsonl"
      if kind == "fifo" then mkfifo(log) else os.execute("mkdir " .. h.quote(log)) end
      local what = kind == "fifo" and "it is a FIFO, not a regular file" or "it is a directory, not a regular file"
      for _, args in ipairs(LOG_COMMANDS) do
        local r = cx(args)
        local name = table.concat(args, " ")
        assert.equal(1, r.code, name .. ": " .. r.stderr)
        assert.truthy(first_line(r.stderr):find(log .. ": " .. what, 1, true), name .. ": " .. r.stderr)
        assert.is_nil(r.stderr:find("traceback", 1, true))
      end
      -- a run still runs; its row is reported lost, not silently dropped into the pipe
      local r = cx({ "cxo", "echo", "hi" })
      assert.equal(0, r.code)
      assert.equal("cx cxo: warning: 1 run-log row(s) not written: cannot write " .. log .. ": " .. what .. "\n",
        r.stderr)
    end)
  end

  it("never follows a symlinked runs.jsonl, cxlogs/, quarantine/ or .codex/ out of the repository", function()
    local outside = h.tmpdir()
    h.write(outside .. "/runs.jsonl", "")
    os.execute("ln -s " .. h.quote(outside .. "/runs.jsonl") .. " " .. h.quote(logs .. "/runs.jsonl"))
    local r = cx({ "cxo", "echo", "hi" })
    assert.matches("runs%.jsonl: it is a symbolic link, which cx does not follow under %.codex/", r.stderr)
    r = cx({ "log-tail" })
    assert.equal(1, r.code)
    assert.matches("symbolic link", r.stderr)
    os.remove(logs .. "/runs.jsonl")
    os.execute("rmdir " .. h.quote(logs) .. " && ln -s " .. h.quote(outside) .. " " .. h.quote(logs))
    r = cx({ "cxo", "echo", "hi" })
    assert.matches("cxlogs is a symbolic link", r.stderr)
    os.execute("ln -s " .. h.quote(outside) .. " " .. h.quote(repo .. "/.codex/quarantine"))
    r = cx({ "next", "true" }, { CX_MOCK_PLAIN_RESPONSE = "nope" })
    assert.equal(1, r.code)
    assert.matches("quarantine: it is a symbolic link", r.stderr)
    r = cx({ "quarantine", "list" })
    assert.equal(1, r.code)
    assert.matches("^cx quarantine list: cannot list directory [^\n]*quarantine: it is a symbolic link", r.stderr)
    -- .codex itself
    os.execute("rm -rf " .. h.quote(repo .. "/.codex") .. " && ln -s " .. h.quote(outside) .. " "
      .. h.quote(repo .. "/.codex"))
    r = cx({ "llm", "use", "ollama" })
    assert.equal(1, r.code)
    assert.matches("%.codex is a symbolic link", r.stderr)
    -- nothing reached the target directory
    local p = io.popen("ls -A " .. h.quote(outside))
    local listing = p:read("a")
    p:close()
    assert.equal("runs.jsonl\n", listing)
    assert.equal("", h.slurp(outside .. "/runs.jsonl"))
    h.rm(outside)
  end)

  it("reads the repository's git files without hanging on a FIFO planted there", function()
    os.execute("rm -f " .. h.quote(repo .. "/.git/HEAD"))
    mkfifo(repo .. "/.git/HEAD")
    local r = cx({ "diag", "--json" })
    assert.equal(0, r.code, r.stderr)
    r = cx({ "version" })
    assert.equal(0, r.code, r.stderr)
  end)

  it("bounds a user-named document: /dev/zero ends with a message", function()
    local r = cx({ "schema", "validate", "next", "/dev/zero" })
    assert.equal(1, r.code)
    assert.matches("/dev/zero: it is larger than the %d+%-byte limit", r.stderr)
  end)
end)

describe("a broken .codex/state.json", function()
  local repo, file
  before_each(function()
    repo = h.tmprepo()
    file = repo .. "/.codex/state.json"
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex"))
  end)
  after_each(function() h.rm(repo) end)

  local function cx(args)
    return h.run({ "20", h.bin, table.unpack(args) }, { cwd = repo, bin = "timeout",
      env = { CX_PROVIDER_ADAPTER = "mock", CX_LLM_BACKEND = false } })
  end

  local BROKEN = {
    directory = function() os.execute("mkdir " .. h.quote(file)) end,
    fifo = function() mkfifo(file) end,
    corrupt = function() h.write(file, '{"preferences": {"llm_backend": "ollama"') end,
    ["not an object"] = function() h.write(file, "[1, 2]") end,
    ["bad section"] = function() h.write(file, '{"preferences": "ollama"}') end,
    huge = function() h.write(file, "{" .. string.rep(" ", 2 * 1024 * 1024) .. "}") end,
    symlink = function() os.execute("ln -s /etc/hostname " .. h.quote(file)) end,
  }

  for what, make in pairs(BROKEN) do
    it("(" .. what .. ") stops every command that needs the preferences, naming the file", function()
      make()
      for _, args in ipairs({ { "llm", "show" }, { "llm", "show", "--json" }, { "cxo", "echo", "hi" },
        { "next", "true" }, { "doctor", "--no-ping" }, { "llm", "use", "codex" } }) do
        local r = cx(args)
        local name = table.concat(args, " ")
        assert.equal(1, r.code, name .. ": " .. r.stderr)
        assert.equal("", r.stdout, name)
        assert.truthy(r.stderr:find(file, 1, true), name .. ": " .. r.stderr)
        assert.equal(1, select(2, r.stderr:gsub("\n", "")), name .. ": " .. r.stderr)
      end
      -- diag still diagnoses, and says the preferences it shows are defaults
      local r = cx({ "diag" })
      assert.equal(0, r.code, r.stderr)
      assert.matches("^cx diag: warning: [^\n]*state%.json[^\n]*%(preferences shown as defaults%)\n$", r.stderr)
      -- and nothing ran: no row, the file untouched
      assert.is_nil(io.open(repo .. "/.codex/cxlogs/runs.jsonl"))
    end)
  end
end)

describe("numbers", function()
  local repo
  before_each(function() repo = h.tmprepo() end)
  after_each(function() h.rm(repo) end)

  for _, case in ipairs({
    { { "quarantine", "list", "abc" }, "cx quarantine list: N must be an integer, got 'abc'" },
    { { "quarantine", "list", "" }, "cx quarantine list: N must be an integer, got ''" },
    { { "quarantine", "list", "0" }, "cx quarantine list: N must be >= 1, got '0'" },
    { { "quarantine", "list", "99999999999999999999" }, "cx quarantine list: N must be <= 9223372036854775807, "
      .. "got '99999999999999999999'" },
    { { "quarantine", "list", "-1" }, "cx quarantine list: N must not be negative, got '-1'" },
    { { "diag", "--window", "-1" }, "cx diag: --window must be >= 1, got '-1'" },
    { { "scheduler", "--window", "-5" }, "cx scheduler: --window must be >= 1, got '-5'" },
    { { "diag", "--window=-1" }, "cx diag: --window must be >= 1, got '-1'" },
    { { "optimize", "-3" }, "cx optimize: N must not be negative, got '-3'" },
    { { "optimize", "1.5" }, "cx optimize: N must be an integer, got '1.5'" },
    { { "log-tail", "-2" }, "cx log-tail: N must not be negative, got '-2'" },
    { { "doctor", "--timeout", "-1" }, "cx doctor: --timeout must be >= 1, got '-1'" },
  }) do
    it("rejects " .. table.concat(case[1], " ") .. " with exit 2, naming the argument", function()
      local r = h.cx(case[1], { cwd = repo })
      assert.equal(2, r.code)
      assert.equal("", r.stdout)
      assert.equal(case[2], first_line(r.stderr))
    end)
  end

  it("accepts the reference's forms of a count", function()
    assert.equal(0, h.cx({ "quarantine", "list", "+3" }, { cwd = repo }).code)
    assert.equal(0, h.cx({ "quarantine", "list", "007" }, { cwd = repo }).code)
  end)
end)

describe("control bytes in data", function()
  local repo
  before_each(function()
    repo = h.tmprepo()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/cxlogs"))
  end)
  after_each(function() h.rm(repo) end)

  local RAW = "[%z\1-\8\11-\31\127]"

  it("are escaped by log-tail, logs validate and quarantine list, text and JSON alike", function()
    h.write(repo .. "/.codex/cxlogs/runs.jsonl", "not json \27]0;pwned\7 \27[2J\0 \194\155 end\n"
      .. json.encode({ execution_id = "e\127x", tool = "t\27[31m" }) .. "\n")
    for _, args in ipairs({ { "log-tail" }, { "log-tail", "--json" }, { "logs", "validate" },
      { "logs", "validate", "--json" }, { "diag" }, { "optimize" } }) do
      local r = h.cx(args, { cwd = repo })
      local name = table.concat(args, " ")
      assert.is_nil(r.stdout:find(RAW), name .. ": " .. r.stdout)
      assert.is_nil(r.stderr:find(RAW), name .. ": " .. r.stderr)
      assert.is_nil(r.stdout:find("\194[\128-\159]"), name)
    end
    local r = h.cx({ "log-tail", "2" }, { cwd = repo })
    assert.truthy(r.stdout:find("not json \\u001b]0;pwned\\u0007 \\u001b[2J\\u0000 \\u009b end\n", 1, true), r.stdout)
    r = h.cx({ "log-tail", "--json" }, { cwd = repo })
    assert.equal("e\127x", json.decode(r.stdout)[2].execution_id) -- escaped as JSON: the same value
    r = h.cx({ "logs", "validate" }, { cwd = repo })
    -- the preview shows the escapes (logs validate writes its own \x1b; cx.output would write \u001b)
    assert.truthy(r.stdout:find("preview='not json \\x1b]0;pwned", 1, true)
      or r.stdout:find("preview='not json \\u001b]0;pwned", 1, true), r.stdout)
  end)

  it("are escaped in a payload only when stdout is a terminal", function()
    local r = h.cx({ "cxo", "true" }, { cwd = repo, env = { CX_PROVIDER_ADAPTER = "mock",
      CX_MOCK_PLAIN_RESPONSE = "colour \27[31mred\27[0m", CX_MOCK_JSONL_RESPONSE = false } })
    assert.equal(0, r.code, r.stderr)
    assert.equal("colour \27[31mred\27[0m\n", r.stdout) -- a pipe gets the reply byte-exact
    if os.execute("command -v script >/dev/null 2>&1") then
      local p = io.popen("cd " .. h.quote(repo) .. " && CX_PROVIDER_ADAPTER=mock CX_MOCK_PLAIN_RESPONSE="
        .. h.quote("colour \27[31mred") .. " script -qec " .. h.quote(h.bin .. " cxo true") .. " /dev/null")
      local tty = p:read("a")
      p:close()
      assert.truthy(tty:find("colour \\u001b[31mred", 1, true), tty)
    end
  end)
end)
