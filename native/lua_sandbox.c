/* Lua binding: evaluate untrusted policy code in a fresh, limited Lua state, as
 * `require("cx.core").sandbox` (the mechanics are in native/sandbox.c).
 *
 *   sandbox.run{ chunks = { {path=, text=}, ... }, driver = {path=, text=} | nil,
 *                input = <plain data>, limits = {...} }  -> value | nil, message, class
 *
 * A new lua_State over the byte-capped allocator gets only base (whitelisted), string (without
 * dump), table, math and utf8; `input` is copied into it; every chunk is loaded as text with an
 * environment of its own and run; then the trusted driver runs as driver(modules, input, host)
 * (without a driver the value is the last chunk's). The value comes back into the caller's state
 * as plain data: integers stay integers, arrays stay arrays (json.array), JSON null stays
 * json.null. The sandbox state is closed (or, after a jump out of a runaway match, freed whole).
 *
 * The driver's host table: paths and texts of the chunks; defined(f) -> chunk index (0 when f is
 * not policy code), line where f is defined; blame(chunk, line) names the policy an unsendable
 * result is blamed on; invalid(message) fails with class "invalid".
 *
 * Limits (all optional): memory (bytes of Lua heap beyond the input), instructions (VM
 * instructions, counted by a hook), wall_ms (the deadline, also inside a pattern match), output
 * (bytes of the result: strings plus 16 per value), depth (nesting of input and result), message
 * (bytes of an error message).
 *
 * Errors are "<policy path>:<line>: <message>", one line, control characters escaped, at most
 * limits.message bytes. Classes: syntax, runtime, timeout, memory, output, invalid. */
#include "lua_bindings.h"
#include "sandbox.h"

#include <lauxlib.h>
#include <limits.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define MAX_CHUNKS 32
#define ARRAY_MT "cx.json.array"         /* the caller's array mark (lua_json.c) */
#define SANDBOX_ARRAY "cx.sandbox.array" /* the sandbox's: a metatable policies cannot reach */
#define HOOK_STEP 1000
#define WHERE_MAX (PATH_MAX + 32) /* "<path>:<line>: " */
#define MSG_MAX (WHERE_MAX + 512)
#define MOVE_MAX (1 << 24) /* table.move ranges (moving nils allocates nothing, so cap it) */
#define SORT_MAX (1 << 20) /* table.sort lengths (it runs in C without the hook) */

enum { STOP_NONE, STOP_BUDGET, STOP_DEADLINE };
enum { PHASE_BUILD, PHASE_INPUT, PHASE_RUN };

typedef struct sb_chunk {
    const char *path;
    const char *text;
    size_t len;
    const char *source;         /* ar.source shared by every function of this chunk */
    char short_src[LUA_IDSIZE]; /* how Lua abbreviates its name in messages */
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
    int depth, wall_ms;
    /* the evaluation */
    cx_sandbox_heap heap;
    cx_sandbox_guard guard;
    long long used;
    int stopped, oom;
    int line_hook; /* also mark every new line (the re-run that finds where memory ran out) */
    int phase;     /* what the evaluation was doing: PHASE_* */
    char err_class;
    char stop_msg[MSG_MAX];
    int mark_chunk, mark_line; /* the last policy position seen (1-based chunk; 0 = none) */
    int blame_chunk, blame_line;
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
        job->mark_chunk = c;
        job->mark_line = line > 0 ? line : 0;
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
 * Hook, message handler, guarded library functions */

static void sb_hook(lua_State *L, lua_Debug *ar);

/* Stop the policy: from now on every instruction raises the same error, so no pcall of the
 * policy can go on. */
static void stop(lua_State *L, sb_job *job, int why, const char *what)
{
    char where[WHERE_MAX];
    position(job, job->mark_chunk, job->mark_line, where, sizeof where);
    snprintf(job->stop_msg, sizeof job->stop_msg, "%spolicy stopped: %s", where, what);
    job->stopped = why;
    lua_sethook(L, sb_hook, LUA_MASKCOUNT, 1);
    lua_pushstring(L, job->stop_msg);
    lua_error(L);
}

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
    char what[160];
    if (job->guard.expired) {
        snprintf(what, sizeof what, "it ran longer than %d ms", job->wall_ms);
        stop(L, job, STOP_DEADLINE, what);
    }
    if (job->used > job->instructions) {
        snprintf(what, sizeof what, "it exceeded its budget of %lld instructions",
                 job->instructions);
        stop(L, job, STOP_BUDGET, what);
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
        c = job->mark_chunk ? job->mark_chunk : 1;
        line = job->mark_chunk ? job->mark_line : 0;
    }
    char where[WHERE_MAX];
    position(job, c, line, where, sizeof where);
    lua_pushstring(L, where);
    lua_pushlstring(L, rest, len);
    lua_concat(L, 2);
    return 1;
}

