/* Lua binding: `require("cx.core").fs`. Failures return nil, message (naming the path), class
 * ("not_found", "permission", "io", "invalid", "nomem", "symlink", "not_regular", "too_large",
 * "exists"). The file rules (no symlink under .codex/, regular files only, bounded reads) are
 * native/fs.h's; docs/security.md documents them for callers. */
#include "fs.h"
#include "lua_bindings.h"

#include <lauxlib.h>
#include <stdlib.h>
#include <unistd.h>

#define ERRLEN 512

static int push_fail(lua_State *L, int status, const char *msg)
{
    lua_pushnil(L);
    lua_pushstring(L, msg);
    lua_pushstring(L, cx_fs_status_class(status));
    return 3;
}

/* fs.mkdir_p(path) -> true | nil, msg, class */
static int l_mkdir_p(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char err[ERRLEN];
    int st = cx_fs_mkdir_p(path, err, sizeof err);
    if (st != CX_FS_OK)
        return push_fail(L, st, err);
    lua_pushboolean(L, 1);
    return 1;
}

/* The boolean field name of the options table at index idx (absent = false). */
static int opt_flag(lua_State *L, int idx, const char *name)
{
    if (lua_isnoneornil(L, idx))
        return 0;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_getfield(L, idx, name);
    int on = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return on;
}

/* The option bits of { follow=, any_type=, mkdirs=, tail=, no_replace= } at index idx. */
static unsigned opt_bits(lua_State *L, int idx)
{
    return (opt_flag(L, idx, "follow") ? CX_FS_FOLLOW : 0) |
           (opt_flag(L, idx, "any_type") ? CX_FS_ANY_TYPE : 0) |
           (opt_flag(L, idx, "mkdirs") ? CX_FS_MKDIRS : 0) |
           (opt_flag(L, idx, "tail") ? CX_FS_TAIL : 0) |
           (opt_flag(L, idx, "no_replace") ? CX_FS_NO_REPLACE : 0);
}

#define DEFAULT_READ_MAX ((lua_Integer)16 << 20)

/* fs.read_file(path [, {max_bytes=16 MiB, follow=false, any_type=false, tail=false}])
 *   -> text | nil, msg, class */
static int l_read_file(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_Integer max = DEFAULT_READ_MAX;
    if (!lua_isnoneornil(L, 2)) {
        luaL_checktype(L, 2, LUA_TTABLE);
        lua_getfield(L, 2, "max_bytes");
        if (!lua_isnil(L, -1))
            max = luaL_checkinteger(L, -1);
        lua_pop(L, 1);
    }
    luaL_argcheck(L, max >= 1, 2, "max_bytes must be at least 1");
    char err[ERRLEN];
    char *data;
    size_t len;
    int st = cx_fs_read_file(path, opt_bits(L, 2), (size_t)max, &data, &len, err, sizeof err);
    if (st != CX_FS_OK)
        return push_fail(L, st, err);
    lua_pushlstring(L, data, len);
    free(data);
    return 1;
}

/* fs.copy_file(src, dst [, {no_replace=, mkdirs=, follow=}]) -> true | nil, msg, class */
static int l_copy_file(lua_State *L)
{
    const char *src = luaL_checkstring(L, 1);
    const char *dst = luaL_checkstring(L, 2);
    char err[ERRLEN];
    int st = cx_fs_copy_file(src, dst, opt_bits(L, 3), err, sizeof err);
    if (st != CX_FS_OK)
        return push_fail(L, st, err);
    lua_pushboolean(L, 1);
    return 1;
}

/* fs.write_atomic(path, data [, {no_replace=, mkdirs=}]) -> true | nil, msg, class */
static int l_write_atomic(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t len;
    const char *data = luaL_checklstring(L, 2, &len);
    char err[ERRLEN];
    int st = cx_fs_write_file(path, data, len, opt_bits(L, 3), err, sizeof err);
    if (st != CX_FS_OK)
        return push_fail(L, st, err);
    lua_pushboolean(L, 1);
    return 1;
}

