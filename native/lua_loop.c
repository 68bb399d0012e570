/* Lua binding: the event loop, `require("cx.core").loop`. Plain data crosses the boundary: spec
 * tables in, completion tables out. */
#include "clock.h"
#include "loop.h"
#include "lua_bindings.h"

#include <ctype.h>
#include <lauxlib.h>
#include <string.h>

#define LOOP_MT "cx.loop"

typedef struct lua_loop {
    cx_loop *loop; /* NULL once closed */
} lua_loop;

static cx_loop *check_open(lua_State *L)
{
    lua_loop *u = luaL_checkudata(L, 1, LOOP_MT);
    if (!u->loop)
        luaL_error(L, "the loop is closed");
    return u->loop;
}

/* ---- reading spec tables ---- */

static const char *opt_string(lua_State *L, int t, const char *key, size_t *len)
{
    lua_getfield(L, t, key);
    const char *s = NULL;
    if (!lua_isnil(L, -1)) {
        if (lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "%s must be a string", key);
        s = lua_tolstring(L, -1, len);
    }
    lua_pop(L, 1); /* the string stays anchored in the spec table */
    return s;
}

static lua_Integer opt_integer(lua_State *L, int t, const char *key, lua_Integer dflt)
{
    lua_getfield(L, t, key);
    lua_Integer v = dflt;
    if (!lua_isnil(L, -1)) {
        int ok;
        v = lua_tointegerx(L, -1, &ok);
        if (!ok || v < 0)
            luaL_error(L, "%s must be a non-negative integer", key);
    }
    lua_pop(L, 1);
    return v;
}

/* A NULL-terminated array of the strings in t[key] (an array), kept in a userdata left on the
 * stack so Lua frees it. Returns NULL when the field is absent. */
static const char **string_array(lua_State *L, int t, const char *key)
{
    lua_getfield(L, t, key);
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return NULL;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "%s must be an array of strings", key);
    int arr = lua_gettop(L);
    lua_Integer n = luaL_len(L, arr);
    const char **out = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *out, 0);
    for (lua_Integer i = 1; i <= n; i++) {
        if (lua_rawgeti(L, arr, i) != LUA_TSTRING)
            luaL_error(L, "%s[%d] must be a string", key, (int)i);
        out[i - 1] = lua_tostring(L, -1); /* anchored by the array */
        lua_pop(L, 1);
    }
    out[n] = NULL;
    lua_remove(L, arr); /* the spec table still anchors the array */
    return out;
}

/* env_set = {NAME = "value"} as "NAME=value" strings, anchored in a table left on the stack. */
static const char **env_set_array(lua_State *L, int t)
{
    lua_getfield(L, t, "env_set");
    if (lua_isnil(L, -1)) {
        lua_pop(L, 1);
        return NULL;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "env_set must be a table of NAME = value");
    int src = lua_gettop(L);
    size_t n = 0;
    for (lua_pushnil(L); lua_next(L, src); lua_pop(L, 1))
        n++;
    const char **out = lua_newuserdatauv(L, (n + 1) * sizeof *out, 1);
    lua_newtable(L); /* anchors the formatted strings, as the userdata's user value */
    int keep = lua_gettop(L);
    size_t k = 0;
    for (lua_pushnil(L); lua_next(L, src); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
            luaL_error(L, "env_set must map names to string values");
        const char *name = lua_tostring(L, -2);
        if (!name[0] || strchr(name, '='))
            luaL_error(L, "env_set: invalid variable name '%s'", name);
        lua_pushfstring(L, "%s=%s", name, lua_tostring(L, -1));
        out[k] = lua_tostring(L, -1);
        lua_rawseti(L, keep, (lua_Integer)++k);
    }
    out[k] = NULL;
    lua_setiuservalue(L, -2, 1);
    lua_remove(L, src);
    return out;
}

static int fail(lua_State *L, const char *msg, const char *cls)
{
    lua_pushnil(L);
    lua_pushstring(L, msg);
    lua_pushstring(L, cls);
    return 3;
}

