/* Lua binding for the envelope parser: require("cx.core").envelope
 *   parse(format, body [, opts]) -> result      stream(format [, opts]) -> s
 *   s:feed(chunk) -> ok, terminal               s:finish() -> result
 *   formats() -> {names}                        classes() -> {names} (failure classes)
 * A result is {ok=true, text=, usage=, events=, terminal=, model=, finish_reason=, thread_id=,
 * notices=, notices_total=, items=} or {ok=false, class=, reason=, ...the same extra fields}.
 * opts = {max_bytes = n}. An unknown format name is an argument error. */
#include "envelope.h"
#include "lua_bindings.h"

#include <lauxlib.h>

#define STREAM_MT "cx.envelope.stream"

typedef struct lstream {
    cx_envelope_stream *s;
} lstream;

static cx_envelope_format check_format(lua_State *L, int idx)
{
    const char *name = luaL_checkstring(L, idx);
    cx_envelope_format f;
    if (cx_envelope_format_from_name(name, &f) != 0)
        luaL_argerror(L, idx, lua_pushfstring(L, "unknown envelope format '%s'", name));
    return f;
}

static cx_envelope_opts check_opts(lua_State *L, int idx)
{
    cx_envelope_opts o = {0};
    if (lua_isnoneornil(L, idx))
        return o;
    luaL_checktype(L, idx, LUA_TTABLE);
    lua_getfield(L, idx, "max_bytes");
    if (!lua_isnil(L, -1)) {
        lua_Integer n = luaL_checkinteger(L, -1);
        luaL_argcheck(L, n > 0, idx, "max_bytes must be a positive integer");
        o.max_bytes = (size_t)n;
    }
    lua_pop(L, 1);
    return o;
}

static void set_string(lua_State *L, const char *key, const char *value)
{
    if (!value)
        return;
    lua_pushstring(L, value);
    lua_setfield(L, -2, key);
}

static void set_count(lua_State *L, const char *key, long long v)
{
    if (v < 0)
        return; /* absent: nil, which the run log writes as null */
    lua_pushinteger(L, (lua_Integer)v);
    lua_setfield(L, -2, key);
}

void cx_lua_push_envelope_result(lua_State *L, const cx_envelope_result *r)
{
    lua_createtable(L, 0, 12);
    int ok = r->cls == CX_ENVELOPE_OK;
    lua_pushboolean(L, ok);
    lua_setfield(L, -2, "ok");
    if (ok) {
        lua_pushlstring(L, r->text, r->text_len);
        lua_setfield(L, -2, "text");
    } else {
        set_string(L, "class", cx_envelope_class_name(r->cls));
        set_string(L, "reason", r->reason);
    }
    if (r->has_usage) {
        lua_createtable(L, 0, 4);
        set_count(L, "input_tokens", r->usage.input_tokens);
        set_count(L, "cached_input_tokens", r->usage.cached_input_tokens);
        set_count(L, "output_tokens", r->usage.output_tokens);
        set_count(L, "reasoning_output_tokens", r->usage.reasoning_output_tokens);
        lua_setfield(L, -2, "usage");
    }
    lua_pushinteger(L, r->events);
    lua_setfield(L, -2, "events");
    set_string(L, "terminal", cx_envelope_terminal_name(r->terminal));
    set_string(L, "model", r->model);
    set_string(L, "finish_reason", r->finish_reason);
    set_string(L, "thread_id", r->thread_id);
    lua_createtable(L, (int)r->notice_count, 0);
    for (size_t i = 0; i < r->notice_count; i++) {
        lua_pushstring(L, r->notices[i]);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    /* mark it as an array for cx.json, so an empty list encodes as [] */
    luaL_getmetatable(L, "cx.json.array");
    if (lua_istable(L, -1))
        lua_setmetatable(L, -2);
    else
        lua_pop(L, 1);
    lua_setfield(L, -2, "notices");
    lua_pushinteger(L, (lua_Integer)r->notices_total);
    lua_setfield(L, -2, "notices_total");
    lua_createtable(L, 0, (int)r->item_types);
    for (size_t i = 0; i < r->item_types; i++) {
        lua_pushinteger(L, r->items[i].count);
        lua_setfield(L, -2, r->items[i].type);
    }
    lua_setfield(L, -2, "items");
}

static int l_parse(lua_State *L)
{
    cx_envelope_format f = check_format(L, 1);
    size_t len;
    const char *body = luaL_checklstring(L, 2, &len);
    cx_envelope_opts o = check_opts(L, 3);
    cx_envelope_result r;
    cx_envelope_parse(f, body, len, &o, &r);
    cx_lua_push_envelope_result(L, &r);
    cx_envelope_result_free(&r);
    return 1;
}

static int l_stream(lua_State *L)
{
    cx_envelope_format f = check_format(L, 1);
    cx_envelope_opts o = check_opts(L, 2);
    lstream *ls = lua_newuserdatauv(L, sizeof *ls, 0);
    ls->s = NULL;
    luaL_setmetatable(L, STREAM_MT);
    ls->s = cx_envelope_new(f, &o);
    if (!ls->s)
        return luaL_error(L, "envelope.stream: out of memory");
    return 1;
}

static lstream *check_stream(lua_State *L)
{
    lstream *ls = luaL_checkudata(L, 1, STREAM_MT);
    if (!ls->s)
        luaL_error(L, "envelope stream is closed");
    return ls;
}

/* s:feed(chunk) -> ok (false once the outcome is a failure), terminal (the end marker was seen) */
static int l_feed(lua_State *L)
{
    lstream *ls = check_stream(L);
    size_t len;
    const char *chunk = luaL_checklstring(L, 2, &len);
    int rc = cx_envelope_feed(ls->s, chunk, len);
    lua_pushboolean(L, rc != -1);
    lua_pushboolean(L, rc == 1);
    return 2;
}

static int l_finish(lua_State *L)
{
    lstream *ls = check_stream(L);
    cx_envelope_result r;
    cx_envelope_finish(ls->s, &r);
    cx_lua_push_envelope_result(L, &r);
    cx_envelope_result_free(&r);
    return 1;
}

static int l_gc(lua_State *L)
{
    lstream *ls = luaL_checkudata(L, 1, STREAM_MT);
    cx_envelope_free(ls->s);
    ls->s = NULL;
    return 0;
}

static int l_formats(lua_State *L)
{
    lua_createtable(L, CX_ENVELOPE_FORMAT_COUNT, 0);
    for (int i = 0; i < CX_ENVELOPE_FORMAT_COUNT; i++) {
        lua_pushstring(L, cx_envelope_format_name((cx_envelope_format)i));
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

static int l_classes(lua_State *L)
{
    lua_createtable(L, CX_ENVELOPE_CLASS_COUNT - 1, 0);
    for (int i = 1; i < CX_ENVELOPE_CLASS_COUNT; i++) {
        lua_pushstring(L, cx_envelope_class_name((cx_envelope_class)i));
        lua_rawseti(L, -2, i);
    }
    return 1;
}

int cx_lua_open_envelope(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"feed", l_feed}, {"finish", l_finish}, {"close", l_gc}, {NULL, NULL}};
    if (luaL_newmetatable(L, STREAM_MT)) {
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_gc);
        lua_setfield(L, -2, "__gc");
    }
    lua_pop(L, 1);
    static const luaL_Reg funcs[] = {{"parse", l_parse},
                                     {"stream", l_stream},
                                     {"formats", l_formats},
                                     {"classes", l_classes},
                                     {NULL, NULL}};
    luaL_newlib(L, funcs);
    return 1;
}
