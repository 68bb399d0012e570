/* Lua binding: `require("cx.core").atomicfile`, files written in full or not at all
 * (native/atomicfile.h).
 *
 *   atomicfile.open(path) -> file | nil, message, class ("not_found" | "io" | "nomem")
 *   file:write(text)      -> true | nil, message
 *   file:commit()         -> path | nil, message       (replaces path)
 *   file:commit_new()     -> name | nil, message       (path, path.1, ...: never overwrites)
 *   file:abort()          (also __close and __gc: an uncommitted file is removed) */
#include "atomicfile.h"
#include "lua_bindings.h"

#include <lauxlib.h>
#include <stdlib.h>

#define FILE_MT "cx.atomicfile"

typedef struct file_box {
    cx_atomicfile *f;
} file_box;

static int push_fail(lua_State *L, int rc, const char *err)
{
    lua_pushnil(L);
    lua_pushstring(L, err);
    lua_pushstring(L, rc == CX_ATOMICFILE_ENOENT  ? "not_found"
                      : rc == CX_ATOMICFILE_NOMEM ? "nomem"
                                                  : "io");
    return 3;
}

static int l_open(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    file_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->f = NULL;
    luaL_setmetatable(L, FILE_MT);
    char err[512];
    int rc = cx_atomicfile_open(path, &b->f, err, sizeof err);
    if (rc != CX_ATOMICFILE_OK)
        return push_fail(L, rc, err);
    return 1;
}

static file_box *open_box(lua_State *L)
{
    file_box *b = luaL_checkudata(L, 1, FILE_MT);
    if (!b->f)
        luaL_error(L, "atomicfile: the file is already committed or aborted");
    return b;
}

static int l_write(lua_State *L)
{
    file_box *b = open_box(L);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    char err[512];
    int rc = cx_atomicfile_write(b->f, text, len, err, sizeof err);
    if (rc != CX_ATOMICFILE_OK)
        return push_fail(L, rc, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_commit(lua_State *L)
{
    file_box *b = open_box(L);
    char err[512];
    cx_atomicfile *f = b->f;
    b->f = NULL; /* freed by the commit, whatever its result */
    int rc = cx_atomicfile_commit(f, err, sizeof err);
    if (rc != CX_ATOMICFILE_OK)
        return push_fail(L, rc, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_commit_new(lua_State *L)
{
    file_box *b = open_box(L);
    char err[512];
    char *chosen = NULL;
    cx_atomicfile *f = b->f;
    b->f = NULL;
    int rc = cx_atomicfile_commit_new(f, &chosen, err, sizeof err);
    if (rc != CX_ATOMICFILE_OK)
        return push_fail(L, rc, err);
    lua_pushstring(L, chosen);
    free(chosen);
    return 1;
}

static int l_abort(lua_State *L)
{
    file_box *b = luaL_checkudata(L, 1, FILE_MT);
    cx_atomicfile_abort(b->f);
    b->f = NULL;
    return 0;
}

int cx_lua_open_atomicfile(lua_State *L)
{
    if (luaL_newmetatable(L, FILE_MT)) {
        static const luaL_Reg methods[] = {{"write", l_write},
                                           {"commit", l_commit},
                                           {"commit_new", l_commit_new},
                                           {"abort", l_abort},
                                           {NULL, NULL}};
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_abort);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, l_abort);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {{"open", l_open}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
