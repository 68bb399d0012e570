-- Progress for long waits: drawn on a terminal (a pty made by script(1)), never in pipes.
local h = require "helpers.cli"

describe("progress while waiting for the LLM", function()
  local repo
  before_each(function() repo = h.tmprepo() end)
  after_each(function() h.rm(repo) end)

  local cmd = "env CX_PROVIDER_ADAPTER=mock CX_MOCK_LATENCY_MS=1600 " .. h.quote(h.bin) .. " cxo true"

  it("is drawn and cleared on a terminal", function()
    local r = h.run({ "-qec", cmd, "/dev/null" }, { bin = "script", cwd = repo })
    assert.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("cx: waiting for mock ... 1s", 1, true), r.stdout)
    assert.truthy(r.stdout:find('\r\27[K{"commands":["echo mock"]}', 1, true), "the line is cleared before the reply")
  end)

  it("is not drawn when stderr is not a terminal, nor with CX_NO_PROGRESS", function()
    local r = h.cx({ "cxo", "true" },
      { cwd = repo, env = { CX_PROVIDER_ADAPTER = "mock", CX_MOCK_LATENCY_MS = "1600" } })
    assert.equal(0, r.code)
    assert.equal("", r.stderr)
    r = h.run({ "-qec", "env CX_NO_PROGRESS=1 " .. cmd, "/dev/null" }, { bin = "script", cwd = repo })
    assert.is_nil(r.stdout:find("waiting", 1, true))
  end)
end)
