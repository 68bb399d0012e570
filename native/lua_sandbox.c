/* Lua binding: evaluate untrusted policy code in a fresh, limited Lua state inside a forked child
 * (native/sandbox.c), as `require("cx.core").sandbox`.
 *
 *   sandbox.run{ chunks = { {path=, text=}, ... }, driver = {path=, text=} | nil,
 *                input = <plain data>, limits = {...} }  -> value | nil, message, class
 *
 * The driver's host table: paths and texts of the chunks; defined(f) -> chunk index (0 when f is
 * not policy code), line where f is defined; blame(chunk, line) names the policy an unsendable
 * result is blamed on; invalid(message) fails with class "invalid".
 *
 * The child builds a new lua_State over the byte-capped allocator, opens only base (whitelisted),
 * string (without dump), table, math and utf8, copies `input` in from the parent's state (which
 * fork left readable), loads every chunk as text with its own environment and runs it, then calls
 * the trusted driver as driver(modules, input, host) (without a driver the value is the last
 * chunk's). The value comes back as plain data: integers stay integers, arrays stay arrays
 * (json.array), JSON null stays json.null.
 *
 * Limits (all optional): memory (bytes of Lua heap), instructions (VM instructions, counted by a
 * hook), wall_ms (the parent kills the child after this), cpu_s (RLIMIT_CPU), output (bytes of
 * encoded result), depth (nesting of input and result), message (bytes of an error message).
 *
 * Errors are "<policy path>:<line>: <message>", one line, control characters escaped, at most
 * limits.message bytes. Classes: syntax, runtime, timeout, memory, output, invalid, interrupted.
 *
 * Wire format of the child's answer: 'R' value | 'E' class-char u32 length message. Values:
 * 'n' nil, 'z' null, 't' / 'f', 'i' int64, 'd' double, 's' u32 length bytes, 'a' u32 count
 * values, 'o' u32 count (key value) pairs. Numbers are in host byte order (same machine). */
#include "buf.h"
#include "lua_bindings.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#define MAX_CHUNKS 32
#define ARRAY_MT "cx.json.array"       /* the parent's array mark (lua_json.c) */
#define CHILD_ARRAY "cx.sandbox.array" /* the child's: a metatable policies cannot reach */
#define HOOK_STEP 1000
#define WHERE_MAX (PATH_MAX + 32) /* "<path>:<line>: " */
#define MSG_MAX (WHERE_MAX + 512)

enum { STOP_NONE, STOP_BUDGET };
enum { PHASE_BUILD, PHASE_INPUT, PHASE_RUN };

typedef struct sb_chunk {
    const char *path;
    const char *text;
    size_t len;
    const char *source;         /* child: ar.source shared by every function of this chunk */
    char short_src[LUA_IDSIZE]; /* child: how Lua abbreviates its name in messages */
} sb_chunk;

typedef struct sb_job {
    lua_State *parent;
    int input_idx; /* 0 = no input */
    sb_chunk chunks[MAX_CHUNKS];
    int nchunks;
    sb_chunk driver;
    int has_driver;
    size_t memory, output, message;
    long long instructions;
    int depth, wall_ms, cpu_s;
    /* child side */
    cx_sandbox_heap heap;
    cx_sandbox_progress *progress;
    long long used;
    int stopped, oom;
    int line_hook; /* also mark every new line (the re-run that finds where memory ran out) */
    int phase;     /* what the child was doing: PHASE_* */
    char err_class;
    char stop_msg[MSG_MAX];
    int blame_chunk, blame_line;
    int fd;
    lua_State *state; /* the child's state, never closed: the process exits instead */
} sb_job;

static sb_job *job_of(lua_State *L)
{
    return *(sb_job **)lua_getextraspace(L);
}

static int chunk_of(sb_job *job, const char *source)
{
    for (int i = 0; i < job->nchunks; i++)
        if (job->chunks[i].source && source == job->chunks[i].source)
            return i + 1;
    return 0;
}

static void mark(sb_job *job, const char *source, int line)
{
    int c = chunk_of(job, source);
    if (c) {
        job->progress->chunk = c;
        job->progress->line = line > 0 ? line : 0;
    }
}

/* "<path>:<line>: " (or "<path>: ") for chunk c (1-based) and line; "" without a chunk. */
static void position(sb_job *job, int c, int line, char *out, size_t len)
{
    if (c < 1 || c > job->nchunks)
        out[0] = '\0';
    else if (line > 0)
        snprintf(out, len, "%s:%d: ", job->chunks[c - 1].path, line);
    else
        snprintf(out, len, "%s: ", job->chunks[c - 1].path);
}

/* ---------------------------------------------------------------------------------------------
 * Child: hook, message handler, guarded library functions */