/* Note the calling line, so a call that runs away or exhausts memory inside C is blamed on it. */
static void mark_caller(lua_State *L, sb_job *job)
{
    lua_Debug ar;
    if (lua_getstack(L, 1, &ar) && lua_getinfo(L, "Sl", &ar))
        mark(job, ar.source, ar.currentline);
}

/* Call upvalue 1 with this call's arguments, the deadline guard's abortable flag set to
 * `abortable` for the duration (sandbox.h). The call is protected so the flag is restored whatever
 * happens in it: an error (a malformed pattern) goes on as it came, once the region is closed. */
static int call_with_abortable(lua_State *L, int abortable)
{
    sb_job *job = job_of(L);
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    int was = job->guard.abortable;
    job->guard.abortable = abortable;
    int rc = lua_pcall(L, n, LUA_MULTRET, 0);
    job->guard.abortable = was;
    if (rc != LUA_OK) {
        if (rc == LUA_ERRMEM)
            job->oom = 1;
        return lua_error(L);
    }
    return lua_gettop(L);
}

/* A guarded library function: note the caller's line, then call it. abortable: a pattern
 * matcher, which the deadline may abandon mid-way. */
static int call_original(lua_State *L, int abortable)
{
    sb_job *job = job_of(L);
    mark_caller(L, job);
    return call_with_abortable(L, abortable || job->guard.abortable);
}

/* A library function behind a guard. */
static int sb_guarded(lua_State *L)
{
    return call_original(L, 0);
}

/* string.find, string.match: their matching may backtrack catastrophically. */
static int sb_matcher(lua_State *L)
{
    return call_original(L, 1);
}

/* string.gmatch: its iterator does the matching, so the iterator is a matcher too. */
static int sb_gmatch(lua_State *L)
{
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, 1);
    lua_pushcclosure(L, sb_matcher, 1);
    return 1;
}

/* A Lua replacement function of gsub runs as ordinary policy code, not as part of the match. */
static int sb_gsub_callback(lua_State *L)
{
    return call_with_abortable(L, 0);
}

static int sb_gsub(lua_State *L)
{
    if (lua_type(L, 3) == LUA_TFUNCTION) {
        lua_pushvalue(L, 3);
        lua_pushcclosure(L, sb_gsub_callback, 1);
        lua_replace(L, 3);
    }
    return call_original(L, 1);
}

/* string.rep of empty strings loops n times copying nothing: answer it here. */
static int sb_rep(lua_State *L)
{
    size_t l = 0, lsep = 0;
    luaL_checklstring(L, 1, &l);
    luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    return call_original(L, 0);
}

/* table.move over a huge range of absent values allocates nothing and never ends: cap it. */
static int sb_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);
    if (e >= f && (lua_Unsigned)e - (lua_Unsigned)f >= MOVE_MAX)
        return luaL_error(L, "table.move range too large for a policy (at most %d elements)",
                          MOVE_MAX);
    return call_original(L, 0);
}

