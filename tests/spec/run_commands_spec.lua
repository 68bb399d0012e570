-- The commands that run things or print fixed texts: fix, cxcopy, health, bench, parity, chunk,
-- prompt, roles, fanout and the toggles — on the mock adapter and fake programs, never a shell of cx's.
local h = require "helpers.cli"
local lr = require "helpers.log_repo"
local rows = require "helpers.runlog_rows"

teardown(lr.cleanup)

local MOCK = { CX_PROVIDER_ADAPTER = "mock" }

local function with(env, more)
  local e = {}
  for k, v in pairs(env) do e[k] = v end
  for k, v in pairs(more or {}) do e[k] = v end
  return e
end

-- A directory holding executable scripts (fake clipboard programs), for PATH.
local function fake_bin(scripts)
  local dir = h.tmpdir()
  lr.dirs[#lr.dirs + 1] = dir
  for name, body in pairs(scripts) do
    h.write(dir .. "/" .. name, "#!/bin/sh\n" .. body .. "\n")
    os.execute("chmod +x " .. h.quote(dir .. "/" .. name))
  end
  return dir
end

-- PATH with only the fake programs and the basic tools (no real clipboard program).
local function path_with(dir)
  local sys = h.tmpdir()
  lr.dirs[#lr.dirs + 1] = sys
  for _, tool in ipairs({ "sh", "cat", "sleep", "git", "echo", "ls", "true", "false" }) do
    local p = io.popen("which " .. tool)
    local full = p:read("l")
    p:close()
    if full then os.execute("ln -s " .. h.quote(full) .. " " .. h.quote(sys .. "/" .. tool)) end
  end
  return (dir and (dir .. ":") or "") .. sys
end

describe("cx fix", function()
  it("prints the reply, logs a cxfix row with the prompt around the capture, exits with the command's status",
    function()
      local dir = lr.repo(nil)
      local r = lr.cx(dir, { "fix", "ls", "/nonexistent-cx-path" },
        with(MOCK, { CX_MOCK_PLAIN_RESPONSE = "try mkdir" }))
      assert.equal(2, r.code, r.stderr)
      assert.equal("try mkdir\n", r.stdout)
      local row = rows.last(dir)
      assert.equal("cxfix", row.tool)
      assert.matches("^You are my terminal debugging assistant%.", row.prompt_preview)
      assert.equal(0, lr.cx(dir, { "fix", "true" }, MOCK).code)
    end)

  it("exits 1 when the LLM fails after a successful command, the command's status otherwise", function()
    local dir = lr.repo(nil)
    local env = with(MOCK, { CX_MOCK_ERROR = "boom" })
    local ok_cmd = lr.cx(dir, { "fix", "true" }, env)
    assert.equal(1, ok_cmd.code)
    assert.matches("^cx fix: .*boom", ok_cmd.stderr)
    assert.equal(1, lr.cx(dir, { "fix", "false" }, env).code)
    assert.equal(2, lr.cx(dir, { "fix", "ls", "/nonexistent-cx-path" }, env).code)
  end)

  it("reports a command that cannot start (exit 1) and a missing command (exit 2)", function()
    local dir = lr.repo(nil)
    local r = lr.cx(dir, { "fix", "no-such-program-cx" }, MOCK)
    assert.equal(1, r.code)
    assert.matches("^cx fix: system command 'no%-such%-program%-cx' spawn failed: ", r.stderr)
    local u = lr.cx(dir, { "fix" }, MOCK)
    assert.equal(2, u.code)
    assert.equal("cx fix: missing <command> to capture (run 'cx fix --help')\n", u.stderr)
  end)
end)

describe("cx cxcopy", function()
  it("copies the reply with the first clipboard program on PATH", function()
    local dir = lr.repo(nil)
    local bin = fake_bin({ pbcopy = 'cat > "$CLIP_OUT"' })
    local r = lr.cx(dir, { "cxcopy", "echo", "hi" }, with(MOCK, { PATH = path_with(bin), CLIP_OUT = dir .. "/clip",
      CX_MOCK_PLAIN_RESPONSE = "copied text" }))
    assert.equal(0, r.code, r.stderr)
    assert.equal("Copied to clipboard (pbcopy)\n", r.stdout)
    assert.equal("copied text", h.slurp(dir .. "/clip"))
    assert.equal("cxcopy", rows.last(dir).tool)
  end)

  it("falls through failing programs and lists every failure", function()
    local dir = lr.repo(nil)
    local bin = fake_bin({ pbcopy = "exit 3", ["wl-copy"] = 'cat > "$CLIP_OUT"' })
    local r = lr.cx(dir, { "cxcopy", "echo", "hi" }, with(MOCK, { PATH = path_with(bin), CLIP_OUT = dir .. "/clip" }))
    assert.equal(0, r.code, r.stderr)
    assert.equal("Copied to clipboard (wl-copy)\n", r.stdout)
    local bad = fake_bin({ pbcopy = "exit 3", xclip = "exit 4" })
    local f = lr.cx(dir, { "cxcopy", "echo", "hi" }, with(MOCK, { PATH = path_with(bad) }))
    assert.equal(1, f.code)
    assert.equal("cx cxcopy: all clipboard backends failed: pbcopy exited with status 3; xclip exited with status 4\n",
      f.stderr)
  end)

  it("applies the shell timeout class to pbcopy (reference timeout_shell_precedence_applies_to_clipboard)", function()
    local dir = lr.repo(nil)
    local bin = fake_bin({ pbcopy = "sleep 30" })
    local r = lr.cx(dir, { "cxcopy", "echo", "hi" }, with(MOCK, { PATH = path_with(bin), CX_CMD_TIMEOUT_SECS = "9",
      CX_TIMEOUT_SHELL_SECS = "1" }))
    assert.equal(1, r.code)
    assert.truthy(r.stderr:find("pbcopy timed out after 1s", 1, true), r.stderr)
  end)

  it("says so when no clipboard program exists, before any LLM run", function()
    local dir = lr.repo(nil)
    local r = lr.cx(dir, { "cxcopy", "echo", "hi" }, with(MOCK, { PATH = path_with(nil) }))
    assert.equal(1, r.code)
    assert.equal("cx cxcopy: no clipboard program found on PATH (looked for pbcopy, wl-copy, xclip, xsel)\n", r.stderr)
    assert.is_nil(rows.last(dir))
  end)

  it("refuses an empty reply", function()
    local dir = lr.repo(nil)
    local bin = fake_bin({ pbcopy = "cat >/dev/null" })
    local r = lr.cx(dir, { "cxcopy", "echo", "hi" },
      with(MOCK, { PATH = path_with(bin), CX_MOCK_PLAIN_RESPONSE = " " }))
    assert.equal(1, r.code)
    assert.equal("cx cxcopy: nothing to copy\n", r.stderr)
  end)
end)

describe("cx health", function()
  it("smoke-tests the mock adapter and runs cxo git status", function()
    local dir = lr.repo(nil)
    local r = lr.cx(dir, { "health" }, with(MOCK, { CX_MOCK_PLAIN_RESPONSE = "pong" }))
    assert.equal(0, r.code, r.stderr)
    assert.equal("== mock version ==\nbuilt in (mock, stable)\n\n== mock json ==\n"
      .. '{"item":{"text":"pong","type":"agent_message"},"type":"item.completed"}\n\n== _codex_text ==\npong\n\n'
      .. "== cxo test ==\npong\n\nAll systems operational.\n", r.stdout)
    local all = rows.all(dir)
    assert.equal(1, #all) -- only the cxo run writes a row
    assert.equal("cxo", all[1].tool)
  end)

  it("runs the codex CLI's --version for the codex adapter and fails when it is missing", function()
    local dir = lr.repo(nil)
    local r = lr.cx(dir, { "health" }, { CX_CODEX_BIN = "/nonexistent/codex" })
    assert.equal(1, r.code)
    assert.matches("^cx health: codex %-%-version failed: codex %-%-version spawn failed", r.stderr)
    assert.equal("== codex version ==\n", r.stdout)
  end)

  it("exits 1 when the ping fails", function()
    local r = lr.cx(lr.repo(nil), { "health" }, with(MOCK, { CX_MOCK_ERROR = "down" }))
    assert.equal(1, r.code)
    assert.matches("^cx health: mock json failed: ", r.stderr)
  end)
end)

describe("cx bench", function()
  it("runs the command N times and counts failures", function()
    local dir = lr.repo(nil)
    local r = lr.cx(dir, { "bench", "3", "--", "true" })
    assert.equal(0, r.code, r.stderr)
    local l = lr.lines(r)
    assert.same({ "== cx bench ==", "runs: 3", "command: true" }, { l[1], l[2], l[3] })
    assert.matches("^duration_ms avg/min/max: %d+/%d+/%d+$", l[4])
    assert.same({ "failures: 0", "avg effective_input_tokens: n/a", "avg output_tokens: n/a", "cxbench_log: enabled",
      "cxbench_passthru: disabled", "cxbench_correlation: prompt_hash_matches=0/3 runs, appended_rows=0" },
      { table.unpack(l, 5, 10) })
    local f = lr.cx(dir, { "cxbench", "2", "--", "false" }, { CXBENCH_LOG = "0" })
    assert.equal(1, f.code)
    assert.truthy(f.stdout:find("\nfailures: 2\n", 1, true))
    assert.truthy(f.stdout:find("\ncxbench_log: disabled (CXBENCH_LOG=0)\n", 1, true))
    assert.is_nil(f.stdout:find("cxbench_correlation", 1, true))
  end)

  it("correlates the rows a cx child writes and echoes output with CXBENCH_PASSTHRU=1", function()
    local dir = lr.repo(nil)
    local jsonl = '{"type":"item.completed","item":{"type":"agent_message","text":"ok"}}\n'
      .. '{"type":"turn.completed","usage":{"input_tokens":100,"cached_input_tokens":40,"output_tokens":7}}'
    local r = lr.cx(dir, { "bench", "2", "--", h.bin, "cxo", "echo", "hi" },
      with(MOCK, { CX_MOCK_JSONL_RESPONSE = jsonl, CXBENCH_PASSTHRU = "1" }))
    assert.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("\navg effective_input_tokens: 60\navg output_tokens: 7\n", 1, true), r.stdout)
    assert.truthy(r.stdout:find("cxbench_correlation: prompt_hash_matches=2/2 runs, appended_rows=2", 1, true))
    assert.matches("^ok\nok\n== cx bench ==\n", r.stdout)
    assert.equal(2, #rows.all(dir))
  end)

  for _, case in ipairs({ { {}, "missing <runs>" },
    { { "0", "--", "true" }, "<runs> must be a positive integer, got '0'" },
    { { "2", "true" }, "expected '--' before the command, got 'true'" },
    { { "2", "x", "--", "true" }, "expected '--' before the command, got 'x'" },
    { { "2", "--" }, "missing <command> after '--'" } }) do
    it("rejects bench " .. table.concat(case[1], " ") .. " with exit 2", function()
      local args = { "bench" }
      for _, a in ipairs(case[1]) do args[#args + 1] = a end
      local r = lr.cx(lr.repo(nil), args)
      assert.equal(2, r.code)
      assert.equal("cx bench: " .. case[2] .. " (Usage: cx bench <runs> -- <command...>)\n", r.stderr)
    end)
  end

  it("stops with exit 1 when the command cannot start", function()
    local r = lr.cx(lr.repo(nil), { "bench", "2", "--", "no-such-program-cx" })
    assert.equal(1, r.code)
    assert.equal("", r.stdout)
    assert.matches("^cx bench: bench 'no%-such%-program%-cx' spawn failed: ", r.stderr)
  end)
end)

describe("cx parity", function()
  it("passes every case against an identical implementation (itself as the reference)", function()
    local dir = lr.repo(nil)
    local bin = fake_bin({ pbcopy = "cat >/dev/null" })
    local r = lr.cx(dir, { "parity", "--ref", h.bin }, { PATH = path_with(bin) })
    assert.equal(0, r.code, r.stdout .. r.stderr)
    local l = lr.lines(r)
    assert.equal("cmd | cx | reference | json | logs | budget | result", l[1])
    assert.equal(13, #l)
    for i = 3, #l do assert.matches(" | PASS$", l[i]) end
    assert.truthy(r.stdout:find("\ncxcommitjson | true | true | true | true | true | PASS\n", 1, true))
    assert.is_nil(r.stdout:find(" FAIL", 1, true))
  end)

  it("fails rows the reference does not pass, and exits 1 (provenance: exit agrees with FAIL rows)", function()
    local dir = lr.repo(nil)
    local ref = fake_bin({ ref = 'if [ "$1" = supports ]; then exit 0; fi; exit 1' })
    local r = lr.cx(dir, { "parity" }, { PATH = path_with(nil), CX_PARITY_REF = ref .. "/ref" })
    assert.equal(1, r.code)
    assert.truthy(r.stdout:find("\ncxo | true | false | true | false | true | FAIL\n", 1, true), r.stdout)
    assert.matches("cx parity: FAIL cxo cx_ok=true ref_ok=false", r.stderr)
    assert.is_nil(r.stdout:find("cxcopy", 1, true)) -- no clipboard on PATH: the case is left out
  end)

  it("needs a reference implementation", function()
    local r = lr.cx(lr.repo(nil), { "parity" }, { PATH = path_with(nil) })
    assert.equal(1, r.code)
    assert.matches("^cx parity: no reference implementation found", r.stderr)
  end)

  it("cleans up its temporary repository", function()
    local tmp = h.tmpdir()
    lr.dirs[#lr.dirs + 1] = tmp
    lr.cx(lr.repo(nil), { "parity", "--ref", h.bin }, { PATH = path_with(nil), TMPDIR = tmp })
    local p = io.popen("ls -A " .. h.quote(tmp))
    assert.equal("", p:read("a"))
    p:close()
  end)
end)

describe("cx chunk", function()
  it("splits stdin into whole-line chunks within the budget", function()
    local r = lr.cx(lr.repo(nil), { "chunk" }, { CX_CONTEXT_BUDGET_CHARS = "5" }, "a\nbb\nccc\n")
    assert.equal(0, r.code, r.stderr)
    assert.equal("----- cx chunk 1/2 -----\na\nbb\n----- cx chunk 2/2 -----\nccc\n", r.stdout)
  end)

  it("gives one empty chunk for empty input, one line per chunk at budget 0, keeps CR", function()
    local dir = lr.repo(nil)
    assert.equal("----- cx chunk 1/1 -----\n\n", lr.cx(dir, { "chunk" }, nil, "").stdout)
    assert.equal("----- cx chunk 1/2 -----\nx\r\n----- cx chunk 2/2 -----\ny\n",
      lr.cx(dir, { "chunk", "--chars", "0" }, nil, "x\r\ny").stdout)
    local long = lr.cx(dir, { "chunk", "--chars", "3" }, nil, "abcdefgh\n")
    assert.equal("----- cx chunk 1/1 -----\nabcdefgh\n", long.stdout)
  end)

  it("counts characters, not bytes, and refuses invalid UTF-8", function()
    local dir = lr.repo(nil)
    assert.equal("----- cx chunk 1/1 -----\néé\nüü\n", lr.cx(dir, { "chunk", "--chars", "6" }, nil, "éé\nüü\n").stdout)
    local r = lr.cx(dir, { "chunk" }, nil, "\xff\xfe\n")
    assert.equal(1, r.code)
    assert.equal("cx chunk: failed to read stdin: stream did not contain valid UTF-8\n", r.stderr)
  end)
end)

describe("prompt generators", function()
  it("prints the prompt block for a mode", function()
    local r = lr.cx(lr.repo(nil), { "prompt", "fix", "the", "flaky", "test" })
    assert.equal(0, r.code)
    local l = lr.lines(r)
    assert.equal('You are working on the "cx" toolchain.', l[1])
    assert.equal("- Diagnose and fix the issue with root-cause focus and regression prevention.", l[9])
    assert.equal("- User request: the flaky test", l[10])
    assert.equal("4. Repo-aware log/state paths still resolve correctly.", l[#l])
    assert.equal(31, #l)
  end)

  it("rejects a bad mode or a missing request with exit 2", function()
    local dir = lr.repo(nil)
    local r = lr.cx(dir, { "prompt", "fixx", "x" })
    assert.equal(2, r.code)
    assert.equal("cx prompt: invalid mode 'fixx' (use implement|fix|test|doc|ops; did you mean 'fix'?)\n", r.stderr)
    assert.equal(2, lr.cx(dir, { "prompt", "fix" }).code)
  end)

  it("lists roles and prints one role", function()
    local dir = lr.repo(nil)
    local r = lr.cx(dir, { "roles" })
    assert.equal("== cx roles ==", lr.lines(r)[1])
    assert.equal("reviewer    Validate regressions, risks, and missing tests.", lr.lines(r)[4])
    assert.equal("Role: architect\nFocus: design and decomposition.\n"
      .. "Deliver: implementation plan, constraints, and acceptance checks.\n",
      lr.cx(dir, { "roles", "architect" }).stdout)
    local bad = lr.cx(dir, { "roles", "boss" })
    assert.equal(2, bad.code)
    assert.equal("cx roles: unknown role 'boss'\n", bad.stderr)
  end)

  it("fans an objective out into six subtasks", function()
    local dir = lr.repo(nil)
    local r = lr.cx(dir, { "fanout", "ship", "it" })
    local l = lr.lines(r)
    assert.same({ "== cx fanout ==", "objective: ship it", "", "### Subtask 1/6 [architect]",
      "Goal: Define minimal design and split objective into independent slices.",
      "Scope: Keep this task independently executable.", "Deliverables: patch summary + verification commands.",
      "Tests: include deterministic checks for this slice.", "" }, { table.unpack(l, 1, 9) })
    assert.equal("### Subtask 6/6 [doc]", l[34])
    assert.equal(39, #l)
    assert.equal(2, lr.cx(dir, { "fanout" }).code)
  end)
end)

describe("the toggles", function()
  it("print the reference's notices", function()
    local dir = lr.repo(nil)
    assert.equal("cx logging: ON (process-local)\n", lr.cx(dir, { "log-on" }).stdout)
    assert.equal("cx logging: OFF (process-local)\n", lr.cx(dir, { "cxlog_off" }).stdout)
    assert.equal("cx alerts: ON (process-local)\n", lr.cx(dir, { "alert-on" }).stdout)
    assert.equal("cx alerts: OFF (process-local)\n", lr.cx(dir, { "cxalert_off" }).stdout)
    assert.same({ "cx alerts:", "enabled=1", "max_ms=12000", "max_eff_in=8000", "max_out=500" },
      lr.lines(lr.cx(dir, { "alert-show" })))
    assert.equal(2, lr.cx(dir, { "log-on", "x" }).code)
  end)
end)
