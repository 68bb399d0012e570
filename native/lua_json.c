/* Lua binding: JSON decode (through jansson, keeping integers apart from floats) and encode in the
 * reference's style (sorted keys, compact or 2-space pretty). Arrays decode with a shared metatable
 * so an empty array survives a round trip; JSON null is the lightuserdata `json.null`. */
#include "buf.h"
#include "json_write.h"
#include "lua_bindings.h"

#include <jansson.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ARRAY_MT "cx.json.array"
#define MAX_DEPTH 1000

static void push_value(lua_State *L, json_t *v, int depth);

static void push_array_mt(lua_State *L)
{
    luaL_getmetatable(L, ARRAY_MT);
}

static void push_value(lua_State *L, json_t *v, int depth)
{
    luaL_checkstack(L, 4, "json nesting too deep");
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *key;
        json_t *item;
        lua_createtable(L, 0, (int)json_object_size(v));
        json_object_foreach(v, key, item)
        {
            push_value(L, item, depth + 1);
            lua_setfield(L, -2, key);
        }
        break;
    }
    case JSON_ARRAY: {
        size_t i;
        json_t *item;
        lua_createtable(L, (int)json_array_size(v), 0);
        json_array_foreach(v, i, item)
        {
            push_value(L, item, depth + 1);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
        push_array_mt(L);
        lua_setmetatable(L, -2);
        break;
    }
    case JSON_STRING:
        lua_pushlstring(L, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        lua_pushinteger(L, (lua_Integer)json_integer_value(v));
        break;
    case JSON_REAL:
        lua_pushnumber(L, json_real_value(v));
        break;
    case JSON_TRUE:
        lua_pushboolean(L, 1);
        break;
    case JSON_FALSE:
        lua_pushboolean(L, 0);
        break;
    case JSON_NULL:
        lua_pushlightuserdata(L, NULL);
        break;
    }
}

int cx_lua_json_push_decoded(lua_State *L, const char *s, size_t len)
{
    json_error_t err;
    json_t *root = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!root) {
        lua_pushnil(L);
        return 0;
    }
    push_value(L, root, 0);
    json_decref(root);
    return 1;
}

/* json.decode(text) -> value | nil, message */
static int l_decode(lua_State *L)
{
    size_t len;
    const char *s = luaL_checklstring(L, 1, &len);
    json_error_t err;
    json_t *root = json_loadb(s, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!root) {
        lua_pushnil(L);
        lua_pushfstring(L, "%s at line %d column %d", err.text, err.line, err.column);
        return 2;
    }
    push_value(L, root, 0);
    json_decref(root);
    return 1;
}

typedef struct encoder {
    lua_State *L;
    cx_buf out;
    int pretty;
    const char *error;
    char errbuf[80];
} encoder;

static int encode_value(encoder *e, int idx, int depth);

/* An array is a table with the array metatable, or a non-empty sequence with no other keys. */
static int table_array_len(lua_State *L, int idx, lua_Integer *n)
{
    if (lua_getmetatable(L, idx)) {
        push_array_mt(L);
        int is_array = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
        if (is_array) {
            *n = (lua_Integer)lua_rawlen(L, idx);
            return 1;
        }
    }
    lua_Integer count = 0, max = 0;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (!lua_isinteger(L, -1)) {
            lua_pop(L, 1);
            return 0;
        }
        lua_Integer k = lua_tointeger(L, -1);
        if (k < 1) {
            lua_pop(L, 1);
            return 0;
        }
        if (k > max)
            max = k;
        count++;
    }
    if (count == 0 || count != max)
        return 0;
    *n = count;
    return 1;
}

typedef struct key_ref {
    const char *s;
    size_t len;
} key_ref;

static int key_cmp(const void *a, const void *b)
{
    const key_ref *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);
    if (c != 0)
        return c;
    return x->len < y->len ? -1 : x->len > y->len;
}

