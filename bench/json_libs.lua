-- lua-cjson (Debian's lua-cjson 2.1.0) against cx.json (the jansson binding) on what cx needs: the
-- integer/float distinction, number formatting, key order, empty arrays, and speed on a run-log row.
-- docs/lua-api.md records the result and why cx keeps cx.json. Run: lua5.4 bench/json_libs.lua
-- (after `make`; prints "lua-cjson not installed" and exits 0 without it).
package.cpath = "build/lib/?.so;" .. package.cpath
package.path = "scripts/?.lua;scripts/?/init.lua;" .. package.path
local ok, cjson = pcall(require, "cjson")
if not ok then
  print("lua-cjson not installed (apt-get install lua-cjson to compare)")
  return
end
local json = require "cx.json"
local runlog = require "cx.runlog"
local now = require("cx.core").loop.monotonic_ms

local text = '{"a":100,"b":100.0,"c":9007199254740993}'
local c, j = cjson.decode(text), json.decode(text)
print(string.format("decode 100 / 100.0 / 2^53+1:  cjson %s %s %.0f   cx.json %s %s %d", math.type(c.a),
  math.type(c.b), c.c, math.type(j.a), math.type(j.b), j.c))
print(string.format("encode 0.1+0.2, 1.0, 2^53+1, {}:  cjson %s %s %s %s   cx.json %s %s %s %s",
  cjson.encode({ 0.1 + 0.2 }), cjson.encode({ 1.0 }), cjson.encode({ 9007199254740993 }), cjson.encode({}),
  json.encode(json.array({ 0.1 + 0.2 })), json.encode(json.array({ 1.0 })),
  json.encode(json.array({ 9007199254740993 })), json.encode(json.array())))
local keys = { b = 1, a = 2, c = 3 }
print("key order:  cjson " .. cjson.encode(keys) .. "   cx.json " .. json.encode(keys))

local line = json.encode(runlog.row("cxo", { duration_ms = 1234, queue_ms = 10, prompt_preview = ("x"):rep(180) }))
local n = 20000
for _, lib in ipairs({ { "cjson", cjson.decode, cjson.encode }, { "cx.json", json.decode, json.encode } }) do
  local t0 = now()
  for _ = 1, n do lib[2](line) end
  local t1 = now()
  local v = lib[2](line)
  for _ = 1, n do lib[3](v) end
  local t2 = now()
  print(string.format("%-8s decode %6.1f us/row   encode %6.1f us/row   (%d-byte row x %d)", lib[1],
    (t1 - t0) * 1000 / n, (t2 - t1) * 1000 / n, #line, n))
end