static void sb_hook(lua_State *L, lua_Debug *ar)
{
    sb_job *job = job_of(L);
    if (job->stopped) {
        lua_pushstring(L, job->stop_msg);
        lua_error(L);
    }
    if (ar->event == LUA_HOOKLINE) {
        if (lua_getinfo(L, "S", ar))
            mark(job, ar->source, ar->currentline);
        return;
    }
    job->used += HOOK_STEP;
    if (lua_getinfo(L, "Sl", ar))
        mark(job, ar->source, ar->currentline);
    if (job->used > job->instructions) {
        char where[WHERE_MAX];
        position(job, job->progress->chunk, job->progress->line, where, sizeof where);
        snprintf(job->stop_msg, sizeof job->stop_msg,
                 "%spolicy stopped: it exceeded its budget of %lld instructions", where,
                 job->instructions);
        job->stopped = STOP_BUDGET;
        /* From now on every instruction raises again, so no pcall of the policy can go on. */
        lua_sethook(L, sb_hook, LUA_MASKCOUNT, 1);
        lua_pushstring(L, job->stop_msg);
        lua_error(L);
    }
}

static int starts_with(const char *s, size_t len, const char *prefix)
{
    size_t n = strlen(prefix);
    return n > 0 && len > n && memcmp(s, prefix, n) == 0 && s[n] == ':';
}

/* Skip "<prefix>:<digits>: " at the start of s, or return s. */
static const char *skip_position(const char *s, size_t len, const char *prefix)
{
    if (!starts_with(s, len, prefix))
        return s;
    const char *p = s + strlen(prefix) + 1;
    while (*p >= '0' && *p <= '9')
        p++;
    if (*p == ':')
        p++;
    if (*p == ' ')
        p++;
    return p;
}

/* Attribute an error to a policy file and line (see the header). Keeps a message that already
 * names a policy; rewrites Lua's abbreviated names; otherwise prefixes the innermost policy frame
 * on the stack, or the last position the policy was seen at. */
static int sb_msgh(lua_State *L)
{
    sb_job *job = job_of(L);
    size_t len;
    const char *msg;
    if (lua_type(L, 1) == LUA_TSTRING || lua_type(L, 1) == LUA_TNUMBER) {
        msg = lua_tolstring(L, 1, &len);
    } else {
        msg = lua_pushfstring(L, "policy raised an error that is not a string (a %s value)",
                              luaL_typename(L, 1));
        len = strlen(msg);
    }
    if (len > 4096)
        len = 4096; /* a 16 MB message is cut here, before any copy of it */
    for (int i = 0; i < job->nchunks; i++)
        if (starts_with(msg, len, job->chunks[i].path)) {
            lua_pushlstring(L, msg, len);
            return 1;
        }
    for (int i = 0; i < job->nchunks; i++)
        if (starts_with(msg, len, job->chunks[i].short_src)) {
            lua_pushfstring(L, "%s", job->chunks[i].path);
            lua_pushlstring(L, msg + strlen(job->chunks[i].short_src),
                            len - strlen(job->chunks[i].short_src));
            lua_concat(L, 2);
            return 1;
        }
    const char *rest = job->has_driver ? skip_position(msg, len, job->driver.short_src) : msg;
    len -= (size_t)(rest - msg);
    lua_Debug ar;
    int c = 0, line = 0;
    for (int level = 1; lua_getstack(L, level, &ar); level++)
        if (lua_getinfo(L, "Sl", &ar) && (c = chunk_of(job, ar.source)) != 0) {
            line = ar.currentline;
            break;
        }
    if (!c) {
        c = job->progress->chunk ? job->progress->chunk : 1;
        line = job->progress->chunk ? job->progress->line : 0;
    }
    char where[WHERE_MAX];
    position(job, c, line, where, sizeof where);
    lua_pushstring(L, where);
    lua_pushlstring(L, rest, len);
    lua_concat(L, 2);
    return 1;
}

/* A library function behind a guard: note the calling line first, so a call that runs away or
 * exhausts memory inside C is blamed on the right line. */
static int sb_guarded(lua_State *L)
{
    sb_job *job = job_of(L);
    lua_Debug ar;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
        mark(job, ar.source, ar.currentline);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* string.gmatch: its iterator does the matching, so the iterator is guarded too. */
static int sb_gmatch(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, 1);
    lua_pushcclosure(L, sb_guarded, 1);
    return 1;
}

/* pcall for policies: a budget stop or a memory error is not theirs to catch. */
static int sb_pcall(lua_State *L)
{
    luaL_checkany(L, 1);
    int status = lua_pcall(L, lua_gettop(L) - 1, LUA_MULTRET, 0);
    sb_job *job = job_of(L);
    if (status == LUA_ERRMEM)
        job->oom = 1;
    if (status != LUA_OK && (job->stopped || job->oom))
        lua_error(L);
    lua_pushboolean(L, status == LUA_OK);
    lua_insert(L, 1);
    return lua_gettop(L);
}

/* array(t) -> t, marked so it comes back as a JSON array (even when empty). */
static int sb_array(lua_State *L)
{
    if (lua_isnoneornil(L, 1)) {
        lua_settop(L, 0);
        lua_newtable(L);
    }
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    luaL_getmetatable(L, CHILD_ARRAY);
    lua_setmetatable(L, 1);
    return 1;
}

