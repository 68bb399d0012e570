/* Lua binding: `require("cx.core").logcheck`, the fast run-log line check (native/logcheck.h).
 *
 *   logcheck.new({key, ...}) -> checker
 *   checker:check(text) -> kind, present, message, truncated
 *     kind: "object" | "not_object" | "invalid_json" | "read_error" | "blank"
 *     present: integer, bit i-1 set when keys[i] is a top-level key of the object
 *     message: the parser's (or UTF-8) message for invalid_json / read_error, else nil
 *     truncated: true when the JSON ended inside a value (a row cut short) */
#include "logcheck.h"
#include "lua_bindings.h"

#include <lauxlib.h>

#define CHECKER_MT "cx.logcheck.checker"

typedef struct checker_box {
    cx_logcheck *c;
} checker_box;

static int l_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_Integer n = luaL_len(L, 1);
    luaL_argcheck(L, n >= 0 && n <= CX_LOGCHECK_MAX_KEYS, 1, "at most 63 keys");
    const char *keys[CX_LOGCHECK_MAX_KEYS];
    for (lua_Integer i = 1; i <= n; i++) {
        lua_rawgeti(L, 1, i);
        keys[i - 1] = luaL_checkstring(L, -1);
        lua_pop(L, 1); /* the table still holds the string */
    }
    checker_box *b = lua_newuserdatauv(L, sizeof *b, 0);
    b->c = NULL;
    luaL_setmetatable(L, CHECKER_MT);
    b->c = cx_logcheck_new(keys, (size_t)n);
    if (!b->c)
        return luaL_error(L, "logcheck: out of memory");
    return 1;
}

static int l_check(lua_State *L)
{
    checker_box *b = luaL_checkudata(L, 1, CHECKER_MT);
    size_t len;
    const char *text = luaL_checklstring(L, 2, &len);
    cx_logcheck_result r;
    cx_logcheck_line(b->c, text, len, &r);
    static const char *const kinds[] = {"object", "not_object", "invalid_json", "read_error",
                                        "blank"};
    lua_pushstring(L, kinds[r.kind]);
    lua_pushinteger(L, (lua_Integer)r.present);
    if (r.kind == CX_LOGCHECK_INVALID_JSON || r.kind == CX_LOGCHECK_BAD_UTF8)
        lua_pushstring(L, r.message);
    else
        lua_pushnil(L);
    lua_pushboolean(L, r.truncated);
    return 4;
}

static int l_gc(lua_State *L)
{
    checker_box *b = luaL_checkudata(L, 1, CHECKER_MT);
    cx_logcheck_free(b->c);
    b->c = NULL;
    return 0;
}

int cx_lua_open_logcheck(lua_State *L)
{
    if (luaL_newmetatable(L, CHECKER_MT)) {
        static const luaL_Reg methods[] = {{"check", l_check}, {NULL, NULL}};
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {{"new", l_new}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
