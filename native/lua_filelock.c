/* Lua binding: `require("cx.core").filelock` (see filelock.h).
 *   filelock.acquire(path [, {shared = bool, wait = bool}]) -> handle | nil, message, class
 *       exclusive and waiting by default; wait = false gives class "busy" when the lock is held.
 *   handle:note(text) -> true | nil, message, class   the holder's note (the file's content)
 *   handle:release()  handle:held() -> boolean         (also released by __close and __gc)
 *   filelock.read_note(path) -> text | nil, message, class   (bounded; takes no lock)
 *   filelock.pid_alive(pid) -> boolean */
#include "filelock.h"
#include "lua_bindings.h"

#include <lauxlib.h>

#define LOCK_MT "cx.filelock"
#define ERRLEN 512

typedef struct lock_box {
    int fd; /* -1 once released */
} lock_box;

static int push_fail(lua_State *L, int status, const char *msg)
{
    lua_pushnil(L);
    lua_pushstring(L, msg);
    lua_pushstring(L, cx_filelock_status_class(status));
    return 3;
}

static int opt_bool(lua_State *L, int idx, const char *key, int dflt)
{
    if (lua_type(L, idx) != LUA_TTABLE)
        return dflt;
    lua_getfield(L, idx, key);
    int v = lua_isnil(L, -1) ? dflt : lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

static int l_acquire(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    int shared = opt_bool(L, 2, "shared", 0);
    int wait = opt_bool(L, 2, "wait", 1);
    /* The box exists before the lock is taken, so an allocation error cannot leak the fd. */
    lock_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->fd = -1;
    luaL_setmetatable(L, LOCK_MT);
    char err[ERRLEN];
    int rc = cx_filelock_acquire(path, !shared, wait, &b->fd, err, sizeof err);
    if (rc != CX_FILELOCK_OK)
        return push_fail(L, rc, err);
    return 1;
}

static int lock_release(lua_State *L)
{
    lock_box *b = luaL_checkudata(L, 1, LOCK_MT);
    cx_filelock_release(b->fd);
    b->fd = -1;
    return 0;
}

static int lock_held(lua_State *L)
{
    lock_box *b = luaL_checkudata(L, 1, LOCK_MT);
    lua_pushboolean(L, b->fd >= 0);
    return 1;
}

static int lock_note(lua_State *L)
{
    lock_box *b = luaL_checkudata(L, 1, LOCK_MT);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    char err[ERRLEN];
    int rc = cx_filelock_write_note(b->fd, text, len, err, sizeof err);
    if (rc != CX_FILELOCK_OK)
        return push_fail(L, rc, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_read_note(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char buf[CX_FILELOCK_NOTE_MAX + 1];
    char err[ERRLEN];
    size_t len;
    int rc = cx_filelock_read_note(path, buf, sizeof buf, &len, err, sizeof err);
    if (rc != CX_FILELOCK_OK)
        return push_fail(L, rc, err);
    lua_pushlstring(L, buf, len);
    return 1;
}

static int l_pid_alive(lua_State *L)
{
    lua_Integer pid = luaL_checkinteger(L, 1);
    lua_pushboolean(L, cx_filelock_pid_alive((long)pid));
    return 1;
}

int cx_lua_open_filelock(lua_State *L)
{
    static const luaL_Reg meta[] = {
        {"__gc", lock_release}, {"__close", lock_release}, {NULL, NULL}};
    static const luaL_Reg methods[] = {
        {"release", lock_release}, {"held", lock_held}, {"note", lock_note}, {NULL, NULL}};
    if (luaL_newmetatable(L, LOCK_MT)) {
        luaL_setfuncs(L, meta, 0);
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {{"acquire", l_acquire},
                                   {"read_note", l_read_note},
                                   {"pid_alive", l_pid_alive},
                                   {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
