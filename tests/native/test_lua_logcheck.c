/* The logcheck binding as Lua sees it: a contract, its line check, a validator over a file. */
#include "lua_check.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <unistd.h>

static const char *script =
    "local lc = require('cx.core').logcheck\n"
    "local spec = { fields = {\n"
    "  { key = 'execution_id', type = 'str', non_blank = true },\n"
    "  { key = 'timestamp', type = 'str', format = 'timestamp' },\n"
    "  { key = 'ts', type = 'str' }, { key = 'tool', type = 'str' },\n"
    "  { key = 'n', type = 'u64', nullable = true },\n"
    "  { key = 'scope', type = 'str', enum = { 'repo', 'global' } } },\n"
    "  strict = { 'execution_id', 'timestamp' }, legacy_pairs = { { 'ts', 'timestamp' } },\n"
    "  modern = { 'execution_id', 'timestamp' }, id = 'execution_id',\n"
    "  rules = { { kind = 'equal', a = 'timestamp', b = 'ts' } } }\n"
    "local c = lc.contract(spec)\n"
    "assert(c:check('{\"n\":1}') == 'object')\n"
    "assert(c:check('[]') == 'not_object')\n"
    "assert(c:check('  ') == 'blank')\n"
    "local k, m = c:check('{\"n\":')\n"
    "assert(k == 'torn' and m == \"EOF while parsing a value at line 1 column 5 "
    "(preview='{\\\"n\\\":')\", m)\n"
    "k, m = c:check('\\255')\n"
    "assert(k == 'read_error' and m:find('valid UTF-8', 1, true), m)\n"
    "k, m = c:check('[1e400]')\n"
    "assert(k == 'invalid_json' and m:find('out of range', 1, true), m)\n"
    "assert(c:check('x') == 'invalid_json')\n"
    "assert(not pcall(lc.contract, { fields = { { key = 'a', type = 'nope' } } }))\n"
    "assert(not pcall(lc.contract, { fields = {}, modern = { 'a', 'b' }, id = 'a' }))\n"
    "assert(not pcall(c.check, c))\n"
    /* decode: the row, and with the flag its shape (one byte per field, in spec order) */
    "local r, sh = c:decode('{\"n\":null,\"tool\":\"x\",\"ts\":1.5}', true)\n"
    "assert(r.tool == 'x' and r.ts == 1.5 and sh == '--dsz-', tostring(sh))\n"
    "assert(select('#', c:decode('{\"n\":1}')) == 1)\n"
    "r, sh = c:decode('{\"n\":1,\"other\":[]}', true)\n"
    "assert(r.n == 1 and sh == false)\n"
    "r, sh = c:decode('[1]', true)\n"
    "assert(r[1] == 1 and sh == false)\n"
    "assert(c:decode('{\"n\":', true) == nil)\n"
    "local path = os.getenv('CX_LC_PATH')\n"
    "local f = assert(io.open(path, 'wb'))\n"
    "f:write('{\"execution_id\":\"a\",\"timestamp\":\"2026-03-05T14:15:02Z\",\"n\":-3}\\n[2]\\n')\n"
    "f:close()\n"
    "local v = assert(c:validate(path, { legacy_ok = false, threads = 2, block_size = 3 }))\n"
    "local line, class, sev, field, msg = v:next()\n"
    "assert(line == 1 and class == 'invalid_value' and sev == 'error' and field == 'n', class)\n"
    "assert(msg == 'negative value -3 (expected a non-negative integer)', msg)\n"
    "line, class, sev, field = v:next()\n"
    "assert(line == 2 and class == 'not_object' and field == nil)\n"
    "assert(v:next() == nil)\n"
    "local s = v:summary()\n"
    "assert(s.lines == 2 and s.issue_count == 2 and s.corrupted_entries == 2 and "
    "s.by_class.not_object == 1)\n"
    "v:close(); v:close()\n"
    "assert(not pcall(v.next, v))\n"
    "local none, err, cls = c:validate(path .. '.missing')\n"
    "assert(none == nil and cls == 'not_found' and err:find('cannot open', 1, true), err)\n"
    "do local w <close> = assert(c:validate(path, { keep_per_class = 1 })); assert(w:next() == 1) "
    "end\n"
    "assert(not pcall(c.validate, c, path, { threads = -1 }))\n"
    "assert(lc.escape('a\\27b\\255') == 'a\\\\x1bb\\\\xff')\n"
    "assert(#lc.classes() == 10 and lc.classes()[1] == 'invalid_encoding')\n"
    "c = nil; collectgarbage()\n";

int main(void)
{
    char path[] = "/tmp/cx_test_lua_logcheck.XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    setenv("CX_LC_PATH", path, 1);
    lua_State *L = lua_check_state();
    int rc = luaL_dostring(L, script);
    if (rc != LUA_OK)
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
    CHECK_INT(rc, LUA_OK);
    lua_close(L);
    unlink(path);
    return CHECK_DONE();
}
