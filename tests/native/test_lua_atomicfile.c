/* The atomicfile binding as Lua sees it. */
#include "lua_check.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>
#include <unistd.h>

static const char *script =
    "local af = require('cx.core').atomicfile\n"
    "local dir = os.getenv('CX_AF_DIR')\n"
    "local f = assert(af.open(dir .. '/x'))\n"
    "assert(f:write('a') and f:write('b'))\n"
    "assert(f:commit() == true)\n"
    "assert(io.open(dir .. '/x'):read('a') == 'ab')\n"
    "assert(not pcall(f.write, f, 'c'))\n"
    "local n1 = assert(assert(af.open(dir .. '/x')):commit_new())\n"
    "assert(n1 == dir .. '/x.1', n1)\n"
    "do local g <close> = assert(af.open(dir .. '/y')); g:write('lost') end\n"
    "assert(io.open(dir .. '/y') == nil)\n"
    "local none, err, class = af.open(dir .. '/missing/z')\n"
    "assert(none == nil and class == 'not_found' and err:find('cannot create', 1, true), err)\n"
    "assert(af.open(dir .. '/w')) collectgarbage()\n";

int main(void)
{
    char dir[] = "/tmp/cx_lua_atomicfile.XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    setenv("CX_AF_DIR", dir, 1);
    lua_State *L = lua_check_state();
    int rc = luaL_dostring(L, script);
    if (rc != LUA_OK)
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
    CHECK_INT(rc, LUA_OK);
    lua_close(L);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    CHECK_INT(system(cmd), 0);
    return CHECK_DONE();
}
