/* Lua binding: `require("cx.core").env`, the process environment as data. Lua's os.getenv reads
 * one variable by name; cx.redact needs every variable whose name marks it as a secret, so this
 * lists them all.
 *
 *   env.vars() -> { NAME = value, ... } (every variable of the process environment; an entry
 *                 without '=' is skipped, the first of two entries with one name wins) */
#include "lua_bindings.h"

#include <lauxlib.h>
#include <string.h>

extern char **environ;

static int l_vars(lua_State *L)
{
    lua_newtable(L);
    for (char **e = environ; e && *e; e++) {
        const char *eq = strchr(*e, '=');
        if (!eq || eq == *e)
            continue;
        lua_pushlstring(L, *e, (size_t)(eq - *e));
        lua_pushvalue(L, -1);
        if (lua_rawget(L, -3) != LUA_TNIL) {
            lua_pop(L, 2);
            continue;
        }
        lua_pop(L, 1);
        lua_pushstring(L, eq + 1);
        lua_rawset(L, -3);
    }
    return 1;
}

int cx_lua_open_env(lua_State *L)
{
    static const luaL_Reg fns[] = {{"vars", l_vars}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
