-- cx schema / cx quarantine / cx policy end to end.
local h = require "helpers.cli"
local json = require "cx.json"
local quarantine = require "cx.quarantine"

describe("cx schema list", function()
  local repo

  before_each(function() repo = h.tmprepo() end)
  after_each(function() h.rm(repo) end)

  it("lists the builtins in the reference's text shape", function()
    local r = h.cx({ "schema", "list" }, { cwd = repo })
    assert.equal(0, r.code)
    assert.equal("", r.stderr)
    assert.matches("^schema_dir: [^\n]*/%.codex/schemas\nfile_count: 4\n", r.stdout)
    assert.matches("\n%- next%.schema%.json %(builtin:next%) %[cx://schemas/next%.v1%]\n$", r.stdout)
  end)

  it("prints compact JSON with a source per entry, repo files overriding builtins", function()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/schemas"))
    h.write(repo .. "/.codex/schemas/next.schema.json", '{"type":"object"}')
    local r = h.cx({ "schema", "list", "--json" }, { cwd = repo })
    assert.equal(0, r.code)
    assert.matches("^{[^\n]*}\n$", r.stdout)
    local v = assert(json.decode(r.stdout))
    assert.equal(4, v.file_count)
    local last = v.schemas[4]
    assert.equal("next.schema.json", last.name)
    assert.equal("repo", last.source)
    assert.equal(json.null, last.id)
    assert.matches("/%.codex/schemas/next%.schema%.json$", last.path)
    assert.equal("builtin", v.schemas[1].source)
  end)

  it("fails with exit 1 naming a broken schema file", function()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/schemas"))
    h.write(repo .. "/.codex/schemas/bad.schema.json", "{")
    local r = h.cx({ "schema", "list" }, { cwd = repo })
    assert.equal(1, r.code)
    assert.matches("^cx schema: invalid schema JSON [^\n]*bad%.schema%.json: ", r.stderr)
  end)

  it("validates a document from stdin or a file, listing every error with its path", function()
    local r = h.cx({ "schema", "validate", "next" }, { cwd = repo, stdin = '{"commands":["",1],"x":1}' })
    assert.equal(1, r.code)
    assert.equal('invalid: schema_validation_failed: "" is shorter than 1 character | 1 is not of type "string" | '
      .. "Additional properties are not allowed ('x' was unexpected)\n"
      .. '- /commands/0: "" is shorter than 1 character\n'
      .. '- /commands/1: 1 is not of type "string"\n'
      .. "- /: Additional properties are not allowed ('x' was unexpected)\n", r.stdout)
    h.write(repo .. "/ok.json", '{"commands":["ls"]}')
    r = h.cx({ "schema", "validate", "--json", "next", repo .. "/ok.json" }, { cwd = repo })
    assert.equal(0, r.code)
    assert.same({ valid = true, reason = json.null, schema = "builtin:next", errors = {} }, json.decode(r.stdout))
  end)

  it("refuses to validate against a schema with unsupported keywords", function()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/schemas"))
    h.write(repo .. "/.codex/schemas/x.schema.json", '{"type":"object","properties":{"d":{"format":"date"}}}')
    local r = h.cx({ "schema", "validate", "x" }, { cwd = repo, stdin = "{}" })
    assert.equal(1, r.code)
    assert.matches('unsupported keyword "format" at /properties/d/format', r.stderr, 1, true)
  end)

  it("names a self-referential schema file at compile time, for validate and for next", function()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/schemas"))
    h.write(repo .. "/.codex/schemas/next.schema.json", '{"$ref":"#"}')
    local r = h.cx({ "schema", "validate", "next" }, { cwd = repo, stdin = "{}" })
    assert.equal(1, r.code)
    assert.matches("^cx schema validate: failed to compile schema [^\n]*/%.codex/schemas/next%.schema%.json: "
      .. "reference cycle", r.stderr)
    r = h.cx({ "next", "true" }, { cwd = repo, env = { CX_PROVIDER_ADAPTER = "mock" } })
    assert.equal(1, r.code)
    assert.matches("^cx next: failed to compile schema [^\n]*next%.schema%.json: reference cycle", r.stderr)
    assert.is_nil(io.open(repo .. "/.codex/quarantine")) -- nothing was run, nothing quarantined
  end)

  it("exits 2 for a schema name that is no schema, 1 for a document it cannot read", function()
    for _, name in ipairs({ "nope", "../x", "a/b" }) do
      local r = h.cx({ "schema", "validate", name }, { cwd = repo, stdin = "{}" })
      assert.equal(2, r.code, name)
      assert.equal("", r.stdout)
      assert.truthy(r.stderr:find(name, 1, true), r.stderr)
    end
    local r = h.cx({ "schema", "validate", "nope" }, { cwd = repo, stdin = "{}" })
    assert.matches("^cx schema validate: unknown schema 'nope' %(.*builtins: commitjson, diffsum, fixrun, next%)\n$",
      r.stderr)
    -- an endless document ends at the bound; a directory is named
    r = h.cx({ "schema", "validate", "next", "/dev/zero" }, { cwd = repo })
    assert.equal(1, r.code)
    assert.equal("cx schema validate: cannot read /dev/zero: it is larger than the 16777216-byte limit\n", r.stderr)
    r = h.cx({ "schema", "validate", "next", repo }, { cwd = repo })
    assert.equal(1, r.code)
    assert.matches("it is a directory, not a regular file\n$", r.stderr)
    -- a device or FIFO the user names is read like a file
    r = h.cx({ "schema", "validate", "next", "/dev/stdin" }, { cwd = repo, stdin = '{"commands":["ls"]}' })
    assert.equal(0, r.code, r.stderr)
  end)

  it("gives a usage error without a subcommand", function()
    local r = h.cx({ "schema" }, { cwd = repo })
    assert.equal(2, r.code)
    assert.equal("", r.stdout)
  end)
end)

