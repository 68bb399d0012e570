--- Test helper: run cx (or any argv) in the background, to signal it while it works, and wait for
--- the events that say it is ready (a file a child writes; cx blocked in its event loop). Waits
--- poll a condition every 10 ms up to a bound; they never sleep a fixed time.
---
---   local bg = require "helpers.background"
---   local p = bg.start({ "cxo", "echo", "hi" }, { env = ..., cwd = repo })
---   assert(bg.wait_for(function() return bg.file_number(pidfile) end))
---   p.signal("INT")
---   local r = p.wait()        -- {code (exit status, or 128 + signal when killed), how, stdout, stderr}
local core = require "cx.core"
local h = require "helpers.cli"

local M = {}

local function nap(ms)
  local loop <close> = core.loop.new()
  loop:timer(ms)
  loop:wait()
end

--- Polls cond() every 10 ms until it returns a true value (returned) or ms (default 20000) pass.
function M.wait_for(cond, ms)
  local deadline = core.loop.monotonic_ms() + (ms or 20000)
  repeat
    local v = cond()
    if v then return v end
    nap(10)
  until core.loop.monotonic_ms() > deadline
  return nil
end

--- The first integer in a file, or nil while it does not exist.
function M.file_number(path)
  return tonumber(h.slurp(path):match("%d+"))
end

--- True when pid no longer runs (gone, or a zombie nobody has reaped yet).
function M.gone(pid)
  local stat = h.slurp("/proc/" .. pid .. "/stat")
  return stat == "" or stat:match("%) ([ZX]) ") ~= nil
end

--- pid's children (from /proc), as a list of pids.
function M.children(pid)
  local out = {}
  for c in (h.slurp(string.format("/proc/%d/task/%d/children", pid, pid))):gmatch("%d+") do
    out[#out + 1] = tonumber(c)
  end
  return out
end

--- True when pid is blocked in poll(2) (the event loop waiting) with no child process.
function M.polling_without_children(pid)
  local sc = h.slurp("/proc/" .. pid .. "/syscall")
  local nr = tonumber(sc:match("^(%d+)"))
  -- x86-64 poll = 7, ppoll = 271; aarch64 has only ppoll = 73
  return (nr == 7 or nr == 271 or nr == 73) and #M.children(pid) == 0
end

--- Starts argv (cx's arguments, or opts.bin's) in the background. opts: env (values false
--- unset), cwd, bin. Returns a process handle: pid, signal(name), wait().
function M.start(argv, opts)
  opts = opts or {}
  local tmp = os.tmpname()
  local parts = h.command_words(argv, { cwd = opts.cwd, env = opts.env, bin = opts.bin, exec = true })
  table.insert(parts, 1, "echo $$;")
  parts[#parts + 1] = "</dev/null >" .. h.quote(tmp .. ".out") .. " 2>" .. h.quote(tmp .. ".err")
  -- The shell prints its pid and becomes the program (exec keeps the pid); closing the pipe
  -- waits for it and gives its status.
  local pipe = assert(io.popen(table.concat(parts, " "), "r"))
  local p = { pid = tonumber(pipe:read("l")) }
  assert(p.pid, "the background process did not start")
  local result

  function p.signal(name)
    assert(os.execute("kill -" .. name .. " " .. p.pid))
  end

  function p.wait()
    if not result then
      local _, how, code = pipe:close()
      result = { how = how, code = how == "signal" and 128 + code or code,
        stdout = h.slurp(tmp .. ".out"), stderr = h.slurp(tmp .. ".err") }
      os.remove(tmp)
      os.remove(tmp .. ".out")
      os.remove(tmp .. ".err")
    end
    return result
  end

  return p
end

return M
