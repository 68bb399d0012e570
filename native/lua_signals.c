/* Lua binding: `require("cx.core").signals`, SIGINT/SIGTERM/SIGHUP as events (signals.h). The
 * handlers are installed only by an explicit install() (the cx command line calls it). */
#include "lua_bindings.h"
#include "signals.h"

#include <lauxlib.h>

/* install() -> true (installed now) | false (already) | nil, message, "signals" */
static int l_install(lua_State *L)
{
    char err[256];
    int rc = cx_signals_install(err, sizeof err);
    if (rc < 0) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        lua_pushstring(L, "signals");
        return 3;
    }
    lua_pushboolean(L, rc == 1);
    return 1;
}

static int l_uninstall(lua_State *L)
{
    (void)L;
    cx_signals_uninstall();
    return 0;
}

static int l_installed(lua_State *L)
{
    lua_pushboolean(L, cx_signals_installed());
    return 1;
}

static int l_defer(lua_State *L)
{
    (void)L;
    cx_signals_defer();
    return 0;
}

static int l_deferring(lua_State *L)
{
    lua_pushboolean(L, cx_signals_deferring());
    return 1;
}

/* pending() -> signo, name | nil */
static int l_pending(lua_State *L)
{
    int signo = cx_signals_pending();
    if (!signo) {
        lua_pushnil(L);
        return 1;
    }
    lua_pushinteger(L, signo);
    lua_pushstring(L, cx_signals_name(signo));
    return 2;
}

/* exit_code() -> 128 + the pending signal | nil */
static int l_exit_code(lua_State *L)
{
    int code = cx_signals_exit_code();
    if (code)
        lua_pushinteger(L, code);
    else
        lua_pushnil(L);
    return 1;
}

int cx_lua_open_signals(lua_State *L)
{
    static const luaL_Reg fns[] = {{"install", l_install},     {"uninstall", l_uninstall},
                                   {"installed", l_installed}, {"defer", l_defer},
                                   {"deferring", l_deferring}, {"pending", l_pending},
                                   {"exit_code", l_exit_code}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
