-- The structured commands end to end on the mock: next, diffsum, diffsum-staged, commitjson,
-- commitmsg, replay and fix-run, their rows, quarantine files and exit codes.
local h = require "helpers.cli"
local json = require "cx.json"
local runlog_rows = require "helpers.runlog_rows"
local rows, last_row = runlog_rows.all, runlog_rows.last



local function git_repo()
  local repo = h.tmprepo()
  assert(os.execute("cd " .. h.quote(repo) .. " && git config user.email t@example.invalid && git config user.name t"
    .. " && printf 'one\\n' > a && git add a && git commit -qm init"))
  return repo
end

describe("structured commands", function()
  local repo
  before_each(function() repo = git_repo() end)
  after_each(function() h.rm(repo) end)

  local function cx(args, env)
    local e = { CX_PROVIDER_ADAPTER = "mock" }
    for k, v in pairs(env or {}) do e[k] = v end
    return h.cx(args, { cwd = repo, env = e })
  end

  it("next prints one command per line and logs a schema row", function()
    local r = cx({ "next", "git", "status" }, { CX_MOCK_PLAIN_RESPONSE = '{"commands":["git add -p","  ","make"]}' })
    assert.equal(0, r.code, r.stderr)
    assert.equal("git add -p\nmake\n", r.stdout)
    local row = last_row(repo)
    assert.equal("cxrs_next", row.tool)
    assert.equal("next.schema.json", row.schema_name)
    assert.equal(1, row.schema_attempt)
    assert.equal("native", row.capture_provider)
    assert.matches("^%x+$", row.schema_sha256)
    assert.matches("^%x+$", row.schema_prompt_sha256)
    assert.matches("^Based on the terminal command output below", row.prompt_preview)
  end)

  it("retries once with the reason, then quarantines, as the reference records it", function()
    local r = cx({ "next", "true" }, { CX_MOCK_PLAIN_RESPONSE = '{"commands":[]}' })
    assert.equal(1, r.code)
    assert.matches("schema validation failed; quarantine_id=", r.stderr)
    local all = rows(repo)
    local base, exec = all[#all - 1], all[#all]
    assert.equal(base.quarantine_id, exec.quarantine_id)
    assert.equal("next", base.schema_name)
    assert.equal(json.null, base.duration_ms)
    assert.equal(2, exec.schema_attempt)
    assert.matches("^schema_validation_failed: %[%] has less than 1 item", exec.schema_reason)
    assert.matches("^You are a structured output generator", exec.prompt_preview)
    local rec = json.decode(h.slurp(repo .. "/.codex/quarantine/" .. exec.quarantine_id .. ".json"))
    assert.equal(2, #rec.attempts)
    assert.matches("The previous response failed validation with reason: schema_validation_failed",
      rec.attempts[2].prompt)
    local sf = h.slurp(repo .. "/.codex/cxlogs/schema_failures.jsonl")
    assert.truthy(sf:find(exec.quarantine_id, 1, true))
  end)

  it("does not retry in relaxed mode", function()
    local r = cx({ "next", "true" }, { CX_MOCK_PLAIN_RESPONSE = "prose", CX_SCHEMA_RELAXED = "1" })
    assert.equal(1, r.code)
    assert.equal(1, last_row(repo).schema_attempt)
  end)

  it("summarizes diffs and writes commit objects with the mock's schema-valid answers", function()
    assert.equal("no unstaged changes.\n", cx({ "diffsum" }).stdout)
    assert.equal("no staged changes. run: git add -p\n", cx({ "commitjson" }).stdout)
    assert(os.execute("cd " .. h.quote(repo) .. " && printf 'two\\n' >> a && printf 'b\\n' > b && git add b"))
    local r = cx({ "diffsum" })
    assert.equal(0, r.code, r.stderr)
    assert.matches("^Title: ", r.stdout)
    assert.matches("\nSuggested tests:\n%- ", r.stdout)
    assert.equal("cxrs_diffsum", last_row(repo).tool)
    r = cx({ "diffsum-staged" })
    assert.equal(0, r.code, r.stderr)
    assert.equal("cxrs_diffsum_staged", last_row(repo).tool)
    r = cx({ "commitjson" })
    assert.equal(0, r.code, r.stderr)
    local obj = json.decode(r.stdout)
    assert.is_string(obj.subject)
    assert.truthy(obj.scope == json.null or type(obj.scope) == "string")
    assert.is_false(obj.breaking)
    r = cx({ "commitmsg" })
    assert.equal(0, r.code, r.stderr)
    assert.matches("^mock subject\n\n%- ", r.stdout)
  end)

  it("uses a repository schema over the builtin", function()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/schemas"))
    h.write(repo .. "/.codex/schemas/next.schema.json",
      '{"type":"object","required":["commands"],"properties":{"commands":{"type":"array","minItems":2}}}')
    local r = cx({ "next", "true" }, { CX_MOCK_PLAIN_RESPONSE = '{"commands":["one"]}' })
    assert.equal(1, r.code)
    assert.matches("less than 2 items", last_row(repo).schema_reason)
    r = cx({ "next", "true" })
    assert.equal(0, r.code, "the mock answers what the repository schema asks for")
    assert.equal(2, select(2, r.stdout:gsub("\n", "")))
  end)

  it("replays a quarantined run through the current adapter", function()
    cx({ "next", "true" }, { CX_MOCK_FAIL = "malformed" })
    local qid = last_row(repo).quarantine_id
    local r = cx({ "replay", qid })
    assert.equal(0, r.code, r.stderr)
    assert.equal('{"commands":["echo mock"]}\n', r.stdout)
    for _ = 1, 3 do assert.equal(r.stdout, cx({ "replay", qid }).stdout) end
    assert.equal("cxrs_next_replay", last_row(repo).tool)
    r = cx({ "replay", qid }, { CX_MOCK_FAIL = "malformed" })
    assert.equal(1, r.code)
    assert.matches("quarantine_id=%d+T%d+Z_cxrs_next_replay_", r.stderr)
    assert.equal(2, cx({ "replay", "../../etc/passwd" }).code)
    assert.equal(1, cx({ "replay", "20990101T000000Z_nope_1" }).code)
    assert.equal(2, cx({ "replay" }).code)
  end)
end)

describe("fix-run", function()
  local repo
  before_each(function() repo = git_repo() end)
  after_each(function() h.rm(repo) end)

  local REPLY = '{"analysis":"the build dir is stale","commands":["echo rebuilt > marker","rm -rf /"]}'

  local function cx(args, env)
    local e = { CX_PROVIDER_ADAPTER = "mock", CX_MOCK_PLAIN_RESPONSE = REPLY }
    for k, v in pairs(env or {}) do e[k] = v end
    return h.cx(args, { cwd = repo, env = e })
  end

  it("prints the analysis and commands, runs nothing without CXFIX_RUN, exits with the command's status", function()
    local r = cx({ "fix-run", "sh", "-c", "echo broken; exit 3" })
    assert.equal(3, r.code)
    assert.matches("^Analysis:\nthe build dir is stale\n\nSuggested commands:\n%-+\n", r.stdout)
    assert.matches("Not running suggested commands %(set CXFIX_RUN=1 to execute%)", r.stdout)
    assert.is_nil(io.open(repo .. "/marker"))
    local row = last_row(repo)
    assert.equal("cxrs_fix_run", row.tool)
    assert.equal(json.null, row.policy_blocked)
  end)

  it("runs the safe commands and blocks the dangerous ones with the policy's reason", function()
    local r = cx({ "fix-run", "false" }, { CXFIX_RUN = "1" })
    assert.equal(1, r.code)
    assert.matches("WARN blocked dangerous command %(.-%); use CXFIX_FORCE=1 or %-%-unsafe: rm %-rf /", r.stderr)
    assert.equal("rebuilt\n", h.slurp(repo .. "/marker"))
    local row = last_row(repo)
    assert.is_true(row.policy_blocked)
    assert.matches("rm %-rf", row.policy_reason)
  end)

  it("follows a repository policy override", function()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/policies"))
    h.write(repo .. "/.codex/policies/command_safety.lua",
      'return { check = function(cmd) return { blocked = cmd:find("echo") ~= nil, reason = "no echo here" } end }')
    local r = cx({ "fix-run", "true" }, { CXFIX_RUN = "1",
      CX_MOCK_PLAIN_RESPONSE = '{"analysis":"a","commands":["echo hi > marker"]}' })
    assert.equal(0, r.code)
    assert.matches("no echo here", r.stderr)
    assert.is_nil(io.open(repo .. "/marker"))
  end)

  it("blocks a proposed recursive forced removal of any path, as the reference does", function()
    local r = cx({ "fix-run", "true" }, { CXFIX_RUN = "1",
      CX_MOCK_PLAIN_RESPONSE = '{"analysis":"a","commands":["mkdir -p scratch/x","rm -rf scratch"]}' })
    assert.equal(0, r.code)
    assert.matches("WARN blocked dangerous command %(rm %-rf: recursive forced removal%); use CXFIX_FORCE=1 or "
      .. "%-%-unsafe: rm %-rf scratch", r.stderr)
    assert.truthy(io.open(repo .. "/scratch/x"))
    assert.matches("rm %-rf", last_row(repo).policy_reason)
  end)

  it("blocks every command, with a one-line reason, when the policy runs away", function()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/policies"))
    h.write(repo .. "/.codex/policies/command_safety.lua",
      "return { check = function(cmd)\n  while true do end\nend }")
    local r = cx({ "fix-run", "true" }, { CXFIX_RUN = "1", CX_POLICY_INSTRUCTIONS = "100000",
      CX_MOCK_PLAIN_RESPONSE = '{"analysis":"a","commands":["echo hi > marker"]}' })
    assert.equal(0, r.code)
    assert.matches("command_safety%.lua:2: policy stopped: it exceeded its budget", r.stderr)
    assert.is_nil(io.open(repo .. "/marker"))
    assert.is_true(last_row(repo).policy_blocked)
  end)

  it("quarantines a schema failure", function()
    local r = cx({ "fix-run", "true" }, { CX_MOCK_PLAIN_RESPONSE = '{"analysis":""}' })
    assert.equal(1, r.code)
    assert.matches("cx fix%-run: schema failure; quarantine_id=", r.stderr)
    assert.is_string(last_row(repo).quarantine_id)
  end)
end)
