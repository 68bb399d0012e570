-- The fake `codex` and `ollama` CLIs in tests/fixtures/bin, which adapter specs put first on PATH.
local h = require "helpers.cli"
local fake_cli = require "helpers.fake_cli"
local json = require "cx.json"

local BIN = h.root .. "/tests/fixtures/bin"
local CAPTURES = h.root .. "/tests/fixtures/codex"

local function fake(name, args, opts)
  opts = opts or {}
  return h.run(args, { bin = BIN .. "/" .. name, env = opts.env, stdin = opts.stdin })
end

local function records(path)
  local out = {}
  for line in (h.slurp(path) .. ""):gmatch("[^\n]+") do out[#out + 1] = assert(json.decode(line)) end
  return out
end

--- scenarios.tsv rows: {name, capture, exit|"hang", stderr}.
local function scenario_rows()
  local rows = {}
  for line in h.slurp(CAPTURES .. "/scenarios.tsv"):gmatch("[^\n]+") do
    if not line:match("^#") then
      local name, capture, exit, stderr = line:match("^([^\t]+)\t([^\t]+)\t([^\t]+)\t([^\t]+)$")
      assert(name, "bad scenarios.tsv line: " .. line)
      rows[#rows + 1] = { name = name, capture = capture, exit = exit, stderr = stderr }
    end
  end
  return rows
end

describe("fake codex", function()
  for _, row in ipairs(scenario_rows()) do
    if row.exit ~= "hang" then
      it("replays scenario " .. row.name .. " with its exit status", function()
        local r = fake("codex", { "exec", "--json", "-" }, { env = { FAKE_CODEX_SCENARIO = row.name }, stdin = "p" })
        assert.equal(tonumber(row.exit), r.code)
        local want = row.capture == "-" and "" or h.slurp(CAPTURES .. "/" .. row.capture .. ".stdout.jsonl")
        assert.equal(want, r.stdout)
        if row.stderr ~= "-" then assert.truthy(r.stderr:find(h.slurp(CAPTURES .. "/" .. row.stderr), 1, true)) end
      end)
    end
  end

  it("replays real captures: ok ends with turn.completed, turn_failed with error + turn.failed", function()
    local ok = fake("codex", { "exec", "--json", "-" }, { env = { FAKE_CODEX_SCENARIO = "ok" } })
    local last = json.decode(ok.stdout:match("([^\n]+)\n$"))
    assert.equal("turn.completed", last.type)
    local failed = fake("codex", { "exec", "--json", "-" }, { env = { FAKE_CODEX_SCENARIO = "turn_failed" } })
    assert.matches('{"type":"error".-\n{"type":"turn.failed"', failed.stdout)
  end)

  it("records argv, stdin and its byte count", function()
    local rec = os.tmpname()
    local r = fake("codex", { "exec", "--json", "-" },
      { env = { FAKE_CODEX_RECORD = rec, FAKE_CODEX_SCENARIO = "ok" }, stdin = "prompt\nwith lines" })
    assert.equal(0, r.code)
    local recs = records(rec)
    os.remove(rec)
    assert.equal(1, #recs)
    assert.same({ "exec", "--json", "-" }, recs[1].argv)
    assert.equal(17, recs[1].stdin_bytes)
    assert.equal("prompt\nwith lines", recs[1].stdin)
    assert.matches("Reading additional input from stdin", r.stderr)
  end)

  it("echo: answers with the prompt it read", function()
    local r = fake("codex", { "exec", "--json", "-" }, { env = { FAKE_CODEX_SCENARIO = "echo" }, stdin = 'say "hi"' })
    local lines = {}
    for l in r.stdout:gmatch("[^\n]+") do lines[#lines + 1] = json.decode(l) end
    assert.equal('echo: say "hi"', lines[3].item.text)
    assert.equal("turn.completed", lines[4].type)
  end)

  it("hang: prints the start of a stream, then waits until killed (SIGTERM -> 143)", function()
    local r = h.run({ "-s", "TERM", "1", BIN .. "/codex", "exec", "--json", "-" },
      { bin = "timeout", env = { FAKE_CODEX_SCENARIO = "hang" } })
    assert.equal(124, r.code)
    assert.equal(h.slurp(CAPTURES .. "/hang_short.stdout.jsonl"), r.stdout)
    -- Signal it once its two lines have arrived; if SIGTERM did not end it, it would exit 0 after 20 s.
    local fifo = os.tmpname()
    os.remove(fifo)
    local script = "mkfifo " .. h.quote(fifo) .. " && " .. BIN .. "/codex exec </dev/null >" .. h.quote(fifo)
      .. " 2>/dev/null & p=$!; head -n 2 " .. h.quote(fifo) .. " >/dev/null; kill -TERM $p; wait $p"
    local direct = h.run({ "-c", script },
      { bin = "sh", env = { FAKE_CODEX_SCENARIO = "hang", FAKE_CODEX_SLEEP = "20" } })
    os.remove(fifo)
    assert.equal(143, direct.code)
  end)

  it("is found first on PATH through helpers.fake_cli", function()
    local r = h.run({ "-c", "codex exec --json - </dev/null" },
      { bin = "sh", env = fake_cli.env({ FAKE_CODEX_SCENARIO = "usage_limit" }) })
    assert.equal(1, r.code)
    assert.equal(fake_cli.capture("usage_limit"), r.stdout)
    assert.matches("usage limit", r.stdout)
  end)

  it("rejects an unknown scenario", function()
    local r = fake("codex", { "exec", "-" }, { env = { FAKE_CODEX_SCENARIO = "nope" } })
    assert.equal(2, r.code)
    assert.matches("unknown FAKE_CODEX_SCENARIO 'nope'", r.stderr)
  end)
end)

describe("fake ollama", function()
  it("run: prints the reply and a blank line", function()
    local r = fake("ollama", { "run", "llama3" }, { stdin = "hi" })
    assert.equal(0, r.code)
    assert.equal("Hi! (fake ollama reply)\n\n", r.stdout)
  end)

  it("run: puts stdin before the argument words, and records", function()
    local rec = os.tmpname()
    local r = fake("ollama", { "run", "m", "--nowordwrap", "explain", "this" },
      { env = { FAKE_OLLAMA_SCENARIO = "echo", FAKE_OLLAMA_RECORD = rec }, stdin = "context" })
    assert.equal("echo: context explain this\n\n", r.stdout)
    local recs = records(rec)
    os.remove(rec)
    assert.same({ "run", "m", "--nowordwrap", "explain", "this" }, recs[1].argv)
    assert.equal(7, recs[1].stdin_bytes)
  end)

  it("prints the real CLI's errors with exit 1", function()
    local cases = {
      not_running = "Error: could not connect to ollama server, run 'ollama serve' to start it\n",
      model_not_found = "Error: pull model manifest: file does not exist\n",
      server_error = "Error: 500 Internal Server Error: an error was encountered while running the model\n",
      midstream_error = "Error: an error was encountered while running the model\n",
    }
    for scenario, err in pairs(cases) do
      local r = fake("ollama", { "run", "m" }, { env = { FAKE_OLLAMA_SCENARIO = scenario }, stdin = "x" })
      assert.equal(1, r.code, scenario)
      assert.equal(err, r.stderr:sub(-#err), scenario)
    end
  end)

  it("cloud_signin: exits 0 with the sign-in text on stdout", function()
    local r = fake("ollama", { "run", "m" }, { env = { FAKE_OLLAMA_SCENARIO = "cloud_signin" }, stdin = "x" })
    assert.equal(0, r.code)
    assert.matches("^You need to be signed in to Ollama to run Cloud models%.", r.stdout)
  end)

  it("list: a header line, then one model per line", function()
    local r = fake("ollama", { "list" }, { env = { FAKE_OLLAMA_MODELS = "a:1 b:latest" } })
    assert.equal(0, r.code)
    local names = {}
    for line in r.stdout:gmatch("[^\n]+") do names[#names + 1] = line:match("^(%S+)") end
    assert.same({ "NAME", "a:1", "b:latest" }, names)
    local empty = fake("ollama", { "list" }, { env = { FAKE_OLLAMA_MODELS = "" } })
    assert.matches("^NAME%s+ID%s+SIZE%s+MODIFIED%s*\n$", empty.stdout)
  end)

  it("hang: waits until killed", function()
    local r = h.run({ "-s", "TERM", "1", BIN .. "/ollama", "run", "m" },
      { bin = "timeout", env = { FAKE_OLLAMA_SCENARIO = "hang" } })
    assert.equal(124, r.code)
  end)
end)