/* host.defined(f) -> chunk index (0 when f is not policy code), line where f is defined. */
static int sb_host_defined(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_Debug ar;
    lua_pushvalue(L, 1);
    lua_getinfo(L, ">S", &ar);
    lua_pushinteger(L, chunk_of(job_of(L), ar.source));
    lua_pushinteger(L, ar.linedefined > 0 ? ar.linedefined : 0);
    return 2;
}

/* host.invalid(message): fail with class "invalid" (a policy of the wrong shape). */
static int sb_host_invalid(lua_State *L)
{
    job_of(L)->err_class = 'i';
    luaL_checkstring(L, 1);
    lua_settop(L, 1);
    return lua_error(L);
}

/* host.blame(chunk, line): whom to name if the result cannot be sent back. */
static int sb_host_blame(lua_State *L)
{
    sb_job *job = job_of(L);
    job->blame_chunk = (int)luaL_checkinteger(L, 1);
    job->blame_line = (int)luaL_optinteger(L, 2, 0);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Child: building the state */

static const char *const BASE_NAMES[] = {"assert", "error",    "ipairs",   "next",
                                         "pairs",  "select",   "tonumber", "tostring",
                                         "type",   "rawequal", "rawlen",   NULL};

/* A copy of library table at idx with every C function behind the guard (gmatch specially). */
static void push_guarded_copy(lua_State *L, int idx, int guard)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        if (lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "dump") == 0) {
            lua_pop(L, 1);
            continue;
        }
        if (guard && lua_iscfunction(L, -1)) {
            int gm = lua_type(L, -2) == LUA_TSTRING && strcmp(lua_tostring(L, -2), "gmatch") == 0;
            lua_pushcclosure(L, gm ? sb_gmatch : sb_guarded, 1);
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
}

/* Builds the template of what policy code may see; leaves it on the stack. */
static void push_template(lua_State *L)
{
    luaL_requiref(L, "_G", luaopen_base, 0);
    int g = lua_gettop(L);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 0);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 0);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 0);
    luaL_requiref(L, LUA_UTF8LIBNAME, luaopen_utf8, 0);
    luaL_newmetatable(L, CHILD_ARRAY);
    lua_pop(L, 1);
    lua_newtable(L);
    int t = lua_gettop(L);
    for (int i = 0; BASE_NAMES[i]; i++) {
        lua_getfield(L, g, BASE_NAMES[i]);
        lua_setfield(L, t, BASE_NAMES[i]);
    }
    lua_pushcfunction(L, sb_pcall);
    lua_setfield(L, t, "pcall");
    lua_pushcfunction(L, sb_array);
    lua_setfield(L, t, "array");
    lua_pushlightuserdata(L, NULL);
    lua_setfield(L, t, "null");
    push_guarded_copy(L, g + 1, 1);
    /* String methods ("x"):rep(...) go through the same guarded table. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 2);
    lua_setfield(L, t, "string");
    push_guarded_copy(L, g + 2, 1);
    lua_setfield(L, t, "table");
    push_guarded_copy(L, g + 3, 0);
    lua_setfield(L, t, "math");
    push_guarded_copy(L, g + 4, 1);
    lua_setfield(L, t, "utf8");
    lua_replace(L, g); /* the template takes _G's slot; the library tables go */
    lua_settop(L, g);
}

/* A fresh environment from the template at tidx: library tables are copied, so one chunk cannot
 * change what another sees. */
static void push_env(lua_State *L, int tidx)
{
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, tidx)) {
        if (lua_type(L, -1) == LUA_TTABLE) {
            int src = lua_gettop(L);
            lua_newtable(L);
            lua_pushnil(L);
            while (lua_next(L, src)) {
                lua_pushvalue(L, -2);
                lua_insert(L, -2);
                lua_rawset(L, -4);
            }
            lua_replace(L, src);
        }
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_pushvalue(L, -1);
    lua_setfield(L, -2, "_G");
}

/* Copy the parent's value at pidx into L (plain data only; tables shared in the parent stay
 * shared). memo (in L) maps parent tables to their copies. */
