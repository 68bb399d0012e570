/* native/lua_sandbox.c: core.sandbox.run — plain data both ways, the whitelist, every limit
 * (instructions, memory inside library calls, wall clock inside a runaway C call, output size,
 * nesting), and errors that name the policy file and line. */
#include "lua_check.h"

/* Shared by every chunk: run(text, opts) -> value | nil, message, class. */
static const char *prelude =
    "sb = require('cx.core').sandbox\n"
    "json = require('cx.core').json\n"
    "function run(text, opts)\n"
    "  opts = opts or {}\n"
    "  local limits = opts.limits or {}\n"
    "  limits.wall_ms = limits.wall_ms or 60000 -- generous: slow under valgrind\n"
    "  return sb.run{ chunks = opts.chunks or { { path = '/p/policy.lua', text = text } },\n"
    "                 driver = opts.driver, input = opts.input, limits = limits }\n"
    "end\n"
    "function fails(class, pattern, text, opts)\n"
    "  local r, err, c = run(text, opts)\n"
    "  assert(r == nil, 'expected a failure, got ' .. tostring(r))\n"
    "  assert(c == class, 'class ' .. tostring(c) .. ' (' .. tostring(err) .. ')')\n"
    "  assert(err:find(pattern), 'message: ' .. err)\n"
    "  assert(not err:find('\\n') and #err <= 300, 'one bounded line: ' .. #err)\n"
    "  return err\n"
    "end\n";

static void run(lua_State *L, const char *name, const char *chunk)
{
    char buf[8192];
    snprintf(buf, sizeof buf, "%s\n%s", prelude, chunk);
    lua_check_run(L, name, buf);
}

