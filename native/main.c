/* The `cx` host: embeds Lua 5.4, preloads the native `cx.core` module, finds the Lua scripts
 * (the source tree beside the executable, else the installed share directory) and runs the CLI. */
#include "lua_bindings.h"

#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CX_INSTALL_SCRIPTS
#define CX_INSTALL_SCRIPTS "/usr/local/share/cx/scripts"
#endif

static int file_exists(const char *path)
{
    return access(path, R_OK) == 0;
}

/* A checkout keeps bin/cx beside scripts/; an install keeps them under PREFIX/share/cx. */
static int find_scripts_dir(char *out, size_t outlen)
{
    char exe[PATH_MAX], probe[PATH_MAX + 64];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            const char *rel[] = {"/../scripts", "/../../../scripts", "/../share/cx/scripts"};
            for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
                snprintf(probe, sizeof probe, "%s%s/cx/cli.lua", exe, rel[i]);
                if (file_exists(probe)) {
                    snprintf(out, outlen, "%s%s", exe, rel[i]);
                    return 0;
                }
            }
        }
    }
    snprintf(probe, sizeof probe, "%s/cx/cli.lua", CX_INSTALL_SCRIPTS);
    if (file_exists(probe)) {
        snprintf(out, outlen, "%s", CX_INSTALL_SCRIPTS);
        return 0;
    }
    return -1;
}

static int traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    luaL_traceback(L, L, msg ? msg : "(error object is not a string)", 1);
    return 1;
}

int main(int argc, char **argv)
{
    char scripts[PATH_MAX];
    if (find_scripts_dir(scripts, sizeof scripts) != 0) {
        fprintf(stderr, "cx: cannot find the cx Lua scripts (looked beside %s and in %s)\n",
                argv[0], CX_INSTALL_SCRIPTS);
        return 1;
    }
    lua_State *L = luaL_newstate();
    if (!L) {
        fprintf(stderr, "cx: out of memory\n");
        return 1;
    }
    luaL_openlibs(L);

    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_cx_core);
    lua_setfield(L, -2, "cx.core");
    lua_pop(L, 1);

    lua_getglobal(L, "package");
    lua_pushfstring(L, "%s/?.lua;%s/?/init.lua;", scripts, scripts);
    lua_getfield(L, -2, "path");
    lua_concat(L, 2);
    lua_setfield(L, -2, "path");
    lua_pop(L, 1);

    lua_pushcfunction(L, traceback);
    lua_getglobal(L, "require");
    lua_pushstring(L, "cx.cli");
    int rc = 1;
    if (lua_pcall(L, 1, 1, 1) == LUA_OK) {
        lua_getfield(L, -1, "main");
        lua_createtable(L, argc, 0);
        for (int i = 1; i < argc; i++) {
            lua_pushstring(L, argv[i]);
            lua_rawseti(L, -2, i);
        }
        if (lua_pcall(L, 1, 1, 1) == LUA_OK) {
            rc = lua_isinteger(L, -1) ? (int)lua_tointeger(L, -1) : 0;
        } else {
            fprintf(stderr, "cx: internal error: %s\n", lua_tostring(L, -1));
            rc = 1;
        }
    } else {
        fprintf(stderr, "cx: cannot load the CLI: %s\n", lua_tostring(L, -1));
    }
    fflush(stdout);
    lua_close(L);
    return rc;
}
