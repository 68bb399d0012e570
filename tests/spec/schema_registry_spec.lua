local h = require "helpers.cli"
local json = require "cx.json"
local core = require "cx.core"
local registry = require "cx.schema.registry"
local builtin = require "cx.schema.builtin"

describe("schema registry", function()
  local dir

  before_each(function()
    dir = h.tmpdir()
  end)

  after_each(function()
    h.rm(dir)
  end)

  it("falls back to the four builtin schemas when the directory is missing", function()
    local list = assert(registry.list(dir .. "/none"))
    local names = {}
    for i, e in ipairs(list) do
      names[i] = e.name
      assert.equal("builtin", e.source)
      assert.equal("builtin:" .. e.name:gsub("%.schema%.json$", ""), e.path)
    end
    assert.same({ "commitjson.schema.json", "diffsum.schema.json", "fixrun.schema.json", "next.schema.json" }, names)
    assert.equal("cx://schemas/next.v1", list[4].id)
  end)

  it("ships the reference's schemas: draft 2020-12, cx://schemas ids, closed objects", function()
    for _, name in ipairs(builtin.names()) do
      local s = assert(json.decode(builtin.texts[name]))
      assert.equal("https://json-schema.org/draft/2020-12/schema", s["$schema"])
      assert.equal("cx://schemas/" .. name .. ".v1", s["$id"])
      assert.equal(false, s.additionalProperties)
    end
    local c = assert(json.decode(builtin.texts.commitjson))
    assert.same({ "subject", "body", "breaking", "scope", "tests" }, c.required)
    assert.equal(72, c.properties.subject.maxLength)
  end)

  it("loads a builtin with the sorted pretty text and its sha256", function()
    local s = assert(registry.load(nil, "next"))
    assert.equal("next.schema.json", s.name)
    assert.equal("builtin", s.source)
    assert.equal(json.pretty(json.decode(builtin.texts.next)), s.text)
    assert.matches('^{\n  "%$id": "cx://schemas/next.v1",\n  "%$schema"', s.text)
    assert.equal(core.digest.sha256_hex(s.text), s.sha256)
    assert.truthy(s.compiled)
  end)

  it("lets a repository file override the builtin of the same name, and adds new ones", function()
    h.write(dir .. "/next.schema.json", '{"$id":"mine","type":"object"}')
    h.write(dir .. "/extra.schema.json", '{"type":"string"}')
    h.write(dir .. "/notes.txt", "ignored")
    local list = assert(registry.list(dir))
    local by = {}
    for _, e in ipairs(list) do by[e.name] = e end
    assert.equal("repo", by["next.schema.json"].source)
    assert.equal(dir .. "/next.schema.json", by["next.schema.json"].path)
    assert.equal("mine", by["next.schema.json"].id)
    assert.equal("repo", by["extra.schema.json"].source)
    assert.is_nil(by["extra.schema.json"].id)
    assert.equal("builtin", by["diffsum.schema.json"].source)
    assert.is_nil(by["notes.txt"])
    local s = assert(registry.load(dir, "next.schema.json"))
    assert.equal("repo", s.source)
    assert.equal("mine", s.id)
  end)

  it("reports a broken repository schema naming the file, in list and load", function()
    h.write(dir .. "/next.schema.json", "{not json")
    local list, err = registry.list(dir)
    assert.is_nil(list)
    assert.matches("^invalid schema JSON " .. dir:gsub("%p", "%%%0") .. "/next%.schema%.json: ", err)
    local s, lerr = registry.load(dir, "next")
    assert.is_nil(s)
    assert.matches("^invalid schema JSON .*next%.schema%.json: ", lerr)
  end)

  it("reports a missing schema with no builtin as a read failure", function()
    local s, err = registry.load(dir, "nope")
    assert.is_nil(s)
    assert.equal("failed to read " .. dir .. "/nope.schema.json: No such file or directory", err)
  end)

  it("refuses a schema with unsupported keywords instead of ignoring them", function()
    h.write(dir .. "/x.schema.json", '{"type":"string","format":"email"}')
    local s, err = registry.load(dir, "x")
    assert.is_nil(s)
    assert.matches('^failed to compile schema .*x%.schema%.json: unsupported keyword "format" at /format', err)
  end)

  it("refuses names that would leave the directory", function()
    local s, err = registry.load(dir, "../etc/passwd")
    assert.is_nil(s)
    assert.matches("invalid schema name", err)
  end)
end)
