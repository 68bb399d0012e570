--- Where a command's output goes: straight to stdout and stderr (a command run by hand), or into
--- buffers (a task attempt: run-all keeps what its tasks print off its own stdout, and the task
--- records what it needs). A sink is {out = fn(text), err = fn(text)}.
local sink = {}

--- The process's stdout and stderr.
function sink.stdio()
  return {
    out = function(s) io.stdout:write(s) end,
    err = function(s) io.stderr:write(s) end,
  }
end

--- Buffers: sink.stdout() and sink.stderr() return what was written so far.
function sink.buffer()
  local o, e = {}, {}
  return {
    out = function(s) o[#o + 1] = s end,
    err = function(s) e[#e + 1] = s end,
    stdout = function() return table.concat(o) end,
    stderr = function() return table.concat(e) end,
  }
end

return sink
