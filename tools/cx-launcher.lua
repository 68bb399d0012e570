#!/usr/bin/env lua5.4
-- The `cx` command installed by the rock: the same CLI as the native host (native/main.c), run by a
-- stock Lua 5.4 — the same exit codes and the same one-line message for an internal error.
local ok, cli = pcall(require, "cx.cli")
if not ok then
  io.stderr:write("cx: cannot load the CLI: ", tostring(cli), "\n")
  os.exit(1, true)
end
local ran, code = xpcall(cli.main, debug.traceback, arg)
if not ran then
  io.stderr:write("cx: internal error: ", tostring(code), "\n")
  os.exit(1, true)
end
io.stdout:flush()
os.exit(math.tointeger(code) or 0, true)