static int encode_object(encoder *e, int idx, int depth)
{
    lua_State *L = e->L;
    size_t cap = 16, n = 0;
    key_ref *keys = malloc(cap * sizeof *keys);
    if (!keys)
        return -1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        lua_pop(L, 1);
        if (lua_type(L, -1) != LUA_TSTRING) {
            e->error = "object keys must be strings";
            lua_pop(L, 1);
            free(keys);
            return -1;
        }
        if (n == cap) {
            key_ref *k2 = realloc(keys, 2 * cap * sizeof *keys);
            if (!k2) {
                lua_pop(L, 1);
                free(keys);
                return -1;
            }
            keys = k2;
            cap *= 2;
        }
        /* the key string stays alive: it is referenced by the table being encoded */
        keys[n].s = lua_tolstring(L, -1, &keys[n].len);
        n++;
    }
    qsort(keys, n, sizeof *keys, key_cmp);
    int rc = cx_buf_append_char(&e->out, '{');
    for (size_t i = 0; rc == 0 && i < n; i++) {
        if (i > 0)
            rc = cx_buf_append_char(&e->out, ',');
        if (rc == 0 && e->pretty)
            rc = cx_json_write_indent(&e->out, depth + 1);
        if (rc == 0)
            rc = cx_json_write_string(&e->out, keys[i].s, keys[i].len);
        if (rc == 0)
            rc = cx_buf_append(&e->out, ": ", e->pretty ? 2 : 1);
        if (rc == 0) {
            lua_pushlstring(L, keys[i].s, keys[i].len);
            lua_rawget(L, idx);
            rc = encode_value(e, lua_gettop(L), depth + 1);
            lua_pop(L, 1);
        }
    }
    if (rc == 0 && e->pretty && n > 0)
        rc = cx_json_write_indent(&e->out, depth);
    free(keys);
    return rc == 0 ? cx_buf_append_char(&e->out, '}') : -1;
}

static int encode_array(encoder *e, int idx, lua_Integer n, int depth)
{
    int rc = cx_buf_append_char(&e->out, '[');
    for (lua_Integer i = 1; rc == 0 && i <= n; i++) {
        if (i > 1)
            rc = cx_buf_append_char(&e->out, ',');
        if (rc == 0 && e->pretty)
            rc = cx_json_write_indent(&e->out, depth + 1);
        if (rc == 0) {
            lua_rawgeti(e->L, idx, i);
            rc = encode_value(e, lua_gettop(e->L), depth + 1);
            lua_pop(e->L, 1);
        }
    }
    if (rc == 0 && e->pretty && n > 0)
        rc = cx_json_write_indent(&e->out, depth);
    return rc == 0 ? cx_buf_append_char(&e->out, ']') : -1;
}

static int encode_value(encoder *e, int idx, int depth)
{
    lua_State *L = e->L;
    if (depth > MAX_DEPTH) {
        e->error = "nesting too deep (a cycle?)";
        return -1;
    }
    if (!lua_checkstack(L, 6)) {
        e->error = "out of Lua stack";
        return -1;
    }
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return cx_buf_append_str(&e->out, "null");
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL)
            return cx_buf_append_str(&e->out, "null");
        break;
    case LUA_TBOOLEAN:
        return cx_buf_append_str(&e->out, lua_toboolean(L, idx) ? "true" : "false");
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx))
            return cx_json_write_integer(&e->out, (long long)lua_tointeger(L, idx));
        return cx_json_write_double(&e->out, (double)lua_tonumber(L, idx));
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        return cx_json_write_string(&e->out, s, len);
    }
    case LUA_TTABLE: {
        lua_Integer n;
        if (table_array_len(L, idx, &n))
            return encode_array(e, idx, n, depth);
        return encode_object(e, idx, depth);
    }
    default:
        break;
    }
    snprintf(e->errbuf, sizeof e->errbuf, "cannot encode a value of type %s",
             luaL_typename(L, idx));
    e->error = e->errbuf;
    return -1;
}

/* json.encode(value [, pretty]) -> text | nil, message */
static int l_encode(lua_State *L)
{
    luaL_checkany(L, 1);
    encoder e = {L, {NULL, 0, 0}, lua_toboolean(L, 2), NULL, {0}};
    lua_settop(L, 1);
    if (encode_value(&e, 1, 0) != 0) {
        lua_pushnil(L);
        lua_pushstring(L, e.error ? e.error : "out of memory");
        cx_buf_free(&e.out);
        return 2;
    }
    lua_pushlstring(L, e.out.data, e.out.len);
    cx_buf_free(&e.out);
    return 1;
}

/* json.array([t]) -> t marked as an array (so an empty one encodes as []) */
static int l_array(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    push_array_mt(L);
    lua_setmetatable(L, 1);
    return 1;
}

/* json.is_array(t) -> boolean */
static int l_is_array(lua_State *L)
{
    int r = 0;
    if (lua_type(L, 1) == LUA_TTABLE && lua_getmetatable(L, 1)) {
        push_array_mt(L);
        r = lua_rawequal(L, -1, -2);
    }
    lua_pushboolean(L, r);
    return 1;
}

int cx_lua_open_json(lua_State *L)
{
    static const luaL_Reg fns[] = {{"decode", l_decode},
                                   {"encode", l_encode},
                                   {"array", l_array},
                                   {"is_array", l_is_array},
                                   {NULL, NULL}};
    if (luaL_newmetatable(L, ARRAY_MT)) {
        lua_pushstring(L, "array");
        lua_setfield(L, -2, "__name");
    }
    lua_pop(L, 1);
    luaL_newlib(L, fns);
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, -2, "null");
    return 1;
}
