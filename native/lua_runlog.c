/* Lua binding: the run log (native/runlog.c) as `require("cx.core").runlog`.
 *
 *   runlog.append(path, line)  -> true | nil, message, class ("io" | "invalid_row")
 *   runlog.tail(path, n [, before]) -> lines, {torn=bool, bytes_read=int, offsets={int...}}
 *       | nil, message, class   (before: only the part of the file before that byte offset;
 *       offsets: each line's first byte)
 *   runlog.line_numbers(path, offsets) -> the 1-based line number of the row at each (ascending)
 *                                 byte offset | nil, message, class
 *   runlog.lines(path [, off]) -> iterator of lineno, text, torn, offset | nil, message, class
 *   runlog.size(path)          -> bytes | nil, message, class
 *   runlog.lock(path)          -> handle | nil, message, class: the writers' exclusive lock, held
 *       until handle:unlock() (also __close and __gc); handle:lines([off]) reads the locked file
 *       like runlog.lines; handle:locked() says whether it is still held.
 *
 * Classes: "not_found" (the file is missing; append creates it instead), "invalid_row", "io". */
#include "lua_bindings.h"
#include "runlog.h"

#include <lauxlib.h>

#define READER_MT "cx.runlog.reader"
#define LOCK_MT "cx.runlog.lock"

static const char *class_of(int rc)
{
    switch (rc) {
    case CX_RUNLOG_ENOENT:
        return "not_found";
    case CX_RUNLOG_EINVAL:
        return "invalid_row";
    default:
        return "io";
    }
}

static int push_fail(lua_State *L, int rc, const char *msg)
{
    lua_pushnil(L);
    lua_pushstring(L, msg);
    lua_pushstring(L, class_of(rc));
    return 3;
}

static int l_append(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    size_t len;
    const char *line = luaL_checklstring(L, 2, &len);
    char err[512];
    int rc = cx_runlog_append(path, line, len, err, sizeof err);
    if (rc != CX_RUNLOG_OK) /* append creates what is missing: only "invalid_row" or "io" */
        return push_fail(L, rc == CX_RUNLOG_EINVAL ? rc : CX_RUNLOG_EIO, err);
    lua_pushboolean(L, 1);
    return 1;
}

static int l_size(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    uint64_t size;
    char err[512];
    int rc = cx_runlog_size(path, &size, err, sizeof err);
    if (rc != CX_RUNLOG_OK)
        return push_fail(L, rc, err);
    lua_pushinteger(L, (lua_Integer)size);
    return 1;
}