int main(void)
{
    lua_State *L = lua_check_state();

    run(L, "plain data comes back with integers, floats, arrays and null",
        "local r = assert(run('return { i = 3, f = 1.5, a = {1, 2}, e = array(), o = {}, n = null,'"
        "  .. ' s = \"x\", b = false, nested = { { k = \"v\" } } }'))\n"
        "assert(math.type(r.i) == 'integer' and math.type(r.f) == 'float')\n"
        "assert(json.is_array(r.a) and json.is_array(r.e) and not json.is_array(r.o))\n"
        "assert(r.n == json.null and r.s == 'x' and r.b == false and r.nested[1].k == 'v')\n"
        "assert(json.encode(r.e) == '[]' and json.encode(r.o) == '{}')\n");

    run(L, "the driver gets every chunk's value, the input and the host",
        "local input = { rows = json.array({ { line = 1 } }), t = {} }\n"
        "input.again = input.rows\n"
        "local r = assert(run(nil, { chunks = { { path = '/a.lua', text = 'return 1' },\n"
        "  { path = '/b.lua', text = 'return { f = function(x) return x * 2 end }' } },\n"
        "  input = input,\n"
        "  driver = { path = '/d.lua', text = 'local m, input, host = ...\\n'\n"
        "    .. 'local c, line = host.defined(m[2].f)\\n'\n"
        "    .. 'return { a = m[1], b = m[2].f(21), shared = rawequal(input.rows, "
        "input.again),\\n'\n"
        "    .. ' rows = input.rows, c = c, line = line, paths = host.paths, text = host.texts[1] "
        "}' } }))\n"
        "assert(r.a == 1 and r.b == 42 and r.shared == true and json.is_array(r.rows))\n"
        "assert(r.c == 2 and r.line == 1 and r.paths[2] == '/b.lua' and r.text == 'return 1')\n");

    run(L, "only the whitelist is reachable",
        "local r = assert(run('local out = {}\\n'\n"
        "  .. 'for _, k in ipairs({\"io\", \"os\", \"require\", \"load\", \"loadstring\", "
        "\"dofile\",'\n"
        "  .. ' \"loadfile\", \"debug\", \"package\", \"print\", \"getmetatable\", "
        "\"setmetatable\",'\n"
        "  .. ' \"rawset\", \"rawget\", \"coroutine\", \"warn\", \"xpcall\"}) do out[k] = _G[k] ~= "
        "nil "
        "end\\n'\n"
        "  .. 'out.dump = string.dump ~= nil\\n out.method_dump = (\"x\").dump ~= nil\\n'\n"
        "  .. 'out.works = (\"x\"):upper() == \"X\" and math.max(1, 2) == 2 and utf8.char(72) == "
        "\"H\"\\n'\n"
        "  .. 'return out'))\n"
        "for k, v in pairs(r) do if k ~= 'works' then assert(v == false, k) end end\n"
        "assert(r.works == true)\n"
        "fails('runtime', \"^/p/policy.lua:1: attempt to index a nil value %(global 'os'%)\",\n"
        "  'return os.execute(\"id\")')\n"
        "fails('runtime', \"global 'collectgarbage'\", 'return collectgarbage()')\n");

    run(L, "chunks cannot change what another chunk sees",
        "local r = assert(run(nil, { chunks = {\n"
        "  { path = '/a.lua', text = 'string.rep = nil; x = 1; return 0' },\n"
        "  { path = '/b.lua', text = 'return { rep = string.rep ~= nil, x = x == nil }' } } }))\n"
        "assert(r.rep == true and r.x == true)\n");

    run(L, "an endless loop stops at its line, and pcall cannot catch the stop",
        "fails('timeout', '^/p/policy.lua:3: policy stopped: it exceeded its budget of 100000',\n"
        "  'local x = 0\\n\\nwhile true do x = x + 1 end', { limits = { instructions = 100000 } "
        "})\n"
        "fails('timeout', 'exceeded its budget',\n"
        "  'while true do pcall(function() while true do end end) end',\n"
        "  { limits = { instructions = 100000 } })\n");

    run(L, "memory bombs fail as memory errors at their line, also inside library calls",
        "local lim = { limits = { memory = 16 * 1024 * 1024, wall_ms = 20000 } }\n"
        "fails('memory', '^/p/policy.lua:2: policy stopped: it used more than 16 MB',\n"
        "  'local n = 1e9\\nreturn (\"x\"):rep(n)', lim)\n"
        "fails('memory', '^/p/policy.lua:2: ', 'local s = \"x\"\\nfor i = 1, 40 do s = s .. s "
        "end', lim)\n"
        "fails('memory', '^/p/policy.lua:2: ', 'local s = (\"x\"):rep(1000)\\n'\n"
        "  .. 'for i = 1, 40 do s = s:gsub(\"x+\", \"%0%0%0%0\") end', lim)\n"
        "fails('memory', '^/p/policy.lua:3: ', 'local s, t = (\"x\"):rep(1e6), {}\\n'\n"
        "  .. 'for i = 1, 200 do t[i] = s end\\nreturn string.format((\"%s\"):rep(200), "
        "table.unpack(t))', lim)\n"
        "fails('memory', '^/p/policy.lua:3: ', 'local t = {}\\nfor i = 1, 120 do t[i] = "
        "(\"y\"):rep(1e5) end\\n'\n"
        "  .. 'return table.concat(t)', lim)\n"
        "fails('memory', '^/p/policy.lua:3: ', 'local t = {}\\nwhile true do\\n  t[#t + 1] = "
        "{}\\nend', lim)\n");

    run(L, "a catastrophic pattern is stopped by the wall clock at its line",
        "fails('timeout', '^/p/policy.lua:2: policy stopped: it ran longer than 3000 ms',\n"
        "  'local s = (\"a\"):rep(5000)\\nreturn s:find(\".-.-.-.-.-.-.-b\")', { limits = { "
        "wall_ms = 3000 } })\n"
        "fails('timeout', '^/p/policy.lua:2: ',\n"
        "  'local s = (\"a\"):rep(5000)\\nfor w in s:gmatch(\".-.-.-.-.-.-.-b\") do end', { limits "
        "= { wall_ms = 3000 } })\n");

    run(L, "errors name the file and line, one bounded line without raw escapes",
        "fails('syntax', '^/p/policy.lua:2: ', 'return {\\n  check = function( end\\n}')\n"
        "fails('runtime', '^/p/policy.lua:2: attempt to index a nil value', 'local x\\nreturn "
        "x.y')\n"
        "local err = fails('runtime', '^/p/policy.lua:1: ', "
        "'error((\"\\\\27[31m\\\\n\"):rep(4e6))')\n"
        "assert(not err:find('\\27', 1, true) and err:find('\\\\x1b', 1, true) and "
        "err:find('%.%.%.$'))\n"
        "fails('runtime', '^/p/policy.lua:1: policy raised an error that is not a string', "
        "'error({})')\n"
        "fails('runtime', '^/p/policy.lua:1: boom', 'local function f() error(\"boom\", 0) "
        "end\\nf()')\n");

    run(L, "bytecode is refused naming the file",
        "fails('syntax', '^/p/policy.lua: precompiled %(binary%) chunks are refused',\n"
        "  string.dump(function() return 1 end))\n");

    run(L, "results must be plain data, not too deep and not too big",
        "fails('output', '^/p/policy.lua: the policy result is nested too deep',\n"
        "  'local t = {}\\nfor i = 1, 200000 do t = { t } end\\nreturn t')\n"
        "fails('invalid', 'contains a function', 'return { f = print or tostring }')\n"
        "fails('invalid', 'returned nothing', 'local x = 1')\n"
        "fails('output', 'larger than the output limit', 'return (\"x\"):rep(5000)',\n"
        "  { limits = { output = 1000 } })\n"
        "local e = fails('output', '^/p/policy.lua:7: the policy result is nested too deep', "
        "'return 1',\n"
        "  { driver = { path = '/d.lua', text = 'local m, i, host = ...\\nhost.blame(1, 7)\\n'\n"
        "    .. 'local t = {}\\nfor i = 1, 500 do t = { t } end\\nreturn t' } })\n");

    run(L, "a driver's error is blamed on the policy",
        "fails('runtime', '^/p/policy.lua:2: inner', 'return { f = function()\\n  "
        "error(\"inner\")\\nend }',\n"
        "  { driver = { path = '/d.lua', text = 'local m = ...\\nreturn m[1].f()' } })\n"
        "fails('runtime', '^/p/policy.lua: ', 'return 1',\n"
        "  { driver = { path = '/d.lua', text = 'local x\\nreturn x.y' } })\n");

    run(L, "bad specs are argument errors",
        "assert(not pcall(sb.run, {}))\n"
        "assert(not pcall(sb.run, { chunks = { { path = 1 } } }))\n"
        "assert(not pcall(sb.run, { chunks = {}, driver = { path = 'd', text = '' }, limits = { "
        "memory = 1 } }))\n");

    lua_close(L);
    return CHECK_DONE();
}
