/* Lua binding: `require("cx.core").git` — reading a repository's HEAD without running git. */
#include "git_head.h"
#include "lua_bindings.h"

#include <lauxlib.h>

/* git.head(root) -> { sha = hex|nil, ref = "refs/heads/x"|nil, detached = bool }
 *                 | nil, message, class ("not_repo", "invalid", "unsupported", "io")
 * A branch without a commit yet (class unborn in C) is a table with ref and no sha. */
static int l_head(lua_State *L)
{
    const char *root = luaL_checkstring(L, 1);
    cx_git_head h;
    char err[512];
    int st = cx_git_head_read(root, &h, err, sizeof err);
    if (st != CX_GIT_OK && st != CX_GIT_UNBORN) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        lua_pushstring(L, cx_git_status_class(st));
        return 3;
    }
    lua_createtable(L, 0, 3);
    if (st == CX_GIT_OK) {
        lua_pushstring(L, h.sha);
        lua_setfield(L, -2, "sha");
    }
    if (h.ref[0]) {
        lua_pushstring(L, h.ref);
        lua_setfield(L, -2, "ref");
    }
    lua_pushboolean(L, h.detached);
    lua_setfield(L, -2, "detached");
    return 1;
}

int cx_lua_open_git(lua_State *L)
{
    static const luaL_Reg fns[] = {{"head", l_head}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