static void copy_in(sb_job *job, lua_State *P, int pidx, lua_State *L, int memo, int depth)
{
    pidx = lua_absindex(P, pidx);
    switch (lua_type(P, pidx)) {
    case LUA_TNIL:
        lua_pushnil(L);
        return;
    case LUA_TBOOLEAN:
        lua_pushboolean(L, lua_toboolean(P, pidx));
        return;
    case LUA_TNUMBER:
        if (lua_isinteger(P, pidx))
            lua_pushinteger(L, lua_tointeger(P, pidx));
        else
            lua_pushnumber(L, lua_tonumber(P, pidx));
        return;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(P, pidx, &len);
        lua_pushlstring(L, s, len);
        return;
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(P, pidx) == NULL) {
            lua_pushlightuserdata(L, NULL);
            return;
        }
        break;
    case LUA_TTABLE: {
        if (depth > job->depth)
            luaL_error(L, "policy input is nested deeper than %d levels", job->depth);
        const void *key = lua_topointer(P, pidx);
        if (lua_rawgetp(L, memo, key) == LUA_TTABLE)
            return;
        lua_pop(L, 1);
        if (!lua_checkstack(P, 4))
            luaL_error(L, "policy input is nested too deep");
        luaL_checkstack(L, 6, "policy input is nested too deep");
        lua_newtable(L);
        lua_pushvalue(L, -1);
        lua_rawsetp(L, memo, key);
        if (lua_getmetatable(P, pidx)) {
            luaL_getmetatable(P, ARRAY_MT);
            if (lua_rawequal(P, -1, -2)) {
                luaL_getmetatable(L, CHILD_ARRAY);
                lua_setmetatable(L, -2);
            }
            lua_pop(P, 2);
        }
        lua_pushnil(P);
        while (lua_next(P, pidx)) {
            copy_in(job, P, -2, L, memo, depth + 1);
            copy_in(job, P, -1, L, memo, depth + 1);
            lua_rawset(L, -3);
            lua_pop(P, 1);
        }
        return;
    }
    default:
        break;
    }
    luaL_error(L, "policy input contains a %s; only plain data may cross", luaL_typename(P, pidx));
}

/* Load chunk c as text with a fresh environment; leaves the function on the stack. */
static void load_chunk(lua_State *L, sb_job *job, sb_chunk *c, int tidx)
{
    if (c->len >= 4 && memcmp(c->text, LUA_SIGNATURE, 4) == 0) {
        job->err_class = 's';
        luaL_error(L,
                   "%s: precompiled (binary) chunks are refused; a policy must be Lua source text",
                   c->path);
    }
    lua_pushfstring(L, "@%s", c->path);
    int rc = luaL_loadbufferx(L, c->text, c->len, lua_tostring(L, -1), "t");
    lua_remove(L, -2);
    lua_Debug ar;
    memset(&ar, 0, sizeof ar);
    if (rc == LUA_OK) {
        lua_pushvalue(L, -1);
        lua_getinfo(L, ">S", &ar);
        c->source = ar.source;
        snprintf(c->short_src, sizeof c->short_src, "%s", ar.short_src);
        push_env(L, tidx);
        if (!lua_setupvalue(L, -2, 1))
            lua_pop(L, 1);
        return;
    }
    if (rc == LUA_ERRMEM) {
        job->oom = 1;
        lua_error(L);
    }
    /* A syntax error reads "<short_src>:<line>: <message>": name the file in full. */
    job->err_class = 's';
    size_t len;
    const char *msg = lua_tolstring(L, -1, &len);
    lua_pushfstring(L, "@%s", c->path);
    luaL_loadbufferx(L, "", 0, lua_tostring(L, -1), "t");
    lua_getinfo(L, ">S", &ar);
    lua_pop(L, 1);
    if (starts_with(msg, len, ar.short_src))
        lua_pushfstring(L, "%s%s", c->path, msg + strlen(ar.short_src));
    else
        lua_pushfstring(L, "%s: %s", c->path, msg);
    lua_error(L);
}

/* Run one loaded function (args below it already pushed) under the message handler; on error
 * remember the class and raise the attributed message again. */
static void run_guarded(lua_State *L, sb_job *job, int nargs, int msgh)
{
    int rc = lua_pcall(L, nargs, 1, msgh);
    if (rc == LUA_OK)
        return;
    if (rc == LUA_ERRMEM)
        job->oom = 1;
    if (!job->err_class)
        job->err_class = 'r';
    lua_error(L);
}

/* Everything the child does inside Lua, protected: build, copy, load, run. Returns the value. */
static int sb_main(lua_State *L)
{
    sb_job *job = lua_touserdata(L, 1);
    lua_settop(L, 0);
    push_template(L);              /* 1 */
    lua_newtable(L);               /* 2: memo for copy_in */
    lua_pushcfunction(L, sb_msgh); /* 3 */
    job->err_class = 'i';
    job->phase = PHASE_INPUT;
    if (job->input_idx)
        copy_in(job, job->parent, job->input_idx, L, 2, 0);
    else
        lua_pushnil(L);
    lua_replace(L, 2); /* the input replaces the memo */
    lua_newtable(L);   /* 4: modules */
    lua_gc(L, LUA_GCCOLLECT);
    job->err_class = 0;
    job->phase = PHASE_RUN;
    /* The input is cx's own data: the memory limit counts what the policy adds to it. */
    job->heap.limit = job->heap.used + job->memory;
    lua_sethook(L, sb_hook, LUA_MASKCOUNT | (job->line_hook ? LUA_MASKLINE : 0), HOOK_STEP);
    for (int i = 0; i < job->nchunks; i++) {
        load_chunk(L, job, &job->chunks[i], 1);
        run_guarded(L, job, 0, 3);
        lua_rawseti(L, 4, i + 1);
    }
    if (!job->has_driver) {
        lua_rawgeti(L, 4, job->nchunks);
        return 1;
    }
    load_chunk(L, job, &job->driver, 1);
    lua_pushvalue(L, 4);
    lua_pushvalue(L, 2);
    lua_createtable(L, 0, 6);
    lua_pushcfunction(L, sb_host_defined);
    lua_setfield(L, -2, "defined");
    lua_pushcfunction(L, sb_host_blame);
    lua_setfield(L, -2, "blame");
    lua_pushcfunction(L, sb_host_invalid);
    lua_setfield(L, -2, "invalid");
    lua_createtable(L, job->nchunks, 0);
    lua_createtable(L, job->nchunks, 0);
    for (int i = 0; i < job->nchunks; i++) {
        lua_pushstring(L, job->chunks[i].path);
        lua_rawseti(L, -3, i + 1);
        lua_pushlstring(L, job->chunks[i].text, job->chunks[i].len);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -3, "texts");
    lua_setfield(L, -2, "paths");
    run_guarded(L, job, 3, 3);
    return 1;
}

