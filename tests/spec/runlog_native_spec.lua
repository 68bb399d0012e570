-- The run-log binding, require("cx.core").runlog, as Lua code sees it.
local h = require "helpers.cli"
local json = require "cx.json"
local runlog = require("cx.core").runlog

describe("cx.core.runlog", function()
  local dir
  before_each(function() dir = h.tmpdir() end)
  after_each(function() h.rm(dir) end)

  local function collect(path, offset)
    local out = {}
    for lineno, text, torn, off in runlog.lines(path, offset) do
      out[#out + 1] = { lineno, text, torn, off }
    end
    return out
  end

  describe("append", function()
    it("creates the parent directories and writes one line per row", function()
      local path = dir .. "/repo/.codex/cxlogs/runs.jsonl"
      assert.is_true(runlog.append(path, json.encode({ command = "cxo", duration_ms = 12 })))
      assert.is_true(runlog.append(path, json.encode({ command = "cx" })))
      assert.equal('{"command":"cxo","duration_ms":12}\n{"command":"cx"}\n', h.slurp(path))
      assert.equal(#h.slurp(path), runlog.size(path))
    end)

    it("refuses a row with a newline in it, leaving the log as it was", function()
      local path = dir .. "/runs.jsonl"
      assert.is_true(runlog.append(path, "{}"))
      local ok, msg, class = runlog.append(path, '{"a":\n1}')
      assert.is_nil(ok)
      assert.equal("invalid_row", class)
      assert.truthy(msg:find(path, 1, true))
      assert.equal("{}\n", h.slurp(path))
    end)

    it("reports an unwritable path as an io error naming it", function()
      h.write(dir .. "/file", "x")
      local ok, msg, class = runlog.append(dir .. "/file/runs.jsonl", "{}")
      assert.is_nil(ok)
      assert.equal("io", class)
      assert.truthy(msg:find(dir .. "/file/runs.jsonl", 1, true))
      assert.truthy(msg:find("Not a directory", 1, true))
    end)

    it("puts the next row on a fresh line after a torn one", function()
      local path = dir .. "/runs.jsonl"
      h.write(path, '{"a":1}\n{"execution_id":"cut sh')
      assert.is_true(runlog.append(path, '{"b":2}'))
      assert.equal('{"a":1}\n{"execution_id":"cut sh\n{"b":2}\n', h.slurp(path))
    end)
  end)

  describe("tail", function()
    it("returns the last n non-blank lines in file order", function()
      local path = dir .. "/runs.jsonl"
      h.write(path, "1\n2\n\n   \n3\r\n4\n")
      local lines, info = runlog.tail(path, 3)
      assert.same({ "2", "3", "4" }, lines)
      assert.is_false(info.torn)
      assert.equal(#h.slurp(path), info.bytes_read)
      assert.same({ "1", "2", "3", "4" }, (runlog.tail(path, 100)))
      assert.same({}, (runlog.tail(path, 0)))
    end)

    it("flags a torn final line", function()
      local path = dir .. "/runs.jsonl"
      h.write(path, '{"a":1}\n{"b":')
      local lines, info = runlog.tail(path, 1)
      assert.same({ '{"b":' }, lines)
      assert.is_true(info.torn)
    end)

    it("handles empty files and files of newlines", function()
      local path = dir .. "/runs.jsonl"
      h.write(path, "")
      assert.same({}, (runlog.tail(path, 5)))
      h.write(path, "\n\n\n")
      local lines, info = runlog.tail(path, 5)
      assert.same({}, lines)
      assert.is_false(info.torn)
    end)

    it("reads only the end of a large log", function()
      local path = dir .. "/runs.jsonl"
      local row = json.encode({ pad = string.rep("x", 1000) })
      local f = assert(io.open(path, "wb"))
      for _ = 1, 2000 do f:write(row, "\n") end
      f:write('{"last":true}\n')
      f:close()
      local lines, info = runlog.tail(path, 2)
      assert.same({ row, '{"last":true}' }, lines)
      assert.truthy(info.bytes_read <= 64 * 1024, "read " .. info.bytes_read .. " bytes")
      assert.truthy(runlog.size(path) > 2 * 1000 * 1000)
    end)

    it("keeps lines longer than the read block whole", function()
      local path = dir .. "/runs.jsonl"
      local long = string.rep("y", 200 * 1024)
      h.write(path, "a\n" .. long .. "\nb\n")
      assert.same({ "a", long, "b" }, (runlog.tail(path, 3)))
    end)

    it("returns nil, message, class for a missing file and bad arguments error", function()
      local ok, msg, class = runlog.tail(dir .. "/none.jsonl", 5)
      assert.is_nil(ok)
      assert.equal("not_found", class)
      assert.truthy(msg:find(dir .. "/none.jsonl", 1, true))
      assert.has_error(function() runlog.tail(dir .. "/none.jsonl", -1) end)
    end)
  end)

  describe("lines", function()
    it("yields every physical line with its number, text, torn flag and offset", function()
      local path = dir .. "/runs.jsonl"
      h.write(path, "one\r\n\ntwo\nthr")
      assert.same({
        { 1, "one", false, 0 },
        { 2, "", false, 5 },
        { 3, "two", false, 6 },
        { 4, "thr", true, 10 },
      }, collect(path))
    end)

    it("starts at a byte offset, numbering from there", function()
      local path = dir .. "/runs.jsonl"
      h.write(path, "a\nb\nc\n")
      assert.same({ { 1, "b", false, 2 }, { 2, "c", false, 4 } }, collect(path, 2))
      assert.same({}, collect(path, 6))
      assert.same({}, collect(path, 1000))
    end)

    it("streams lines of any length", function()
      local path = dir .. "/runs.jsonl"
      local long = string.rep("z", 300 * 1024)
      h.write(path, long .. "\nend\n")
      local got = collect(path)
      assert.equal(2, #got)
      assert.equal(long, got[1][2])
      assert.equal("end", got[2][2])
    end)

    it("sees rows appended with runlog.append as valid JSON", function()
      local path = dir .. "/runs.jsonl"
      for i = 1, 50 do assert.is_true(runlog.append(path, json.encode({ i = i }))) end
      local n = 0
      for lineno, text in runlog.lines(path) do
        n = n + 1
        assert.equal(lineno, json.decode(text).i)
      end
      assert.equal(50, n)
    end)

    it("returns nil, message, class for a missing file", function()
      local ok, msg, class = runlog.lines(dir .. "/none.jsonl")
      assert.is_nil(ok)
      assert.equal("not_found", class)
      assert.truthy(msg:find("none.jsonl", 1, true))
    end)
  end)

  describe("size", function()
    it("gives the byte length, or not_found", function()
      local path = dir .. "/runs.jsonl"
      h.write(path, "12345")
      assert.equal(5, runlog.size(path))
      local ok, _, class = runlog.size(dir .. "/none")
      assert.is_nil(ok)
      assert.equal("not_found", class)
    end)
  end)
end)
