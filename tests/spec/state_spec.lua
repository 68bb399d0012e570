-- cx.state: state.json read once, default skeleton, dotted get/set, atomic pretty writes.
local h = require "helpers.cli"
local sub = require "helpers.sub"
local json = require "cx.json"
local state = require "cx.state"

describe("cx.state", function()
  local dir, file
  before_each(function()
    dir = h.tmpdir()
    file = dir .. "/.codex/state.json"
    state.reset()
  end)
  after_each(function() h.rm(dir) end)

  it("reads the default skeleton when the file is missing, without creating it", function()
    local doc = state.load(file)
    assert.same({}, doc.alert_overrides)
    assert.equal(json.null, doc.last_model)
    assert.equal(json.null, doc.preferences.llm_backend)
    assert.is_nil(state.get("preferences.llm_backend", file))
    assert.is_nil(state.get("runtime.current_task_id", file))
    assert.is_nil(io.open(file))
  end)

  it("writes the reference's skeleton, pretty and sorted with a trailing newline", function()
    assert.is_true(state.set("preferences.llm_backend", "ollama", file))
    assert.equal([[
{
  "alert_overrides": {},
  "last_model": null,
  "preferences": {
    "conventional_commits": null,
    "llm_backend": "ollama",
    "ollama_model": null,
    "pr_summary_format": null
  },
  "runtime": {
    "current_task_id": null,
    "current_task_parent_id": null
  }
}
]], h.slurp(file))
    assert.equal("ollama", state.get("preferences.llm_backend", file))
  end)

  it("creates intermediate objects, writes null for nil, keeps unknown keys", function()
    h.write(dir .. "/s.json", '{"custom":{"x":1},"preferences":{"llm_backend":"codex"}}')
    local f = dir .. "/s.json"
    assert.is_true(state.set("a.b.c", 3, f))
    assert.is_true(state.set("preferences.llm_backend", nil, f))
    local doc = json.decode(h.slurp(f))
    assert.equal(1, doc.custom.x)
    assert.equal(3, doc.a.b.c)
    assert.equal(json.null, doc.preferences.llm_backend)
    assert.is_nil(state.get("preferences.llm_backend", f))
    assert.equal(3, state.get("a.b.c", f))
  end)

  it("a broken file is an error naming it and is never overwritten", function()
    os.execute("mkdir -p " .. h.quote(dir .. "/.codex"))
    h.write(file, "{ not json")
    local v, err, class = state.get("preferences.llm_backend", file)
    assert.is_nil(v)
    assert.equal("invalid", class)
    assert.truthy(err:find(file, 1, true), err)
    local ok, serr = state.set("preferences.llm_backend", "codex", file)
    assert.is_nil(ok)
    assert.truthy(serr:find(file, 1, true))
    assert.equal("{ not json", h.slurp(file))
    h.write(file, "[1,2]")
    state.reset()
    assert.is_nil((state.load(file)))
  end)

  it("reads once per process; a write refreshes; CX_NO_CACHE=1 re-reads", function()
    assert.is_true(state.set("preferences.ollama_model", "m1", file))
    assert.equal("m1", state.get("preferences.ollama_model", file))
    -- another writer changes the file behind our back: the cached document is still served
    h.write(file, '{"preferences":{"ollama_model":"m2"}}')
    assert.equal("m1", state.get("preferences.ollama_model", file))
    local code = "local s = require('cx.state'); local f = ... ; local a = s.get('x', '" .. file .. "'); " ..
      "local fh = io.open('" .. file .. "', 'w'); fh:write('{\"x\":2}'); fh:close(); " ..
      "return { a, s.get('x', '" .. file .. "') }"
    h.write(file, '{"x":1}')
    assert.same({ 1, 1 }, (sub.lua(code)))
    h.write(file, '{"x":1}')
    assert.same({ 1, 2 }, (sub.lua(code, { CX_NO_CACHE = "1" })))
  end)

  it("defaults to the resolved repository state file", function()
    os.execute("mkdir -p " .. h.quote(dir .. "/repo/.git"))
    local v, r = sub.lua("local s = require('cx.state'); assert(s.set('preferences.llm_backend', 'ollama')); " ..
      "return s.get('preferences.llm_backend')", { HOME = "/nonexistent" }, dir .. "/repo")
    assert.equal(0, r.code, r.stderr)
    assert.equal("ollama", v)
    assert.truthy(h.slurp(dir .. "/repo/.codex/state.json"):find('"llm_backend": "ollama"', 1, true))
  end)
end)