/* ---------------------------------------------------------------------------------------------
 * Child: encoding the answer */

typedef struct sb_enc {
    cx_buf out;
    sb_job *job;
    const char *err; /* static text, set on failure */
    char class;
} sb_enc;

static int put(sb_enc *e, const void *p, size_t n)
{
    if (e->out.len + n > e->job->output) {
        e->err = "the policy result is larger than the output limit";
        e->class = 'o';
        return -1;
    }
    if (cx_buf_append(&e->out, p, n) != 0) {
        e->err = "out of memory while sending the policy result";
        e->class = 'm';
        return -1;
    }
    return 0;
}

static int put_tag_u32(sb_enc *e, char tag, uint32_t n)
{
    return put(e, &tag, 1) || put(e, &n, sizeof n) ? -1 : 0;
}

static int encode(sb_enc *e, lua_State *L, int idx, int depth);

static int encode_table(sb_enc *e, lua_State *L, int idx, int depth)
{
    if (depth > e->job->depth) {
        e->err = "the policy result is nested too deep";
        e->class = 'o';
        return -1;
    }
    if (!lua_checkstack(L, 4)) {
        e->err = "the policy result is nested too deep";
        e->class = 'o';
        return -1;
    }
    int marked = 0;
    if (lua_getmetatable(L, idx)) {
        luaL_getmetatable(L, CHILD_ARRAY);
        marked = lua_rawequal(L, -1, -2);
        lua_pop(L, 2);
    }
    lua_Integer count = 0, max = 0;
    int sequence = 1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        count++;
        if (lua_isinteger(L, -2) && lua_tointeger(L, -2) >= 1) {
            if (lua_tointeger(L, -2) > max)
                max = lua_tointeger(L, -2);
        } else {
            sequence = 0;
        }
        lua_pop(L, 1);
    }
    if (count > (lua_Integer)UINT32_MAX) {
        e->err = "a table in the policy result is too large";
        e->class = 'o';
        return -1;
    }
    if (marked || (sequence && count > 0 && max == count)) {
        lua_Integer n = marked ? (lua_Integer)lua_rawlen(L, idx) : count;
        if (put_tag_u32(e, 'a', (uint32_t)n))
            return -1;
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, idx, i);
            int rc = encode(e, L, lua_gettop(L), depth + 1);
            lua_pop(L, 1);
            if (rc)
                return -1;
        }
        return 0;
    }
    if (put_tag_u32(e, 'o', (uint32_t)count))
        return -1;
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        int kt = lua_type(L, -2);
        if (kt != LUA_TSTRING && kt != LUA_TNUMBER) {
            e->err = "the policy result has a table key that is not a string or a number";
            e->class = 'i';
            lua_pop(L, 2);
            return -1;
        }
        if (encode(e, L, lua_gettop(L) - 1, depth + 1) || encode(e, L, lua_gettop(L), depth + 1)) {
            lua_pop(L, 2);
            return -1;
        }
        lua_pop(L, 1);
    }
    return 0;
}

static int encode(sb_enc *e, lua_State *L, int idx, int depth)
{
    switch (lua_type(L, idx)) {
    case LUA_TNIL:
        return put(e, "n", 1);
    case LUA_TBOOLEAN:
        return put(e, lua_toboolean(L, idx) ? "t" : "f", 1);
    case LUA_TNUMBER:
        if (lua_isinteger(L, idx)) {
            int64_t v = (int64_t)lua_tointeger(L, idx);
            return put(e, "i", 1) || put(e, &v, sizeof v) ? -1 : 0;
        } else {
            double v = (double)lua_tonumber(L, idx);
            return put(e, "d", 1) || put(e, &v, sizeof v) ? -1 : 0;
        }
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(L, idx, &len);
        if (len > UINT32_MAX || put_tag_u32(e, 's', (uint32_t)len))
            return -1;
        return put(e, s, len);
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(L, idx) == NULL)
            return put(e, "z", 1);
        break;
    case LUA_TTABLE:
        return encode_table(e, L, idx, depth);
    default:
        break;
    }
    e->class = 'i';
    switch (lua_type(L, idx)) {
    case LUA_TFUNCTION:
        e->err = "the policy result contains a function; only plain data may cross";
        break;
    case LUA_TTHREAD:
        e->err = "the policy result contains a coroutine; only plain data may cross";
        break;
    default:
        e->err = "the policy result contains a userdata value; only plain data may cross";
    }
    return -1;
}