/* loop:spawn{argv=, env_set=, env_unset=, cwd=, stdin=, timeout_ms=, grace_ms=, max_output=} */
static int l_spawn(lua_State *L)
{
    cx_loop *loop = check_open(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    cx_process_job_spec s = {0};
    s.proc.argv = string_array(L, 2, "argv");
    if (!s.proc.argv || !s.proc.argv[0])
        return luaL_error(L, "argv must be a non-empty array of strings");
    s.proc.env_unset = string_array(L, 2, "env_unset");
    s.proc.env_set = env_set_array(L, 2);
    s.proc.cwd = opt_string(L, 2, "cwd", NULL);
    s.stdin_data = opt_string(L, 2, "stdin", &s.stdin_len);
    s.timeout_ms = opt_integer(L, 2, "timeout_ms", 0);
    s.grace_ms = opt_integer(L, 2, "grace_ms", CX_LOOP_DEFAULT_GRACE_MS);
    s.max_output = (size_t)opt_integer(L, 2, "max_output", 0);
    char err[512];
    int64_t id = cx_loop_add_process(loop, &s, err, sizeof err);
    if (id < 0)
        return fail(L, err, "invalid_argument");
    lua_pushinteger(L, id);
    return 1;
}

/* loop:http{url=, method=, headers=, body=, bearer=, connect_timeout_ms=, first_byte_timeout_ms=,
 *           idle_timeout_ms=, total_timeout_ms=, max_bytes=, envelope=, envelope_max_bytes=}
 * envelope = a format name of core.envelope: the body is parsed as it streams (docs/loop.md). */
static int l_http(lua_State *L)
{
    cx_loop *loop = check_open(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    cx_http_job_spec s = {0};
    cx_http_request *r = &s.request;
    r->url = opt_string(L, 2, "url", NULL);
    if (!r->url)
        return luaL_error(L, "url is required");
    r->method = opt_string(L, 2, "method", NULL);
    r->headers = string_array(L, 2, "headers");
    r->body = opt_string(L, 2, "body", &r->body_len);
    r->bearer = opt_string(L, 2, "bearer", NULL);
    r->connect_timeout_ms = (long)opt_integer(L, 2, "connect_timeout_ms", 0);
    r->max_bytes = (size_t)opt_integer(L, 2, "max_bytes", 0);
    s.first_byte_timeout_ms = opt_integer(L, 2, "first_byte_timeout_ms", 0);
    s.idle_timeout_ms = opt_integer(L, 2, "idle_timeout_ms", 0);
    s.total_timeout_ms = opt_integer(L, 2, "total_timeout_ms", 0);
    const char *format = opt_string(L, 2, "envelope", NULL);
    if (format) {
        if (cx_envelope_format_from_name(format, &s.envelope_format) != 0)
            return luaL_error(L, "unknown envelope format '%s'", format);
        s.parse_envelope = 1;
        s.envelope_opts.max_bytes = (size_t)opt_integer(L, 2, "envelope_max_bytes", 0);
    }
    char err[512];
    if (!cx_libcurl_load(err, sizeof err)) /* the first HTTP job of the process loads it */
        return fail(L, err, CX_HTTP_UNAVAILABLE);
    int64_t id = cx_loop_add_http(loop, &s, err, sizeof err);
    if (id < 0)
        return fail(L, err, CX_HTTP_INVALID_REQUEST);
    lua_pushinteger(L, id);
    return 1;
}

static int l_timer(lua_State *L)
{
    cx_loop *loop = check_open(L);
    lua_Integer ms = luaL_checkinteger(L, 2);
    char err[128];
    int64_t id = cx_loop_add_timer(loop, ms, err, sizeof err);
    if (id < 0)
        return fail(L, err, "invalid_argument");
    lua_pushinteger(L, id);
    return 1;
}

static int l_pending(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)cx_loop_pending(check_open(L)));
    return 1;
}

/* ---- completions ---- */

static void set_str(lua_State *L, const char *key, const char *s)
{
    if (s) {
        lua_pushstring(L, s);
        lua_setfield(L, -2, key);
    }
}

static void set_lstr(lua_State *L, const char *key, const char *s, size_t len)
{
    lua_pushlstring(L, s ? s : "", s ? len : 0);
    lua_setfield(L, -2, key);
}

static void set_bool(lua_State *L, const char *key, int v)
{
    lua_pushboolean(L, v);
    lua_setfield(L, -2, key);
}

static void set_int(lua_State *L, const char *key, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

/* Pushes {lower-case name = value} from "Name: value\r\n" lines: values trimmed, a repeated
 * header's values joined with ", " (RFC 9110 5.3), lines without a colon skipped. */
static void push_headers(lua_State *L, const char *p, size_t len)
{
    lua_newtable(L);
    const char *end = p + len;
    while (p < end) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        const char *line_end = eol ? eol : end;
        const char *colon = memchr(p, ':', (size_t)(line_end - p));
        if (colon && colon > p) {
            luaL_Buffer name;
            luaL_buffinit(L, &name);
            for (const char *q = p; q < colon; q++)
                luaL_addchar(&name, (char)tolower((unsigned char)*q));
            luaL_pushresult(&name);
            const char *v = colon + 1, *ve = line_end;
            while (v < ve && (*v == ' ' || *v == '\t'))
                v++;
            while (ve > v && (ve[-1] == '\r' || ve[-1] == ' ' || ve[-1] == '\t'))
                ve--;
            lua_pushvalue(L, -1);
            if (lua_rawget(L, -3) == LUA_TSTRING) { /* name, old */
                lua_pushliteral(L, ", ");
                lua_pushlstring(L, v, (size_t)(ve - v));
                lua_concat(L, 3);
            } else {
                lua_pop(L, 1);
                lua_pushlstring(L, v, (size_t)(ve - v));
            }
            lua_rawset(L, -3);
        }
        p = eol ? eol + 1 : end;
    }
}

