/* The filelock binding as Lua sees it: handles, release by __close and by garbage collection,
 * notes, and the nil, message, class error convention. */
#include "lua_check.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>

static const char *script =
    "local fl = require('cx.core').filelock\n"
    "local root = ...\n"
    "local function eq(a, b, what) if a ~= b then error(what .. ': got ' .. tostring(a) ..\n"
    "  ', want ' .. tostring(b), 2) end end\n"
    "local p = root .. '/a.lock'\n"
    "local h = assert(fl.acquire(p))\n"
    "eq(h:held(), true, 'held')\n"
    "local v, msg, class = fl.acquire(p, { wait = false })\n"
    "eq(v, nil, 'busy'); eq(class, 'busy', 'class'); assert(msg:find('a.lock', 1, true), msg)\n"
    "v, msg, class = fl.acquire(p, { wait = false, shared = true })\n"
    "eq(class, 'busy', 'shared vs exclusive')\n"
    "eq(h:note('{\"pid\":1}'), true, 'note')\n"
    "eq(fl.read_note(p), '{\"pid\":1}', 'read note')\n"
    "h:release(); eq(h:held(), false, 'released'); h:release()\n"
    "v, msg, class = h:note('x'); eq(class, 'invalid', 'note after release')\n"
    "do local s1 <close> = assert(fl.acquire(p, { shared = true, wait = false }))\n"
    "  local s2 <close> = assert(fl.acquire(p, { shared = true, wait = false }))\n"
    "  eq(select(3, fl.acquire(p, { wait = false })), 'busy', 'exclusive vs shared') end\n"
    "assert(fl.acquire(p, { wait = false })):release()\n"
    "do local g = assert(fl.acquire(p)) end\n"
    "collectgarbage(); collectgarbage()\n"
    "assert(fl.acquire(p, { wait = false }), 'a dropped handle is released by __gc')\n"
    "v, msg, class = fl.read_note(root .. '/none')\n"
    "eq(v, nil, 'missing'); eq(class, 'not_found', 'missing class')\n"
    "v, msg, class = fl.acquire(root .. '/no/dir/x.lock')\n"
    "eq(class, 'not_found', 'no dir')\n"
    "eq(fl.pid_alive(require('cx.core').fs.pid()), true, 'self alive')\n"
    "eq(fl.pid_alive(0), false, 'pid 0')\n";

int main(void)
{
    char root[] = "/tmp/cx_test_lua_filelock.XXXXXX";
    lua_check_run_in_tmpdir(script, root);
    return CHECK_DONE();
}
