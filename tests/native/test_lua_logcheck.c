/* The logcheck binding as Lua sees it: the checker object and its four results. */
#include "check.h"
#include "lua_bindings.h"

#include <lauxlib.h>
#include <lualib.h>

static const char *script =
    "local logcheck = require('cx.core').logcheck\n"
    "local c = logcheck.new({ 'x', 'y' })\n"
    "local kind, present, msg, cut = c:check('{\"y\":1}')\n"
    "assert(kind == 'object' and present == 2 and msg == nil and cut == false)\n"
    "kind, present, msg, cut = c:check('{\"x\":')\n"
    "assert(kind == 'invalid_json' and present == 0 and cut == true, msg)\n"
    "assert(msg == 'EOF while parsing a value at line 1 column 5', msg)\n"
    "assert(c:check('[]') == 'not_object')\n"
    "assert(c:check('') == 'blank')\n"
    "assert(c:check('\\255') == 'read_error')\n"
    "assert(not pcall(logcheck.new, 'x'))\n"
    "assert(not pcall(c.check, c))\n"
    "c = nil; collectgarbage()\n";

int main(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_cx_core);
    lua_setfield(L, -2, "cx.core");
    lua_pop(L, 1);
    int rc = luaL_dostring(L, script);
    if (rc != LUA_OK)
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
    CHECK_INT(rc, LUA_OK);
    lua_close(L);
    return CHECK_DONE();
}