/* Write 'E' class message (cleaned and bounded) to the answer pipe. */
static int answer_error(sb_job *job, char class, const char *msg, size_t len)
{
    char clean[4096];
    size_t max = job->message < sizeof clean ? job->message : sizeof clean;
    size_t n = cx_sandbox_clean_message(msg, len, clean, max < 16 ? 16 : max);
    uint32_t n32 = (uint32_t)n;
    char head[2] = {'E', class};
    if (cx_sandbox_write_all(job->fd, head, 2) || cx_sandbox_write_all(job->fd, &n32, sizeof n32) ||
        cx_sandbox_write_all(job->fd, clean, n))
        return 1;
    return 0;
}

static int answer_stop_memory(sb_job *job)
{
    char where[WHERE_MAX], msg[MSG_MAX];
    position(job, job->progress->chunk ? job->progress->chunk : 1, job->progress->line, where,
             sizeof where);
    snprintf(msg, sizeof msg, "%spolicy stopped: it used more than %zu MB of memory", where,
             job->memory >> 20);
    if (job->input_idx)
        snprintf(msg + strlen(msg), sizeof msg - strlen(msg), " beyond its input");
    return answer_error(job, 'm', msg, strlen(msg));
}

static int child_main(void *arg, int fd, cx_sandbox_progress *progress)
{
    sb_job *job = arg;
    job->fd = fd;
    job->progress = progress;
    job->heap.limit = 0; /* until the input is in (sb_main) */
    job->blame_chunk = job->nchunks;
    lua_State *L = lua_newstate(cx_sandbox_alloc, &job->heap);
    if (!L)
        return answer_stop_memory(job);
    job->state = L;
    *(sb_job **)lua_getextraspace(L) = job;
    lua_pushcfunction(L, sb_main);
    lua_pushlightuserdata(L, job);
    int rc = lua_pcall(L, 1, 1, 0);
    lua_sethook(L, NULL, 0, 0);
    if (rc == LUA_ERRMEM || job->oom) {
        if (job->phase == PHASE_RUN)
            return answer_stop_memory(job);
        char where[WHERE_MAX], msg[MSG_MAX];
        position(job, 1, 0, where, sizeof where);
        snprintf(msg, sizeof msg, "%spolicy input does not fit in the %zu MB memory limit", where,
                 job->memory >> 20);
        return answer_error(job, 'm', msg, strlen(msg));
    }
    if (rc != LUA_OK) {
        size_t len = 0;
        const char *msg = lua_tolstring(L, -1, &len);
        if (!msg) {
            msg = "policy failed with an error that is not a string";
            len = strlen(msg);
        }
        char class = job->stopped ? 't' : job->err_class ? job->err_class : 'r';
        return answer_error(job, class, msg, len);
    }
    sb_enc e = {.job = job};
    cx_buf_init(&e.out);
    int bad = put(&e, "R", 1) || encode(&e, L, lua_gettop(L), 0);
    if (bad) {
        cx_buf_free(&e.out);
        char where[WHERE_MAX], msg[MSG_MAX];
        position(job, job->blame_chunk, job->blame_line, where, sizeof where);
        snprintf(msg, sizeof msg, "%s%s", where, e.err);
        return answer_error(job, e.class, msg, strlen(msg));
    }
    int wrc = cx_sandbox_write_all(fd, e.out.data, e.out.len);
    cx_buf_free(&e.out);
    return wrc ? 1 : 0;
}

/* ---------------------------------------------------------------------------------------------
 * Parent: reading the answer */

typedef struct sb_dec {
    const char *p, *end;
} sb_dec;

static int take(sb_dec *d, void *out, size_t n)
{
    if ((size_t)(d->end - d->p) < n)
        return -1;
    memcpy(out, d->p, n);
    d->p += n;
    return 0;
}