static void push_completion(lua_State *L, const cx_completion *c)
{
    static const char *const kinds[] = {"process", "http", "timer"};
    lua_createtable(L, 0, 16);
    set_int(L, "id", c->id);
    set_str(L, "kind", kinds[c->kind]);
    set_bool(L, "ok", c->ok);
    lua_pushnumber(L, c->duration_ms);
    lua_setfield(L, -2, "duration_ms");
    set_str(L, "class", c->class_name);
    set_str(L, "error", c->error);
    if (c->kind == CX_JOB_PROCESS) {
        if (c->exit_code >= 0)
            set_int(L, "exit_code", c->exit_code);
        if (c->signal)
            set_int(L, "signal", c->signal);
        set_bool(L, "timed_out", c->timed_out);
        set_lstr(L, "stdout", c->out, c->out_len);
        set_lstr(L, "stderr", c->err, c->err_len);
        set_int(L, "stdin_written", (lua_Integer)c->stdin_written);
        if (c->out_truncated || c->err_truncated)
            set_bool(L, "truncated", 1);
    } else if (c->kind == CX_JOB_HTTP) {
        if (c->status > 0)
            set_int(L, "status", c->status);
        set_lstr(L, "body", c->body, c->body_len);
        set_str(L, "content_type", c->content_type);
        if (c->headers) {
            push_headers(L, c->headers, c->headers_len);
            lua_setfield(L, -2, "headers");
        }
        if (c->first_byte_ms >= 0) {
            lua_pushnumber(L, c->first_byte_ms);
            lua_setfield(L, -2, "first_byte_ms");
        }
        set_bool(L, "timed_out", c->timed_out);
        set_str(L, "timeout_phase", c->timeout_phase);
        if (c->has_envelope) {
            cx_lua_push_envelope_result(L, &c->envelope);
            lua_setfield(L, -2, "envelope");
            set_bool(L, "stopped_early", c->stopped_early);
        }
    }
}

/* loop:wait([timeout_ms]) -> array of completions (empty when the timeout passed first) */
static int l_wait(lua_State *L)
{
    cx_loop *loop = check_open(L);
    lua_Integer timeout = luaL_optinteger(L, 2, -1);
    cx_loop_run(loop, timeout);
    lua_newtable(L);
    cx_completion c;
    for (lua_Integer i = 1; cx_loop_next(loop, &c); i++) {
        push_completion(L, &c); /* on a memory error the completion leaks; nothing worse */
        cx_completion_free(&c);
        lua_rawseti(L, -2, i);
    }
    return 1;
}

/* loop:cancel(id [, grace_ms]): grace_ms replaces the job's TERM-to-KILL grace (interrupts) */
static int l_cancel(lua_State *L)
{
    cx_loop *loop = check_open(L);
    lua_Integer id = luaL_checkinteger(L, 2);
    lua_Integer grace = luaL_optinteger(L, 3, -1);
    if (lua_gettop(L) >= 3 && !lua_isnil(L, 3) && grace < 0)
        return luaL_error(L, "grace_ms must be a non-negative integer");
    if (cx_loop_cancel_grace(loop, id, grace) != 0)
        return fail(L, "no such job", "invalid_argument");
    lua_pushboolean(L, 1);
    return 1;
}

static int l_close(lua_State *L)
{
    lua_loop *u = luaL_checkudata(L, 1, LOOP_MT);
    cx_loop_destroy(u->loop);
    u->loop = NULL;
    return 0;
}

static int l_new(lua_State *L)
{
    lua_loop *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->loop = NULL;
    luaL_setmetatable(L, LOOP_MT);
    u->loop = cx_loop_new();
    if (!u->loop)
        return luaL_error(L, "cannot create the event loop (out of memory)");
    return 1;
}

static int l_monotonic_ms(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)cx_clock_now_ns() / 1e6);
    return 1;
}

static int l_epoch_ms(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)cx_clock_epoch_ms());
    return 1;
}

int cx_lua_open_loop(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"spawn", l_spawn}, {"http", l_http},     {"timer", l_timer}, {"pending", l_pending},
        {"wait", l_wait},   {"cancel", l_cancel}, {"close", l_close}, {NULL, NULL}};
    if (luaL_newmetatable(L, LOOP_MT)) {
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {
        {"new", l_new}, {"monotonic_ms", l_monotonic_ms}, {"epoch_ms", l_epoch_ms}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
