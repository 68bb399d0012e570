-- `cx log-tail [N] [--json]` end to end.
local h = require "helpers.cli"
local json = require "cx.json"

describe("cx log-tail", function()
  local repo, log
  before_each(function()
    repo = h.tmprepo()
    os.execute("mkdir -p " .. h.quote(repo .. "/.codex/cxlogs") .. " " .. h.quote(repo .. "/src/deep"))
    log = repo .. "/.codex/cxlogs/runs.jsonl"
  end)
  after_each(function() h.rm(repo) end)

  local function rows(n)
    local out = {}
    for i = 1, n do out[#out + 1] = json.encode({ execution_id = "id" .. i, duration_ms = i }) end
    return out
  end

  it("prints the last 10 rows by default, pretty-printed with sorted keys", function()
    h.write(log, table.concat(rows(15), "\n") .. "\n")
    local r = h.cx({ "log-tail" }, { cwd = repo })
    assert.equal(0, r.code)
    assert.equal("", r.stderr)
    local want = {}
    for i = 6, 15 do want[#want + 1] = json.pretty({ duration_ms = i, execution_id = "id" .. i }) end
    assert.equal(table.concat(want, "\n") .. "\n", r.stdout)
  end)

  it("takes N, finds the repository from a subdirectory, prints non-JSON lines raw", function()
    h.write(log, '{"b":2,"a":1}\n\nnot json at all\n   \n{"c":[1,2]}\n{"torn":')
    local r = h.cx({ "log-tail", "3" }, { cwd = repo .. "/src/deep" })
    assert.equal(0, r.code)
    assert.equal('not json at all\n{\n  "c": [\n    1,\n    2\n  ]\n}\n{"torn":\n', r.stdout)
  end)

  it("prints one JSON array with --json, invalid lines as strings", function()
    h.write(log, '{"b":2,"a":1}\nbroken {\n{"x":null}\n')
    local r = h.cx({ "log-tail", "--json", "5" }, { cwd = repo })
    assert.equal(0, r.code)
    local v = assert(json.decode(r.stdout))
    assert.equal(3, #v)
    assert.same({ a = 1, b = 2 }, v[1])
    assert.equal("broken {", v[2])
    assert.equal(json.null, v[3].x)
  end)

  it("prints an empty array for an empty log", function()
    h.write(log, "")
    local r = h.cx({ "log-tail", "--json" }, { cwd = repo })
    assert.equal(0, r.code)
    assert.equal("[]\n", r.stdout)
    r = h.cx({ "log-tail" }, { cwd = repo })
    assert.equal(0, r.code)
    assert.equal("", r.stdout)
  end)

  it("fails with exit 1 naming the path when there is no log", function()
    local r = h.cx({ "log-tail" }, { cwd = repo })
    assert.equal(1, r.code)
    assert.equal("", r.stdout)
    assert.equal("cx log-tail: no log file at " .. log .. "\n", r.stderr)
  end)

  it("reads another log with --log, and fails --strict on an empty one", function()
    local other = repo .. "/downloaded.jsonl"
    h.write(other, table.concat(rows(3), "\n") .. "\n")
    local r = h.cx({ "log-tail", "--json", "--log", other }, { cwd = repo })
    assert.equal(0, r.code, r.stderr)
    assert.equal(3, #assert(json.decode(r.stdout)))
    h.write(other, "")
    r = h.cx({ "log-tail", "--strict", "--log", other }, { cwd = repo })
    assert.equal(1, r.code)
    assert.equal("cx log-tail: the run log " .. other .. " has no rows (--strict)\n", r.stderr)
    r = h.cx({ "log-tail", "--log", repo .. "/nope.jsonl" }, { cwd = repo })
    assert.equal(1, r.code)
    assert.equal("cx log-tail: no log file at " .. repo .. "/nope.jsonl\n", r.stderr)
  end)

  it("rejects a bad N with exit 2", function()
    local r = h.cx({ "log-tail", "ten" }, { cwd = repo })
    assert.equal(2, r.code)
    assert.equal("cx log-tail: N must be an integer, got 'ten'\n", r.stderr)
    r = h.cx({ "log-tail", "--frob" }, { cwd = repo })
    assert.equal(2, r.code)
    assert.matches("unknown option '%-%-frob'", r.stderr)
  end)
end)
