/* Shared harness for the C tests of the Lua bindings (tests/native/test_lua_*.c): a lua_State with
 * `cx.core` preloaded, and a runner that counts a chunk that raises as a failed check. */
#ifndef CX_TEST_LUA_CHECK_H
#define CX_TEST_LUA_CHECK_H

#include "check.h"
#include "lua_bindings.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdlib.h>

/* A fresh state with the standard libraries and `require "cx.core"` available. */
static inline lua_State *lua_check_state(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_cx_core);
    lua_setfield(L, -2, "cx.core");
    lua_pop(L, 1);
    return L;
}

/* Run a chunk named `name`; an error is reported with its message and counted as a failure. */
static inline void lua_check_run(lua_State *L, const char *name, const char *chunk)
{
    int rc = luaL_loadbuffer(L, chunk, strlen(chunk), name) || lua_pcall(L, 0, 0, 0);
    check_count++;
    if (rc != 0) {
        check_failures++;
        fprintf(stderr, "%s: %s\n", name, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
}

/* Runs script in a fresh state with a new temporary directory (tmpl: a mkdtemp template, changed
 * in place) as its one argument, then removes the directory. A failure counts as a failed check. */
static inline void lua_check_run_in_tmpdir(const char *script, char *tmpl)
{
    check_count++;
    if (!mkdtemp(tmpl)) {
        check_failures++;
        fprintf(stderr, "cannot create %s\n", tmpl);
        return;
    }
    lua_State *L = lua_check_state();
    int rc = luaL_loadstring(L, script);
    if (rc == LUA_OK) {
        lua_pushstring(L, tmpl);
        rc = lua_pcall(L, 1, 0, 0);
    }
    if (rc != LUA_OK) {
        check_failures++;
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
    }
    lua_close(L);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpl);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", tmpl);
}

#endif