describe("cx quarantine", function()
  local repo, qdir

  before_each(function()
    repo = h.tmprepo()
    qdir = repo .. "/.codex/quarantine"
  end)
  after_each(function() h.rm(repo) end)

  local function add(tool, time)
    return assert(quarantine.write(qdir, { tool = tool, reason = "empty_agent_message", schema = "{}",
      prompt = "p", prompt_sha256 = "x", raw_response = "", raw_sha256 = "y", attempts = {} }, { time = time }))
  end

  it("lists entries newest first", function()
    local old = add("cxrs_next", 1000000000)
    local new = add("cxrs_diffsum", 1700000000)
    local r = h.cx({ "quarantine", "list" }, { cwd = repo })
    assert.equal(0, r.code)
    local qd = r.stdout:match("quarantine_dir: ([^\n]+)\n$")
    assert.matches("/%.codex/quarantine$", qd)
    assert.equal("== cx quarantine list ==\nentries: 2\n"
      .. "- " .. new .. " | 2023-11-14T22:13:20Z | cxrs_diffsum | empty_agent_message\n"
      .. "- " .. old .. " | 2001-09-09T01:46:40Z | cxrs_next | empty_agent_message\n"
      .. "quarantine_dir: " .. qd .. "\n", r.stdout)
    r = h.cx({ "quarantine", "list", "1", "--json" }, { cwd = repo })
    local v = assert(json.decode(r.stdout))
    assert.equal(1, #v.entries)
    assert.equal(new, v.entries[1].id)
    assert.equal(2, v.total)
  end)

  it("reports a corrupted file on stderr and still lists the rest", function()
    add("cxrs_next", 1000000000)
    h.write(qdir .. "/torn.json", '{"id":')
    local r = h.cx({ "quarantine", "list" }, { cwd = repo })
    assert.equal(0, r.code)
    assert.matches("entries: 1\n", r.stdout)
    assert.matches("skipped_unreadable: 1\n", r.stdout)
    assert.matches("^cx quarantine list: skipped unreadable entry [^\n]*torn%.json: ", r.stderr)
  end)

  it("shows one entry as stored", function()
    local id, path = add("cxrs_next", 1000000000)
    local r = h.cx({ "quarantine", "show", id }, { cwd = repo })
    assert.equal(0, r.code)
    assert.equal(h.slurp(path) .. "\n", r.stdout)
  end)

  it("refuses a traversing id with a usage error, and a missing or broken one with exit 1", function()
    local r = h.cx({ "quarantine", "show", "../../etc/passwd" }, { cwd = repo })
    assert.equal(2, r.code)
    assert.matches("^cx quarantine show: invalid quarantine id '../../etc/passwd'", r.stderr)
    r = h.cx({ "quarantine", "show", "nope" }, { cwd = repo })
    assert.equal(1, r.code)
    assert.equal("cx quarantine show: quarantine id not found: nope\n", r.stderr)
    os.execute("mkdir -p " .. h.quote(qdir))
    h.write(qdir .. "/broken.json", "{x")
    r = h.cx({ "quarantine", "show", "broken" }, { cwd = repo })
    assert.equal(1, r.code)
    assert.matches("^cx quarantine show: invalid quarantine JSON [^\n]*broken%.json: ", r.stderr)
    r = h.cx({ "quarantine", "show" }, { cwd = repo })
    assert.equal(2, r.code)
  end)
end)

describe("cx policy", function()
  local repo

  before_each(function() repo = h.tmprepo() end)
  after_each(function() h.rm(repo) end)

  it("shows the shipped policy's path and text", function()
    local r = h.cx({ "policy", "show" }, { cwd = repo })
    assert.equal(0, r.code)
    assert.matches("^%-%- policy: command_safety\n%-%- source: [^\n]*/policies/command_safety%.lua %(shipped%)\n",
      r.stdout)
    assert.matches("check = function%(cmd%)", r.stdout)
  end)

  it("shows and uses a repository override", function()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/policies"))
    h.write(repo .. "/.codex/policies/command_safety.lua",
      "return { check = function(cmd) return { blocked = cmd:find('ls') ~= nil, reason = 'no ls here' } end }")
    local r = h.cx({ "policy", "show", "command_safety" }, { cwd = repo })
    assert.matches("%(repo%)\n", r.stdout)
    r = h.cx({ "policy", "check", "command_safety", "ls", "-la" }, { cwd = repo })
    assert.equal(1, r.code)
    assert.equal("blocked: no ls here\n", r.stdout)
  end)

  it("lists shipped policies and marks repository overrides", function()
    local r = h.cx({ "policy", "list" }, { cwd = repo })
    assert.equal(0, r.code)
    assert.matches("\n%- command_safety %([^\n]*/policies/command_safety%.lua%) %[shipped%]\n", r.stdout)
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/policies"))
    h.write(repo .. "/.codex/policies/command_safety.lua", "return {}")
    r = h.cx({ "policy", "list", "--json" }, { cwd = repo })
    local v = assert(json.decode(r.stdout))
    local entry
    for _, e in ipairs(v.policies) do
      if e.name == "command_safety" then entry = e end
    end
    assert.same({ "repo", true }, { entry.origin, entry.overrides })
  end)

  it("checks a command: blocked exits 1, allowed exits 0", function()
    local r = h.cx({ "policy", "check", "command_safety", "rm", "-rf", "/" }, { cwd = repo })
    assert.equal(1, r.code)
    assert.equal("blocked: rm -rf on a broad path\n", r.stdout)
    r = h.cx({ "policy", "check", "command_safety", "ls", "-la" }, { cwd = repo })
    assert.equal(0, r.code)
    assert.equal("allowed\n", r.stdout)
    r = h.cx({ "policy", "check", "--json", "command_safety", "git", "push", "--force" }, { cwd = repo })
    local v = assert(json.decode(r.stdout))
    assert.same({ true, "git push --force rewrites remote history", "git_push_force", "git push --force" },
      { v.blocked, v.reason, v.rule, v.command })
  end)

  it("reports a policy that loops forever, naming the file", function()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/policies"))
    h.write(repo .. "/.codex/policies/spin.lua", "return { check = function()\n  while true do end\nend }")
    local r = h.cx({ "policy", "check", "spin", "ls" }, { cwd = repo })
    assert.equal(1, r.code)
    assert.matches("^cx policy check: [^\n]*/%.codex/policies/spin%.lua:2: policy stopped", r.stderr)
  end)

  it("gives usage errors for policy names that are paths, and exit 1 for unknown policies", function()
    -- Changed with issue 8: `policy check` without a command validates the policies (exit 0 when valid).
    assert.equal(0, h.cx({ "policy", "check" }, { cwd = repo }).code)
    assert.equal(0, h.cx({ "policy", "check", "command_safety" }, { cwd = repo }).code)
    assert.equal(2, h.cx({ "policy", "check", "../x" }, { cwd = repo }).code)
    assert.equal(2, h.cx({ "policy", "show", "../x" }, { cwd = repo }).code)
    local r = h.cx({ "policy", "show", "nosuch" }, { cwd = repo })
    assert.equal(1, r.code)
    assert.equal("cx policy show: policy not found: nosuch\n", r.stderr)
  end)
end)