static int decode(lua_State *L, sb_dec *d, int depth)
{
    char tag;
    if (depth > 10000 || take(d, &tag, 1) || !lua_checkstack(L, 4))
        return -1;
    switch (tag) {
    case 'n':
        lua_pushnil(L);
        return 0;
    case 'z':
        lua_pushlightuserdata(L, NULL);
        return 0;
    case 't':
    case 'f':
        lua_pushboolean(L, tag == 't');
        return 0;
    case 'i': {
        int64_t v;
        if (take(d, &v, sizeof v))
            return -1;
        lua_pushinteger(L, (lua_Integer)v);
        return 0;
    }
    case 'd': {
        double v;
        if (take(d, &v, sizeof v))
            return -1;
        lua_pushnumber(L, (lua_Number)v);
        return 0;
    }
    case 's': {
        uint32_t n;
        if (take(d, &n, sizeof n) || (size_t)(d->end - d->p) < n)
            return -1;
        lua_pushlstring(L, d->p, n);
        d->p += n;
        return 0;
    }
    case 'a':
    case 'o': {
        uint32_t n;
        if (take(d, &n, sizeof n) || n > (size_t)(d->end - d->p))
            return -1;
        lua_createtable(L, tag == 'a' ? (int)n : 0, tag == 'o' ? (int)n : 0);
        for (uint32_t i = 0; i < n; i++) {
            if (tag == 'a') {
                if (decode(L, d, depth + 1))
                    return -1;
                lua_rawseti(L, -2, (lua_Integer)i + 1);
            } else {
                if (decode(L, d, depth + 1) || decode(L, d, depth + 1))
                    return -1;
                if (lua_isnil(L, -2)) {
                    lua_pop(L, 2);
                    return -1;
                }
                lua_rawset(L, -3);
            }
        }
        if (tag == 'a') {
            luaL_getmetatable(L, ARRAY_MT);
            lua_setmetatable(L, -2);
        }
        return 0;
    }
    default:
        return -1;
    }
}

static const char *class_name(char c)
{
    switch (c) {
    case 's':
        return "syntax";
    case 't':
        return "timeout";
    case 'm':
        return "memory";
    case 'o':
        return "output";
    case 'i':
        return "invalid";
    default:
        return "runtime";
    }
}

static int push_fail(lua_State *L, sb_job *job, const char *class, const char *msg)
{
    char clean[4096];
    size_t max = job->message < sizeof clean ? job->message : sizeof clean;
    size_t n = cx_sandbox_clean_message(msg, strlen(msg), clean, max < 16 ? 16 : max);
    lua_pushnil(L);
    lua_pushlstring(L, clean, n);
    lua_pushstring(L, class);
    return 3;
}

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGINT:
        return "SIGINT";
    case SIGTERM:
        return "SIGTERM";
    case SIGHUP:
        return "SIGHUP";
    case SIGSEGV:
        return "SIGSEGV";
    case SIGABRT:
        return "SIGABRT";
    case SIGBUS:
        return "SIGBUS";
    case SIGKILL:
        return "SIGKILL";
    default:
        return "a signal";
    }
}

static int push_outcome(lua_State *L, sb_job *job, cx_sandbox_outcome *out)
{
    char where[WHERE_MAX], msg[MSG_MAX];
    position(job, out->progress.chunk ? out->progress.chunk : (job->nchunks ? 1 : 0),
             out->progress.line, where, sizeof where);
    switch (out->status) {
    case CX_SANDBOX_TIMEOUT:
        snprintf(msg, sizeof msg, "%spolicy stopped: it ran longer than %d ms", where,
                 job->wall_ms);
        return push_fail(L, job, "timeout", msg);
    case CX_SANDBOX_CPU:
        snprintf(msg, sizeof msg, "%spolicy stopped: it used more than %d s of CPU time", where,
                 job->cpu_s);
        return push_fail(L, job, "timeout", msg);
    case CX_SANDBOX_OUTPUT:
        snprintf(msg, sizeof msg, "%spolicy stopped: its answer exceeded %zu bytes", where,
                 job->output);
        return push_fail(L, job, "output", msg);
    case CX_SANDBOX_SIGNALED: {
        int interrupted = out->signo == SIGINT || out->signo == SIGTERM || out->signo == SIGHUP;
        snprintf(msg, sizeof msg, "%spolicy %s by %s (signal %d)", where,
                 interrupted ? "interrupted" : "process died", signal_name(out->signo), out->signo);
        return push_fail(L, job, interrupted ? "interrupted" : "runtime", msg);
    }
    default:
        break;
    }
    sb_dec d = {out->data, out->data + out->len};
    char tag = 0;
    if (take(&d, &tag, 1) == 0 && tag == 'E') {
        char class;
        uint32_t n;
        if (take(&d, &class, 1) == 0 && take(&d, &n, sizeof n) == 0 && n <= (size_t)(d.end - d.p)) {
            lua_pushnil(L);
            lua_pushlstring(L, d.p, n);
            lua_pushstring(L, class_name(class));
            return 3;
        }
    } else if (tag == 'R') {
        int top = lua_gettop(L);
        if (decode(L, &d, 0) == 0 && d.p == d.end) {
            if (!lua_isnil(L, -1))
                return 1;
            position(job, job->nchunks, 0, where, sizeof where);
            snprintf(msg, sizeof msg, "%sthe policy returned nothing", where);
            lua_settop(L, top);
            return push_fail(L, job, "invalid", msg);
        }
        lua_settop(L, top);
    }
    snprintf(msg, sizeof msg, "%spolicy process ended without an answer (exit %d)", where,
             out->exit_code);
    return push_fail(L, job, "runtime", msg);
}