/* fs.list_dir(path) -> { sorted names } | nil, msg, class */
static int l_list_dir(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char err[ERRLEN];
    char **names;
    size_t n;
    int st = cx_fs_list_dir(path, &names, &n, err, sizeof err);
    if (st != CX_FS_OK)
        return push_fail(L, st, err);
    if (!lua_checkstack(L, 4)) {
        cx_fs_names_free(names, n);
        return luaL_error(L, "out of stack space");
    }
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushstring(L, names[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    cx_fs_names_free(names, n);
    return 1;
}

/* fs.stat(path) -> { type = "file"|"dir"|"other", size =, mtime = } | nil, msg, class */
static int l_stat(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char err[ERRLEN];
    cx_fs_info info;
    int st = cx_fs_stat(path, &info, err, sizeof err);
    if (st != CX_FS_OK)
        return push_fail(L, st, err);
    lua_createtable(L, 0, 3);
    lua_pushstring(L, info.type == CX_FS_FILE ? "file" : info.type == CX_FS_DIR ? "dir" : "other");
    lua_setfield(L, -2, "type");
    lua_pushinteger(L, (lua_Integer)info.size);
    lua_setfield(L, -2, "size");
    lua_pushinteger(L, (lua_Integer)info.mtime);
    lua_setfield(L, -2, "mtime");
    return 1;
}

static int l_exists(lua_State *L)
{
    lua_pushboolean(L, cx_fs_exists(luaL_checkstring(L, 1)));
    return 1;
}

static int l_is_dir(lua_State *L)
{
    lua_pushboolean(L, cx_fs_is_dir(luaL_checkstring(L, 1)));
    return 1;
}

/* fs.isatty(fd) -> boolean */
static int l_isatty(lua_State *L)
{
    lua_pushboolean(L, cx_fs_isatty((int)luaL_checkinteger(L, 1)));
    return 1;
}

/* Pushes a malloc'd string and frees it. */
static int push_owned(lua_State *L, char *s)
{
    lua_pushstring(L, s);
    free(s);
    return 1;
}

static int l_getcwd(lua_State *L)
{
    char err[ERRLEN];
    char *s;
    int st = cx_fs_getcwd(&s, err, sizeof err);
    if (st != CX_FS_OK)
        return push_fail(L, st, err);
    return push_owned(L, s);
}

static int l_realpath(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char err[ERRLEN];
    char *s;
    int st = cx_fs_realpath(path, &s, err, sizeof err);
    if (st != CX_FS_OK)
        return push_fail(L, st, err);
    return push_owned(L, s);
}

static int l_pid(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)getpid());
    return 1;
}

/* fs.random_hex(nbytes) -> 2*nbytes hex digits | nil, msg, class */
static int l_random_hex(lua_State *L)
{
    lua_Integer n = luaL_checkinteger(L, 1);
    char err[ERRLEN];
    char out[2 * CX_FS_RANDOM_MAX + 1];
    int st = (n < 1 || n > CX_FS_RANDOM_MAX) ? cx_fs_random_hex(0, out, err, sizeof err)
                                             : cx_fs_random_hex((size_t)n, out, err, sizeof err);
    if (st != CX_FS_OK)
        return push_fail(L, st, err);
    lua_pushstring(L, out);
    return 1;
}

int cx_lua_open_fs(lua_State *L)
{
    static const luaL_Reg fns[] = {{"read_file", l_read_file},   {"copy_file", l_copy_file},
                                   {"mkdir_p", l_mkdir_p},       {"write_atomic", l_write_atomic},
                                   {"list_dir", l_list_dir},     {"stat", l_stat},
                                   {"exists", l_exists},         {"is_dir", l_is_dir},
                                   {"isatty", l_isatty},         {"getcwd", l_getcwd},
                                   {"realpath", l_realpath},     {"pid", l_pid},
                                   {"random_hex", l_random_hex}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
