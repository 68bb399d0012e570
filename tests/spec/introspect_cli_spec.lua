-- version, core, capture-status, where, routes, supports, cx-compat and the git head reader, with
-- the reference's scenarios (entrypoint and provenance scripts, smoke's supports list).
local h = require "helpers.cli"
local lr = require "helpers.log_repo"
local contract = require "helpers.contract"
local git_head = require "cx.git_head"

local fixtures = {
  version = contract.load("version_json_contract.json"),
  core = contract.load("core_json_contract.json"),
  routes = contract.load("routes_json_contract.json"),
}

local function has_line(r, pattern)
  for _, l in ipairs(lr.lines(r)) do
    if l:find(pattern) then return true end
  end
  return false
end

teardown(lr.cleanup)

-- Only git_head.short(dir) is used by cx's commands (pkg speed ships a native reader with the same
-- short(dir)); these cases hold for either.
describe("the git head reader", function()
  local SHA = "0123456789abcdef0123456789abcdef01234567"

  local function fake_git(dir, files)
    for path, text in pairs(files) do
      os.execute("mkdir -p " .. h.quote((dir .. "/" .. path):match("^(.*)/")))
      h.write(dir .. "/" .. path, text)
    end
  end

  it("follows a branch ref, packed-refs, a detached head and a worktree's .git file", function()
    local d = h.tmpdir()
    lr.dirs[#lr.dirs + 1] = d
    fake_git(d, { [".git/HEAD"] = "ref: refs/heads/main\n", [".git/refs/heads/main"] = SHA .. "\n" })
    assert.equal("0123456", git_head.short(d))
    os.remove(d .. "/.git/refs/heads/main")
    fake_git(d, { [".git/packed-refs"] = "# pack-refs\n" .. SHA:reverse() .. " refs/heads/main\n" })
    assert.equal(SHA:reverse():sub(1, 7), git_head.short(d))
    fake_git(d, { [".git/HEAD"] = "fedcba9876543210fedcba9876543210fedcba98\n" })
    assert.equal("fedcba9", git_head.short(d))
    -- a worktree: .git is a file naming the gitdir, whose commondir holds the refs
    local wt = h.tmpdir()
    lr.dirs[#lr.dirs + 1] = wt
    fake_git(d, { [".git/worktrees/w/HEAD"] = "ref: refs/heads/topic\n", [".git/worktrees/w/commondir"] = "../..\n",
      [".git/refs/heads/topic"] = SHA .. "\n" })
    h.write(wt .. "/.git", "gitdir: " .. d .. "/.git/worktrees/w\n")
    assert.equal("0123456", git_head.short(wt))
  end)

  it("gives nil for no repository, an unborn branch, or a ref outside the git dir", function()
    local d = h.tmpdir()
    lr.dirs[#lr.dirs + 1] = d
    assert.is_nil((git_head.short(d)))
    fake_git(d, { [".git/HEAD"] = "ref: refs/heads/main\n" })
    assert.is_nil((git_head.short(d)))
    fake_git(d, { [".git/HEAD"] = "ref: ../../etc/passwd\n" })
    assert.is_nil((git_head.short(d)))
  end)

  it("agrees with git rev-parse on a real repository", function()
    local d = lr.repo(nil)
    h.write(d .. "/f", "x")
    assert(os.execute("cd " .. h.quote(d) .. " && git add f && git -c user.email=a@b -c user.name=a commit -qm m"))
    local p = io.popen("git -C " .. h.quote(d) .. " rev-parse --short=7 HEAD")
    local want = p:read("l")
    p:close()
    assert.equal(want, git_head.short(d))
  end)
end)

describe("cx version", function()
  it("prints the reference's lines in order, execution_path included (entrypoint scenarios)", function()
    local dir = lr.repo({})
    local r = lr.cx(dir, { "version" })
    assert.equal(0, r.code, r.stderr)
    local keys = {}
    for _, l in ipairs(lr.lines(r)) do keys[#keys + 1] = l:match("^([^:]+):") end
    assert.same({ "name", "version", "cwd", "execution_path", "source", "log_file", "state_file", "quarantine_dir",
      "mode", "llm_backend", "provider_adapter", "provider_transport", "provider_status", "provider_jsonl_native",
      "provider_schema_strict", "llm_model", "backend_resolution", "schema_relaxed", "capture_provider",
      "native_reduce", "capture_prefer_native", "capture_external_dependencies", "budget_chars", "budget_lines",
      "cmd_timeout_secs", "clip_mode", "state.preferences.conventional_commits", "state.preferences.pr_summary_format",
      "adapter_id", "lua", "scripts_dir" }, keys)
    assert.is_true(has_line(r, "^name: cx$"))
    assert.is_true(has_line(r, "^execution_path: native$"))
    assert.is_true(has_line(r, "^log_file: " .. dir:gsub("%p", "%%%0") .. "/%.codex/cxlogs/runs%.jsonl$"))
    assert.is_true(has_line(r, "^state%.preferences%.conventional_commits: n/a$"))
    assert.is_true(has_line(r, "^backend_resolution: backend=codex model=<unset>$"))
  end)

  it("reports cx's own version and commit, not the user's repository's", function()
    local dir = lr.repo({})
    h.write(dir .. "/VERSION", "9.9.9\n")
    local r = lr.cx(dir, { "version" })
    local v = r.stdout:match("\nversion: ([^\n]+)")
    assert.matches("^%d+%.%d+%.%d+", v)
    assert.is_nil(v:find("9.9.9", 1, true))
    local sha = git_head.short(h.root)
    if sha then assert.equal("+" .. sha, v:match("(%+%x+)$")) end
    -- CX_REPO_ROOT names the install a wrapper describes
    local root = lr.repo(nil)
    h.write(root .. "/VERSION", "2026.03.05\n")
    local w = lr.cx(dir, { "version" }, { CX_REPO_ROOT = root, CX_EXECUTION_PATH = "rust:bin/cx" })
    assert.is_true(has_line(w, "^version: 2026%.03%.05$"))
    assert.is_true(has_line(w, "^execution_path: rust:bin/cx$"))
  end)

  it("prints state values (strings raw, others compact) and never creates the state file", function()
    local dir = lr.repo({})
    assert.is_nil(io.open(dir .. "/.codex/state.json"))
    lr.cx(dir, { "state", "set", "preferences.conventional_commits", "true" })
    lr.cx(dir, { "state", "set", "preferences.pr_summary_format", "short" })
    local r = lr.cx(dir, { "version" })
    assert.is_true(has_line(r, "^state%.preferences%.conventional_commits: true$"))
    assert.is_true(has_line(r, "^state%.preferences%.pr_summary_format: short$"))
    local fresh = lr.repo({})
    lr.cx(fresh, { "version" })
    assert.is_nil(io.open(fresh .. "/.codex/state.json"))
  end)

  it("shows the HTTP format only for an HTTP adapter, and --json matches the contract", function()
    local dir = lr.repo({})
    assert.is_false(has_line(lr.cx(dir, { "version" }), "^http_provider_format:"))
    local r = lr.cx(dir, { "version", "--json" }, { CX_PROVIDER_ADAPTER = "http", CX_HTTP_PROVIDER_FORMAT = "json" })
    local doc = lr.json(r)
    assert.same({}, contract.check_shape(doc, fixtures.version))
    assert.equal("json", doc.http_provider_format)
    assert.equal("http-curl", doc.provider_adapter)
    assert.equal("experimental", doc.provider_status)
  end)

  it("keeps --version to one line", function()
    local r = h.cx({ "--version" })
    assert.matches("^cx %d+%.%d+%.%d+\n$", r.stdout)
  end)
end)

describe("cx core and capture-status", function()
  it("print their facts", function()
    local dir = lr.repo({})
    local c = lr.cx(dir, { "core" }, { CXLOG_ENABLED = "0", CX_CAPTURE_PREFER_NATIVE = "0" })
    assert.equal(0, c.code)
    assert.equal("== cxcore ==", lr.lines(c)[1])
    for _, want in ipairs({ "^bash_fallback_used: false$", "^schema_enforcement: true$", "^logging_enabled: false$",
      "^capture_prefer_native: false$", "^clip_footer: true$", "^execution_mode: lean$" }) do
      assert.is_true(has_line(c, want), want)
    end
    assert.is_true(has_line(lr.cx(dir, { "core" }, { CX_EXECUTION_PATH = "bash:x" }), "^bash_fallback_used: true$"))
    local doc = lr.json(lr.cx(dir, { "core", "--json" }))
    assert.same({}, contract.check_shape(doc, fixtures.core))
    assert.equal(dir .. "/.codex/cxlogs/runs.jsonl", doc.log_file)
    local s = lr.cx(dir, { "capture-status" }, { CX_NATIVE_REDUCE = "0" })
    assert.same({ "capture_provider: native", "capture_provider_config: native", "native_reduce: 0",
      "capture_prefer_native: 1", "external_capture_dependencies: none" }, lr.lines(s))
  end)
end)

describe("cx where", function()
  it("reports paths and routes (reference provenance_tools: where cxversion cxo _cx_git_root)", function()
    local dir = lr.repo({})
    local r = lr.cx(dir, { "where", "cxversion", "cxo", "_cx_git_root" })
    assert.equal(0, r.code, r.stderr)
    for _, want in ipairs({ "^== cxwhere ==$", "^bin_cx: ", "^repo_root: " .. dir:gsub("%p", "%%%0") .. "$",
      "^- cxversion: route=rust ", "^- cxo: route=rust ", "^- _cx_git_root: route=unknown$", "^routes:$" }) do
      assert.is_true(has_line(r, want), want)
    end
    assert.is_true(has_line(lr.cx(dir, { "where", "cxo" }), "route"))
  end)
end)

describe("cx routes", function()
  it("lists every command and alias, sorted, as text and JSON (contract)", function()
    local dir = lr.repo({})
    local r = lr.cx(dir, { "routes" })
    assert.equal(0, r.code)
    local names = {}
    for _, l in ipairs(lr.lines(r)) do names[#names + 1] = l:match("^([^:]+):") end
    local sorted = { table.unpack(names) }
    table.sort(sorted)
    assert.same(sorted, names)
    assert.is_true(has_line(r, "^cxmetrics: rust %(metrics%)$"))
    assert.is_true(has_line(r, "^cx%-compat: rust %(cx%-compat%)$"))
    local j = lr.cx(dir, { "routes", "--json" })
    local doc = lr.json(j)
    assert.same({}, contract.check_shape(doc, fixtures.routes))
    assert.equal(#names, #doc)
  end)

  it("keeps the given names in order and leaves unknown ones out", function()
    local r = lr.cx(lr.repo({}), { "routes", "trace", "nope", "cxstate", "--json" })
    assert.equal(0, r.code)
    assert.same({ { handler = "trace", name = "trace", route = "rust" }, { handler = "state", name = "cxstate",
      route = "rust" } }, lr.json(r))
    assert.equal("cx routes: unknown command 'nope'\n", r.stderr)
    assert.equal("[]\n", lr.cx(lr.repo({}), { "routes", "--json", "nope" }).stdout)
  end)
end)

describe("cx supports", function()
  -- test/smoke.sh and test/schema_registry.sh of the reference
  local SMOKE = { "cx", "cxj", "cxo", "cxol", "cxcopy", "cxversion", "cxwhere", "cxroutes", "cxdiag", "cxscheduler",
    "cxparity", "cxcore", "cxlogs", "cxtelemetry", "cxmetrics", "cxquota", "cxprompt_stats", "cxprofile", "cxtrace",
    "cxalert", "cxoptimize", "cxworklog", "cxpolicy", "cxstate", "cxllm", "cxbench", "cxprompt", "cxroles",
    "cxfanout", "cxpromptlint", "cxnext", "cxfix", "cxdiffsum", "cxdiffsum_staged", "cxcommitjson", "cxcommitmsg",
    "cxbudget", "cxlog_tail", "cxhealth", "cxlog_on", "cxlog_off", "cxalert_show", "cxalert_on", "cxalert_off",
    "cxchunk", "cxfix_run", "cxreplay", "cxquarantine", "cxdoctor", "commitjson", "diffsum", "next", "fix-run",
    "cxtask", "cxbroker", "help", "-h", "--version", "capture-status", "ci", "supports", "schema", "completion" }

  it("says true for every compatibility name the reference's scripts check", function()
    local dir = lr.repo({})
    for _, name in ipairs(SMOKE) do
      local r = lr.cx(dir, { "supports", name })
      assert.equal(0, r.code, name)
      assert.equal("true\n", r.stdout, name)
    end
  end)

  it("says false with exit 1 for other names, and exit 2 without one", function()
    local r = lr.cx(lr.repo({}), { "supports", "_cx_git_root" })
    assert.equal(1, r.code)
    assert.equal("false\n", r.stdout)
    local u = lr.cx(lr.repo({}), { "supports" })
    assert.equal(2, u.code)
    assert.matches("^cx supports: missing <name>", u.stderr)
  end)
end)

describe("cx cx-compat", function()
  it("runs a command by its cx* name or plain name", function()
    local dir = lr.repo({})
    local r = lr.cx(dir, { "cx-compat", "cxversion" })
    assert.equal(0, r.code, r.stderr)
    assert.is_true(has_line(r, "^execution_path: "))
    assert.equal("Role: doc\nFocus: user/operator clarity.\n"
      .. "Deliver: concise docs with examples and expected outputs.\n",
      lr.cx(dir, { "cx-compat", "cxroles", "doc" }).stdout)
    assert.equal(0, lr.cx(dir, { "cx-compat", "metrics" }).code)
    assert.equal("true\n", lr.cx(dir, { "cx-compat", "supports", "cxstate" }).stdout)
    assert.matches("^Usage: cx state", lr.cx(dir, { "cx-compat", "help", "cxstate" }).stdout)
  end)

  it("rejects a missing, unknown or recursive name with exit 2", function()
    local dir = lr.repo({})
    local none = lr.cx(dir, { "cx-compat" })
    assert.equal(2, none.code)
    assert.equal("cx cx-compat: Usage: cx cx-compat <command> [args...]\n", none.stderr)
    local bad = lr.cx(dir, { "cx-compat", "cxmetrix" })
    assert.equal(2, bad.code)
    assert.equal("cx cx-compat: unsupported command 'cxmetrix' (did you mean 'cxmetrics'?)\n", bad.stderr)
    assert.equal(2, lr.cx(dir, { "cx-compat", "cx-compat", "cxversion" }).code)
  end)
end)