static lua_Integer limit_of(lua_State *L, int limits, const char *key, lua_Integer dflt,
                            lua_Integer lo, lua_Integer hi)
{
    if (!limits)
        return dflt;
    lua_getfield(L, limits, key);
    lua_Integer v = lua_isnil(L, -1) ? dflt : luaL_checkinteger(L, -1);
    lua_pop(L, 1);
    if (v < lo || v > hi)
        luaL_error(L, "sandbox.run: limits.%s must be between %I and %I", key, lo, hi);
    return v;
}

static void chunk_of_table(lua_State *L, int idx, sb_chunk *c, const char *what)
{
    luaL_checkstack(L, 4, NULL);
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE)
        luaL_error(L, "sandbox.run: %s must be a table {path=, text=}", what);
    lua_getfield(L, idx, "path");
    lua_getfield(L, idx, "text");
    if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
        luaL_error(L, "sandbox.run: %s needs string path and text", what);
    c->path = lua_tostring(L, -2);
    c->text = lua_tolstring(L, -1, &c->len);
    /* The strings stay referenced by the spec table, which stays on the stack. */
    lua_pop(L, 2);
}

static int l_run(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 1);
    sb_job job;
    memset(&job, 0, sizeof job);
    job.parent = L;
    lua_getfield(L, 1, "chunks"); /* 2 */
    luaL_argcheck(L, lua_istable(L, 2), 1, "spec.chunks must be a list");
    job.nchunks = (int)lua_rawlen(L, 2);
    luaL_argcheck(L, job.nchunks <= MAX_CHUNKS, 1, "too many chunks");
    for (int i = 0; i < job.nchunks; i++) {
        lua_rawgeti(L, 2, i + 1);
        chunk_of_table(L, -1, &job.chunks[i], "a chunk");
        lua_pop(L, 1);
    }
    lua_getfield(L, 1, "driver"); /* 3 */
    if (!lua_isnil(L, 3)) {
        chunk_of_table(L, 3, &job.driver, "spec.driver");
        job.has_driver = 1;
    }
    luaL_argcheck(L, job.nchunks > 0 || job.has_driver, 1, "nothing to run");
    lua_getfield(L, 1, "input"); /* 4 */
    job.input_idx = lua_isnil(L, 4) ? 0 : 4;
    lua_getfield(L, 1, "limits"); /* 5 */
    int limits = lua_istable(L, 5) ? 5 : 0;
    job.memory = (size_t)limit_of(L, limits, "memory", 64LL << 20, 1 << 20, 1LL << 40);
    job.instructions = limit_of(L, limits, "instructions", 100000000, 1000, LLONG_MAX / 2);
    job.wall_ms = (int)limit_of(L, limits, "wall_ms", 2000, 1, 24 * 3600 * 1000);
    job.cpu_s = (int)limit_of(L, limits, "cpu_s", job.wall_ms / 1000 + 1, 1, 24 * 3600);
    job.output = (size_t)limit_of(L, limits, "output", 16 << 20, 64, 1LL << 32);
    job.depth = (int)limit_of(L, limits, "depth", 100, 1, 1000);
    job.message = (size_t)limit_of(L, limits, "message", 300, 32, 4096);
    cx_sandbox_limits lim = {
        .wall_ms = job.wall_ms, .cpu_s = job.cpu_s, .output_max = job.output + 4096};
    cx_sandbox_outcome out;
    char err[256];
    if (cx_sandbox_run(&lim, child_main, &job, &out, err, sizeof err) != 0) {
        cx_sandbox_outcome_free(&out);
        return push_fail(L, &job, "runtime", err);
    }
    /* Memory ran out in plain Lua code before any line was seen (no hook had fired yet, no
     * library call): run once more marking every line, which names the line that did it. */
    if (out.status == CX_SANDBOX_EXITED && out.len >= 2 && out.data[0] == 'E' &&
        out.data[1] == 'm' && out.progress.line == 0 && job.nchunks > 0) {
        cx_sandbox_outcome again;
        job.line_hook = 1;
        if (cx_sandbox_run(&lim, child_main, &job, &again, err, sizeof err) == 0 &&
            again.status == CX_SANDBOX_EXITED && again.len >= 2 && again.data[0] == 'E' &&
            again.data[1] == 'm') {
            cx_sandbox_outcome_free(&out);
            out = again;
        } else {
            cx_sandbox_outcome_free(&again);
        }
    }
    /* Only a Lua memory error while decoding could skip this free; that ends the command anyway. */
    int n = push_outcome(L, &job, &out);
    cx_sandbox_outcome_free(&out);
    return n;
}

int cx_lua_open_sandbox(lua_State *L)
{
    static const luaL_Reg fns[] = {{"run", l_run}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
