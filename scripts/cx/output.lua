--- cx's stdout and stderr while a command runs (installed by cx.cli). Every write passes through
--- cx.redact, so no configured secret reaches a message or a report whatever code path printed it,
--- and through cx.printable where data could otherwise drive a terminal:
---   * stderr (messages): always escaped;
---   * stdout of a command that echoes data (logs, diagnostics, quarantine, schemas ...): always
---     escaped (text and JSON alike: the escapes are JSON escapes);
---   * stdout of a command whose result is a payload (the reply of `cx cxo`, `cx next` ...; its module
---     sets `raw_output = true`): escaped only when stdout is a terminal, byte-exact into a pipe.
--- Terminal control that cx draws on purpose (the progress line) goes to `io.stderr.raw`.
local core = require "cx.core"
local printable = require "cx.printable"
local redact = require "cx.redact"

local output = {}

local Stream = {}

function Stream.write(self, ...)
  local n = select("#", ...)
  local parts = {}
  for i = 1, n do
    local v = select(i, ...)
    if type(v) == "number" then v = tostring(v) end
    if type(v) ~= "string" then
      error("bad argument #" .. i .. " to 'write' (string expected, got " .. type(v) .. ")", 2)
    end
    parts[i] = v
  end
  local s = table.concat(parts)
  s = redact.string(s)
  if self.escape then s = printable.escape(s) end
  local ok, err = self.raw:write(s)
  if not ok then return nil, err end
  return self
end

local meta = {
  __index = function(self, k)
    if Stream[k] then return Stream[k] end
    local v = self.raw[k]
    if type(v) == "function" then
      return function(_, ...) return v(self.raw, ...) end
    end
    return v
  end,
  __name = "cx.output.stream",
}

--- A stream over file (an io file): write() redacts, and escapes when escape is true. The file is
--- stream.raw; other methods (flush, setvbuf, close ...) go to it.
function output.wrap(file, escape)
  return setmetatable({ raw = file, escape = escape and true or false }, meta)
end

--- Replace io.stdout and io.stderr with wrapped streams. Returns a handle: handle:payload(true)
--- marks stdout as a payload (escaped only on a terminal); handle:restore() puts the files back.
function output.install()
  local out, err = io.stdout, io.stderr
  local h = { stdout = output.wrap(out, true), stderr = output.wrap(err, true) }
  function h.payload(_, on)
    h.stdout.escape = not on or core.fs.isatty(1)
  end
  -- The io library's fields are replaced on purpose: every io.stdout:write of every module is then
  -- redacted and escaped, without each call site having to remember.
  local lib = io
  function h.restore()
    lib.stdout, lib.stderr = out, err -- luacheck: ignore 122
  end
  lib.stdout, lib.stderr = h.stdout, h.stderr -- luacheck: ignore 122
  return h
end

return output