static int l_tail(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_Integer n = luaL_checkinteger(L, 2);
    luaL_argcheck(L, n >= 0, 2, "must not be negative");
    lua_Integer before = luaL_optinteger(L, 3, -1);
    cx_runlog_tail_result t;
    char err[512];
    int rc = cx_runlog_tail_before(path, before < 0 ? UINT64_MAX : (uint64_t)before, (size_t)n, 0,
                                   &t, err, sizeof err);
    if (rc != CX_RUNLOG_OK) {
        cx_runlog_tail_free(&t);
        return push_fail(L, rc, err);
    }
    /* Only a Lua out-of-memory error below could skip the free; that aborts the command anyway. */
    lua_createtable(L, t.count > (size_t)INT32_MAX ? 0 : (int)t.count, 0);
    for (size_t i = 0; i < t.count; i++) {
        lua_pushlstring(L, t.lines[i].text, t.lines[i].len);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_createtable(L, 0, 3);
    lua_pushboolean(L, t.torn);
    lua_setfield(L, -2, "torn");
    lua_pushinteger(L, (lua_Integer)t.bytes_read);
    lua_setfield(L, -2, "bytes_read");
    lua_createtable(L, t.count > (size_t)INT32_MAX ? 0 : (int)t.count, 0);
    for (size_t i = 0; i < t.count; i++) {
        lua_pushinteger(L, (lua_Integer)t.lines[i].offset);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "offsets");
    cx_runlog_tail_free(&t);
    return 2;
}

static int l_line_numbers(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t n = (size_t)lua_rawlen(L, 2);
    uint64_t *buf = lua_newuserdatauv(L, 2 * (n ? n : 1) * sizeof(uint64_t), 0); /* freed by GC */
    uint64_t *offsets = buf, *lines = buf + n;
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (lua_Integer)i + 1);
        lua_Integer v = lua_tointeger(L, -1);
        luaL_argcheck(L, lua_isinteger(L, -1) && v >= 0, 2,
                      "offsets must be non-negative integers");
        offsets[i] = (uint64_t)v;
        lua_pop(L, 1);
    }
    char err[512];
    int rc = cx_runlog_line_numbers(path, offsets, n, lines, err, sizeof err);
    if (rc != CX_RUNLOG_OK)
        return push_fail(L, rc, err);
    lua_createtable(L, (int)n, 0);
    for (size_t i = 0; i < n; i++) {
        lua_pushinteger(L, (lua_Integer)lines[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    return 1;
}

/* The reader lives in a userdata so that __gc / __close close the file of an abandoned loop. */
typedef struct reader_box {
    cx_runlog_reader *r;
} reader_box;

static int reader_close(lua_State *L)
{
    reader_box *b = luaL_checkudata(L, 1, READER_MT);
    cx_runlog_reader_close(b->r);
    b->r = NULL;
    return 0;
}

/* The generic-for step: (box, _) -> lineno, text, torn, offset | nil at the end. A read error
 * mid-way is raised: a for loop has no place for nil, message. */
static int reader_step(lua_State *L)
{
    reader_box *b = luaL_checkudata(L, 1, READER_MT);
    if (!b->r)
        return 0;
    cx_runlog_line line;
    char err[512];
    int rc = cx_runlog_reader_next(b->r, &line, err, sizeof err);
    if (rc == 0) {
        cx_runlog_reader_close(b->r);
        b->r = NULL;
        return 0;
    }
    if (rc < 0) {
        cx_runlog_reader_close(b->r);
        b->r = NULL;
        return luaL_error(L, "%s", err);
    }
    lua_pushinteger(L, (lua_Integer)line.lineno);
    lua_pushlstring(L, line.text, line.len);
    lua_pushboolean(L, line.torn);
    lua_pushinteger(L, (lua_Integer)line.offset);
    return 4;
}

/* The generic-for values for a reader opened on path (locked_fd < 0: with its own snapshot):
 * step, box, nil, box (the fourth value is the to-be-closed variable of a Lua 5.4 generic for). */
static int push_reader(lua_State *L, const char *path, int locked_fd, lua_Integer off)
{
    reader_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->r = NULL;
    luaL_setmetatable(L, READER_MT);
    char err[512];
    int rc = locked_fd < 0 ? cx_runlog_reader_open(path, (uint64_t)off, 0, &b->r, err, sizeof err)
                           : cx_runlog_reader_open_locked(locked_fd, path, (uint64_t)off, 0, &b->r,
                                                          err, sizeof err);
    if (rc != CX_RUNLOG_OK)
        return push_fail(L, rc, err);
    lua_pushcfunction(L, reader_step);
    lua_insert(L, -2);
    lua_pushnil(L);
    lua_pushvalue(L, -2);
    return 4;
}

/* runlog.lines(path [, offset]) */
static int l_lines(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lua_Integer off = luaL_optinteger(L, 2, 0);
    luaL_argcheck(L, off >= 0, 2, "must not be negative");
    return push_reader(L, path, -1, off);
}

/* The lock lives in a userdata so that a scope left by an error (__close) or a dropped handle
 * (__gc) releases it: a lock kept by mistake would stop every cx run that logs. The path is the
 * userdata's user value. */
typedef struct lock_box {
    int fd; /* -1 once released */
} lock_box;

static int lock_unlock(lua_State *L)
{
    lock_box *b = luaL_checkudata(L, 1, LOCK_MT);
    cx_runlog_unlock(b->fd);
    b->fd = -1;
    lua_pushboolean(L, 1);
    return 1;
}

static int lock_gc(lua_State *L)
{
    lock_unlock(L);
    return 0;
}

static int lock_locked(lua_State *L)
{
    lock_box *b = luaL_checkudata(L, 1, LOCK_MT);
    lua_pushboolean(L, b->fd >= 0);
    return 1;
}

/* handle:lines([offset]): the locked file, read to its end as it is now. Raises once unlocked. */
static int lock_lines(lua_State *L)
{
    lock_box *b = luaL_checkudata(L, 1, LOCK_MT);
    lua_Integer off = luaL_optinteger(L, 2, 0);
    luaL_argcheck(L, off >= 0, 2, "must not be negative");
    lua_getiuservalue(L, 1, 1);
    const char *path = lua_tostring(L, -1);
    if (b->fd < 0)
        return luaL_error(L, "cannot read %s: its lock was released", path);
    return push_reader(L, path, b->fd, off);
}

/* runlog.lock(path) -> handle | nil, message, class. Blocks until every appender is done. */
static int l_lock(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    lock_box *b = lua_newuserdatauv(L, sizeof *b, 1);
    b->fd = -1;
    luaL_setmetatable(L, LOCK_MT);
    lua_pushvalue(L, 1);
    lua_setiuservalue(L, -2, 1);
    char err[512];
    int rc = cx_runlog_lock(path, &b->fd, err, sizeof err);
    if (rc != CX_RUNLOG_OK)
        return push_fail(L, rc, err);
    return 1;
}

int cx_lua_open_runlog(lua_State *L)
{
    static const luaL_Reg reader_meta[] = {
        {"__gc", reader_close}, {"__close", reader_close}, {NULL, NULL}};
    if (luaL_newmetatable(L, READER_MT))
        luaL_setfuncs(L, reader_meta, 0);
    lua_pop(L, 1);
    static const luaL_Reg lock_meta[] = {{"__gc", lock_gc}, {"__close", lock_gc}, {NULL, NULL}};
    static const luaL_Reg lock_methods[] = {
        {"unlock", lock_unlock}, {"locked", lock_locked}, {"lines", lock_lines}, {NULL, NULL}};
    if (luaL_newmetatable(L, LOCK_MT)) {
        luaL_setfuncs(L, lock_meta, 0);
        luaL_newlib(L, lock_methods);
        lua_setfield(L, -2, "__index");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        {"append", l_append}, {"tail", l_tail}, {"line_numbers", l_line_numbers},
        {"lines", l_lines},   {"size", l_size}, {"lock", l_lock},
        {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