/* table.sort runs in C: bound its length. */
static int sb_sort(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    if (luaL_len(L, 1) > SORT_MAX)
        return luaL_error(L, "table too long to sort in a policy (at most %d elements)", SORT_MAX);
    return call_original(L, 0);
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
    luaL_getmetatable(L, SANDBOX_ARRAY);
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
 * Building the state */

static const char *const BASE_NAMES[] = {"assert", "error",    "ipairs",   "next",
                                         "pairs",  "select",   "tonumber", "tostring",
                                         "type",   "rawequal", "rawlen",   NULL};

/* The guard of library function `name` (string, table and utf8 functions; math needs none). */
static lua_CFunction guard_of(const char *lib, const char *name)
{
    if (strcmp(lib, "string") == 0) {
        if (strcmp(name, "find") == 0 || strcmp(name, "match") == 0)
            return sb_matcher;
        if (strcmp(name, "gmatch") == 0)
            return sb_gmatch;
        if (strcmp(name, "gsub") == 0)
            return sb_gsub;
        if (strcmp(name, "rep") == 0)
            return sb_rep;
    } else if (strcmp(lib, "table") == 0) {
        if (strcmp(name, "move") == 0)
            return sb_move;
        if (strcmp(name, "sort") == 0)
            return sb_sort;
    }
    return sb_guarded;
}

/* A copy of library table at idx with every C function behind its guard (lib NULL: unguarded). */
static void push_guarded_copy(lua_State *L, int idx, const char *lib)
{
    idx = lua_absindex(L, idx);
    lua_newtable(L);
    lua_pushnil(L);
    while (lua_next(L, idx)) {
        const char *name = lua_type(L, -2) == LUA_TSTRING ? lua_tostring(L, -2) : "";
        if (strcmp(name, "dump") == 0) {
            lua_pop(L, 1);
            continue;
        }
        if (lib && lua_iscfunction(L, -1))
            lua_pushcclosure(L, guard_of(lib, name), 1);
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
    luaL_newmetatable(L, SANDBOX_ARRAY);
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
    push_guarded_copy(L, g + 1, "string");
    /* String methods ("x"):rep(...) go through the same guarded table. */
    lua_pushliteral(L, "");
    lua_getmetatable(L, -1);
    lua_pushvalue(L, -3);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 2);
    lua_setfield(L, t, "string");
    push_guarded_copy(L, g + 2, "table");
    lua_setfield(L, t, "table");
    push_guarded_copy(L, g + 3, NULL);
    lua_setfield(L, t, "math");
    push_guarded_copy(L, g + 4, "utf8");
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
                luaL_getmetatable(L, SANDBOX_ARRAY);
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

/* Everything the evaluation does inside Lua, protected: build, copy, load, run. Returns the
 * value. */
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
 * The result: copied from the sandbox state into the caller's */

typedef struct sb_out {
    sb_job *job;
    lua_State *S; /* the sandbox state, its value at the top */
    size_t budget;
    const char *err; /* static text, set on failure */
    char class;
} sb_out;

static int copy_out(sb_out *o, int sidx, lua_State *P, int depth);

static int out_fail(sb_out *o, char class, const char *err)
{
    o->class = class;
    o->err = err;
    return -1;
}

static int spend(sb_out *o, size_t n)
{
    if (n > o->budget)
        return out_fail(o, 'o', "the policy result is larger than the output limit");
    o->budget -= n;
    return 0;
}

static int copy_table(sb_out *o, int sidx, lua_State *P, int depth)
{
    lua_State *S = o->S;
    if (depth > o->job->depth || !lua_checkstack(S, 4) || !lua_checkstack(P, 4))
        return out_fail(o, 'o', "the policy result is nested too deep");
    int marked = 0;
    if (lua_getmetatable(S, sidx)) {
        luaL_getmetatable(S, SANDBOX_ARRAY);
        marked = lua_rawequal(S, -1, -2);
        lua_pop(S, 2);
    }
    lua_Integer count = 0, max = 0;
    int sequence = 1;
    lua_pushnil(S);
    while (lua_next(S, sidx)) {
        count++;
        if (lua_isinteger(S, -2) && lua_tointeger(S, -2) >= 1) {
            if (lua_tointeger(S, -2) > max)
                max = lua_tointeger(S, -2);
        } else {
            sequence = 0;
        }
        lua_pop(S, 1);
    }
    if (spend(o, 16 * (size_t)count + 16))
        return -1;
    int array = marked || (sequence && count > 0 && max == count);
    if (array) {
        lua_Integer n = marked ? (lua_Integer)lua_rawlen(S, sidx) : count;
        lua_createtable(P, n > INT_MAX ? 0 : (int)n, 0);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(S, sidx, i);
            int rc = copy_out(o, lua_gettop(S), P, depth + 1);
            lua_pop(S, 1);
            if (rc)
                return -1;
            lua_rawseti(P, -2, i);
        }
        luaL_getmetatable(P, ARRAY_MT);
        lua_setmetatable(P, -2);
        return 0;
    }
    lua_createtable(P, 0, count > INT_MAX ? 0 : (int)count);
    lua_pushnil(S);
    while (lua_next(S, sidx)) {
        int kt = lua_type(S, -2);
        if (kt != LUA_TSTRING && kt != LUA_TNUMBER) {
            lua_pop(S, 2);
            return out_fail(o, 'i',
                            "the policy result has a table key that is not a string or a number");
        }
        if (copy_out(o, lua_gettop(S) - 1, P, depth + 1)) {
            lua_pop(S, 2);
            return -1;
        }
        if (copy_out(o, lua_gettop(S), P, depth + 1)) {
            lua_pop(S, 2);
            return -1;
        }
        lua_rawset(P, -3);
        lua_pop(S, 1);
    }
    return 0;
}

/* Push onto P a copy of S's value at sidx; -1 (o->err set, P's stack as the caller left it
 * plus partial values the caller drops) when it is not plain data or too big or too deep. */
static int copy_out(sb_out *o, int sidx, lua_State *P, int depth)
{
    lua_State *S = o->S;
    if (spend(o, 16))
        return -1;
    switch (lua_type(S, sidx)) {
    case LUA_TNIL:
        lua_pushnil(P);
        return 0;
    case LUA_TBOOLEAN:
        lua_pushboolean(P, lua_toboolean(S, sidx));
        return 0;
    case LUA_TNUMBER:
        if (lua_isinteger(S, sidx))
            lua_pushinteger(P, lua_tointeger(S, sidx));
        else
            lua_pushnumber(P, lua_tonumber(S, sidx));
        return 0;
    case LUA_TSTRING: {
        size_t len;
        const char *s = lua_tolstring(S, sidx, &len);
        if (spend(o, len))
            return -1;
        lua_pushlstring(P, s, len);
        return 0;
    }
    case LUA_TLIGHTUSERDATA:
        if (lua_touserdata(S, sidx) == NULL) {
            lua_pushlightuserdata(P, NULL);
            return 0;
        }
        break;
    case LUA_TTABLE:
        return copy_table(o, lua_absindex(S, sidx), P, depth);
    case LUA_TFUNCTION:
        return out_fail(o, 'i', "the policy result contains a function; only plain data may cross");
    default:
        break;
    }
    return out_fail(o, 'i',
                    "the policy result contains a userdata value; only plain data may cross");
}

/* Protected: copy the value at the top of o->S into the caller's state (its own memory errors are
 * caught by the lua_pcall around this). Leaves the copy, or nothing when o->err is set. */
static int copy_out_protected(lua_State *P)
{
    sb_out *o = lua_touserdata(P, 1);
    lua_settop(P, 0);
    if (copy_out(o, lua_gettop(o->S), P, 0)) {
        lua_settop(P, 0);
        return 0;
    }
    return 1;
}

/* ---------------------------------------------------------------------------------------------
 * One evaluation */

static int push_fail(lua_State *L, sb_job *job, const char *class, const char *msg, size_t len)
{
    char clean[4096];
    size_t max = job->message < sizeof clean ? job->message : sizeof clean;
    size_t n = cx_sandbox_clean_message(msg, len, clean, max < 16 ? 16 : max);
    lua_pushnil(L);
    lua_pushlstring(L, clean, n);
    lua_pushstring(L, class);
    return 3;
}

static int push_failf(lua_State *L, sb_job *job, const char *class, int chunk, int line,
                      const char *what)
{
    char where[WHERE_MAX], msg[MSG_MAX];
    position(job, chunk, line, where, sizeof where);
    snprintf(msg, sizeof msg, "%s%s", where, what);
    return push_fail(L, job, class, msg, strlen(msg));
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

/* The failure of a pcall on the sandbox state (its message at the top). */
static int push_run_failure(lua_State *P, sb_job *job, lua_State *S, int rc)
{
    char what[160];
    if (rc == LUA_ERRMEM || job->oom) {
        if (job->phase != PHASE_RUN) {
            snprintf(what, sizeof what, "policy input does not fit in the %zu MB memory limit",
                     job->memory >> 20);
            return push_failf(P, job, "memory", 1, 0, what);
        }
        snprintf(what, sizeof what, "policy stopped: it used more than %zu MB of memory%s",
                 job->memory >> 20, job->input_idx ? " beyond its input" : "");
        return push_failf(P, job, "memory", job->mark_chunk ? job->mark_chunk : 1, job->mark_line,
                          what);
    }
    size_t len = 0;
    const char *msg = lua_tolstring(S, -1, &len);
    if (!msg) {
        msg = "policy failed with an error that is not a string";
        len = strlen(msg);
    }
    char class = job->stopped ? 't' : job->err_class ? job->err_class : 'r';
    return push_fail(P, job, class_name(class), msg, len);
}

/* Run the job once in a fresh state; pushes the result or nil, message, class. */
static int evaluate(lua_State *P, sb_job *job, int *memory_without_line)
{
    char err[256];
    *memory_without_line = 0;
    memset(&job->heap, 0, sizeof job->heap);
    job->heap.guard = &job->guard;
    job->used = 0;
    job->stopped = job->oom = 0;
    job->err_class = 0;
    job->phase = PHASE_BUILD;
    job->mark_chunk = job->mark_line = 0;
    job->blame_chunk = job->nchunks;
    job->blame_line = 0;
    int top = lua_gettop(P);
    lua_State *S = lua_newstate(cx_sandbox_alloc, &job->heap);
    if (!S)
        return push_failf(P, job, "memory", 1, 0, "policy stopped: no memory for its Lua state");
    *(sb_job **)lua_getextraspace(S) = job;
    if (cx_sandbox_guard_arm(&job->guard, job->wall_ms, err, sizeof err) != 0) {
        lua_close(S);
        cx_sandbox_heap_free_all(&job->heap);
        return push_fail(P, job, "runtime", err, strlen(err));
    }
    /* A deadline inside a runaway pattern match lands here: the state is abandoned mid-operation
     * and freed whole, none of its code runs again. */
    if (sigsetjmp(job->guard.checkpoint, 1) != 0) {
        cx_sandbox_guard_disarm(&job->guard);
        cx_sandbox_heap_free_all(&job->heap);
        lua_settop(P, top);
        char what[80];
        snprintf(what, sizeof what, "policy stopped: it ran longer than %d ms", job->wall_ms);
        return push_failf(P, job, "timeout", job->mark_chunk ? job->mark_chunk : 1, job->mark_line,
                          what);
    }
    lua_pushcfunction(S, sb_main);
    lua_pushlightuserdata(S, job);
    int rc = lua_pcall(S, 1, 1, 0);
    cx_sandbox_guard_disarm(&job->guard);
    lua_sethook(S, NULL, 0, 0);
    int n;
    if (rc != LUA_OK || job->oom) {
        *memory_without_line = (rc == LUA_ERRMEM || job->oom) && job->phase == PHASE_RUN &&
                               job->mark_line == 0 && job->nchunks > 0;
        n = push_run_failure(P, job, S, rc);
    } else {
        sb_out o = {.job = job, .S = S, .budget = job->output};
        lua_pushcfunction(P, copy_out_protected);
        lua_pushlightuserdata(P, &o);
        int prc = lua_pcall(P, 1, 1, 0);
        if (prc != LUA_OK) {
            size_t len = 0;
            const char *m = lua_tolstring(P, -1, &len);
            lua_pop(P, 1);
            n = push_fail(P, job, "runtime", m ? m : "cannot copy the policy result", len);
        } else if (o.err) {
            lua_pop(P, 1);
            n = push_failf(P, job, class_name(o.class), job->blame_chunk, job->blame_line, o.err);
        } else if (lua_isnil(P, -1)) {
            lua_pop(P, 1);
            n = push_failf(P, job, "invalid", job->nchunks, 0, "the policy returned nothing");
        } else {
            n = 1;
        }
    }
    lua_close(S);
    cx_sandbox_heap_free_all(&job->heap); /* nothing is left after lua_close; this is a backstop */
    return n;
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
    sb_job *job = lua_newuserdatauv(L, sizeof *job, 0); /* 2: lives as long as the call */
    memset(job, 0, sizeof *job);
    job->parent = L;
    lua_getfield(L, 1, "chunks"); /* 3 */
    luaL_argcheck(L, lua_istable(L, 3), 1, "spec.chunks must be a list");
    job->nchunks = (int)lua_rawlen(L, 3);
    luaL_argcheck(L, job->nchunks <= MAX_CHUNKS, 1, "too many chunks");
    for (int i = 0; i < job->nchunks; i++) {
        lua_rawgeti(L, 3, i + 1);
        chunk_of_table(L, -1, &job->chunks[i], "a chunk");
        lua_pop(L, 1);
    }
    lua_getfield(L, 1, "driver"); /* 4 */
    if (!lua_isnil(L, 4)) {
        chunk_of_table(L, 4, &job->driver, "spec.driver");
        job->has_driver = 1;
    }
    luaL_argcheck(L, job->nchunks > 0 || job->has_driver, 1, "nothing to run");
    lua_getfield(L, 1, "input"); /* 5 */
    job->input_idx = lua_isnil(L, 5) ? 0 : 5;
    lua_getfield(L, 1, "limits"); /* 6 */
    int limits = lua_istable(L, 6) ? 6 : 0;
    job->memory = (size_t)limit_of(L, limits, "memory", 64LL << 20, 1 << 20, 1LL << 40);
    job->instructions = limit_of(L, limits, "instructions", 100000000, 1000, LLONG_MAX / 2);
    job->wall_ms = (int)limit_of(L, limits, "wall_ms", 2000, 1, 24 * 3600 * 1000);
    job->output = (size_t)limit_of(L, limits, "output", 16 << 20, 64, 1LL << 32);
    job->depth = (int)limit_of(L, limits, "depth", 100, 1, 1000);
    job->message = (size_t)limit_of(L, limits, "message", 300, 32, 4096);
    int base = lua_gettop(L);
    int again = 0;
    int n = evaluate(L, job, &again);
    /* Memory ran out in plain Lua code before any line was seen (no hook had fired yet, no library
     * call): run once more marking every line, which names the line that did it. */
    if (again) {
        job->line_hook = 1;
        int top = lua_gettop(L);
        int m = evaluate(L, job, &again);
        if (m == 3 && lua_isstring(L, -1) && strcmp(lua_tostring(L, -1), "memory") == 0) {
            lua_rotate(L, base + 1, m); /* keep the second answer, drop the first */
            lua_settop(L, base + m);
            return m;
        }
        lua_settop(L, top);
    }
    return n;
}

int cx_lua_open_sandbox(lua_State *L)
{
    static const luaL_Reg fns[] = {{"run", l_run}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
