/* Lua binding: the worker scheduler, `require("cx.core").sched` (docs/scheduler.md). Indexes are
 * 1-based on this side (tasks, backends, workers); strings cross as copies; times are numbers of
 * milliseconds (fractions are floored). Argument errors raise; conditions a driver can act on
 * return nil, message, class. */
#include "lua_bindings.h"
#include "scheduler.h"

#include <lauxlib.h>
#include <math.h>
#include <string.h>

#define SCHED_MT "cx.sched"

typedef struct lua_sched {
    cx_scheduler *s; /* NULL once closed */
} lua_sched;

static cx_scheduler *check_sched(lua_State *L)
{
    lua_sched *u = luaL_checkudata(L, 1, SCHED_MT);
    if (!u->s)
        luaL_error(L, "the scheduler is closed");
    return u->s;
}

static int fail(lua_State *L, const cx_scheduler_error *e)
{
    lua_pushnil(L);
    lua_pushstring(L, e->message);
    lua_pushstring(L, e->class_name);
    return 3;
}

/* ---- arguments ---- */

static int64_t ms_value(lua_State *L, int idx, const char *what)
{
    if (lua_isinteger(L, idx))
        return (int64_t)lua_tointeger(L, idx);
    int ok;
    lua_Number v = lua_tonumberx(L, idx, &ok);
    if (!ok || !isfinite(v) || fabs(v) > 9.0e15)
        luaL_error(L, "%s must be a number of milliseconds", what);
    return (int64_t)floor(v);
}

static int64_t check_ms(lua_State *L, int arg)
{
    luaL_checktype(L, arg, LUA_TNUMBER);
    return ms_value(L, arg, "now_ms");
}

/* A task index argument (1-based) -> 0-based, raising when out of range. */
static int check_task(lua_State *L, cx_scheduler *s, int arg)
{
    lua_Integer t = luaL_checkinteger(L, arg);
    luaL_argcheck(L, t >= 1 && (size_t)t <= cx_scheduler_task_count(s), arg, "no such task");
    return (int)(t - 1);
}

/* A backend given as its index (1-based) or its name -> 0-based. */
static int backend_value(lua_State *L, cx_scheduler *s, int idx, const char *what)
{
    size_t nb = cx_scheduler_backend_count(s);
    if (lua_type(L, idx) == LUA_TSTRING) {
        const char *name = lua_tostring(L, idx);
        for (size_t b = 0; b < nb; b++) {
            if (strcmp(cx_scheduler_backend_name(s, (int)b), name) == 0)
                return (int)b;
        }
        return luaL_error(L, "%s: unknown backend '%s'", what, name);
    }
    int ok;
    lua_Integer b = lua_tointegerx(L, idx, &ok);
    if (!ok || b < 1 || (size_t)b > nb)
        return luaL_error(L, "%s must be a backend index or name", what);
    return (int)(b - 1);
}

static int int_field(lua_State *L, int t, const char *key, int dflt, int min)
{
    lua_getfield(L, t, key);
    int v = dflt;
    if (!lua_isnil(L, -1)) {
        int ok;
        lua_Integer x = lua_tointegerx(L, -1, &ok);
        if (!ok || x < min || x > 1000000000)
            luaL_error(L, "%s must be an integer >= %d", key, min);
        v = (int)x;
    }
    lua_pop(L, 1);
    return v;
}

/* t[key] as an array of strings, in a userdata left on the stack (the strings stay anchored in
 * the caller's table). *n = 0 and no userdata when the field is absent. */
static const char **strings_field(lua_State *L, int t, const char *key, size_t *n)
{
    *n = 0;
    if (lua_getfield(L, t, key) == LUA_TNIL) {
        lua_pop(L, 1);
        lua_pushnil(L); /* keep the stack shape the same either way */
        return NULL;
    }
    if (!lua_istable(L, -1))
        luaL_error(L, "%s must be an array of strings", key);
    int arr = lua_gettop(L);
    lua_Integer len = luaL_len(L, arr);
    const char **out = lua_newuserdatauv(L, ((size_t)len + 1) * sizeof *out, 0);
    for (lua_Integer i = 1; i <= len; i++) {
        if (lua_rawgeti(L, arr, i) != LUA_TSTRING)
            luaL_error(L, "%s[%d] must be a string", key, (int)i);
        out[i - 1] = lua_tostring(L, -1);
        lua_pop(L, 1);
    }
    lua_remove(L, arr);
    *n = (size_t)len;
    return out;
}

/* ---- pushing results ---- */

static void set_int(lua_State *L, const char *key, lua_Integer v)
{
    lua_pushinteger(L, v);
    lua_setfield(L, -2, key);
}

static void set_str(lua_State *L, const char *key, const char *v)
{
    if (v) {
        lua_pushstring(L, v);
        lua_setfield(L, -2, key);
    }
}

/* A time field: absent when the C side says -1 (not yet). */
static void set_ms(lua_State *L, const char *key, int64_t v)
{
    if (v >= 0)
        set_int(L, key, (lua_Integer)v);
}

static void push_launch(lua_State *L, cx_scheduler *s, const cx_scheduler_launch *l)
{
    lua_createtable(L, 0, 12);
    set_int(L, "task", l->task + 1);
    set_str(L, "id", l->id);
    set_int(L, "backend", l->backend + 1);
    set_str(L, "backend_name", cx_scheduler_backend_name(s, l->backend));
    if (l->moved_from >= 0)
        set_int(L, "moved_from", l->moved_from + 1);
    set_int(L, "worker", l->worker);
    set_int(L, "attempt", l->attempt);
    set_int(L, "queue_ms", l->queue_ms);
    set_int(L, "ready_ms", l->ready_ms);
    set_int(L, "entered_ms", l->entered_ms);
    set_str(L, "retry_reason", l->retry_reason);
    set_ms(L, "retry_backoff_ms", l->retry_backoff_ms);
}

/* ---- methods ---- */

/* s:backend(name, cap) -> index */
static int l_backend(lua_State *L)
{
    cx_scheduler *s = check_sched(L);
    const char *name = luaL_checkstring(L, 2);
    lua_Integer cap = luaL_checkinteger(L, 3);
    luaL_argcheck(L, cap >= 1 && cap <= 1000000000, 3, "cap must be >= 1");
    cx_scheduler_error e;
    int b = cx_scheduler_add_backend(s, name, (int)cap, &e);
    if (b < 0)
        return fail(L, &e);
    lua_pushinteger(L, b + 1);
    return 1;
}

/* s:task{id=, order=, backend=, alternatives=, max_retries=, deps=, locks=} -> index */
static int l_task(lua_State *L)
{
    cx_scheduler *s = check_sched(L);
    luaL_checktype(L, 2, LUA_TTABLE);
    lua_settop(L, 2);
    cx_scheduler_task_spec sp = {0};
    if (lua_getfield(L, 2, "id") != LUA_TSTRING)
        return luaL_error(L, "id must be a string");
    sp.id = lua_tostring(L, -1); /* anchored in the spec table */
    lua_pop(L, 1);
    lua_getfield(L, 2, "order");
    if (lua_isnil(L, -1)) {
        sp.order = (int64_t)cx_scheduler_task_count(s) + 1;
    } else {
        int ok;
        sp.order = (int64_t)lua_tointegerx(L, -1, &ok);
        if (!ok)
            return luaL_error(L, "order must be an integer");
    }
    lua_pop(L, 1);
    lua_getfield(L, 2, "backend");
    if (lua_isnil(L, -1))
        return luaL_error(L, "backend is required");
    sp.backend = backend_value(L, s, -1, "backend");
    lua_pop(L, 1);
    sp.max_retries = int_field(L, 2, "max_retries", 0, 0);
    sp.deps = strings_field(L, 2, "deps", &sp.n_deps);
    sp.locks = strings_field(L, 2, "locks", &sp.n_locks);
    int *alts = NULL;
    if (lua_getfield(L, 2, "alternatives") != LUA_TNIL) {
        if (!lua_istable(L, -1))
            return luaL_error(L, "alternatives must be an array of backends");
        int arr = lua_gettop(L);
        lua_Integer n = luaL_len(L, arr);
        alts = lua_newuserdatauv(L, ((size_t)n + 1) * sizeof *alts, 0);
        for (lua_Integer i = 1; i <= n; i++) {
            lua_rawgeti(L, arr, i);
            alts[i - 1] = backend_value(L, s, -1, "alternatives");
            lua_pop(L, 1);
        }
        sp.alternatives = alts;
        sp.n_alternatives = (size_t)n;
    }
    cx_scheduler_error e;
    int t = cx_scheduler_add_task(s, &sp, &e);
    if (t < 0)
        return fail(L, &e);
    lua_pushinteger(L, t + 1);
    return 1;
}

/* s:satisfied(id): a dependency on id (completed before this run) is met. */
static int l_satisfied(lua_State *L)
{
    cx_scheduler *s = check_sched(L);
    cx_scheduler_error e;
    if (cx_scheduler_add_satisfied(s, luaL_checkstring(L, 2), &e) != 0)
        return fail(L, &e);
    lua_pushboolean(L, 1);
    return 1;
}

/* s:seal([now_ms]) -> {{task=, id=, reason=, unresolved={ids}, cycle={a, b, a}|nil}, ...} */
static int l_seal(lua_State *L)
{
    cx_scheduler *s = check_sched(L);
    int64_t now = lua_isnoneornil(L, 2) ? 0 : check_ms(L, 2);
    cx_scheduler_error e;
    int n = cx_scheduler_seal(s, now, &e);
    if (n < 0)
        return fail(L, &e);
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        const cx_scheduler_blocked *b = cx_scheduler_blocked_at(s, (size_t)i);
        lua_createtable(L, 0, 5);
        set_int(L, "task", b->task + 1);
        set_str(L, "id", b->id);
        set_str(L, "reason", b->reason);
        lua_createtable(L, (int)b->n_unresolved, 0);
        for (size_t k = 0; k < b->n_unresolved; k++) {
            lua_pushstring(L, b->unresolved[k]);
            lua_rawseti(L, -2, (lua_Integer)k + 1);
        }
        lua_setfield(L, -2, "unresolved");
        if (b->n_cycle) { /* ends where it starts, as the planner's */
            lua_createtable(L, (int)b->n_cycle + 1, 0);
            for (size_t k = 0; k <= b->n_cycle; k++) {
                lua_pushstring(L, cx_scheduler_task_id(s, b->cycle[k % b->n_cycle]));
                lua_rawseti(L, -2, (lua_Integer)k + 1);
            }
            lua_setfield(L, -2, "cycle");
        }
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

/* s:next(now_ms) -> launch table, or nil when nothing may start */
static int l_next(lua_State *L)
{
    cx_scheduler *s = check_sched(L);
    int64_t now = check_ms(L, 2);
    cx_scheduler_launch l;
    cx_scheduler_error e;
    int rc = cx_scheduler_next(s, now, &l, &e);
    if (rc < 0)
        return fail(L, &e);
    if (rc == 0) {
        lua_pushnil(L);
        return 1;
    }
    push_launch(L, s, &l);
    return 1;
}

/* s:finish(task, outcome, now_ms, {class=, park_until_ms=}) ->
 *   {state=, backoff_ms=, retry_at_ms=, skipped={{task=, id=, ancestor=, ancestor_id=}},
 *    moved={{task=, id=, from=, to=}}} */
static int l_finish(lua_State *L)
{
    cx_scheduler *s = check_sched(L);
    int t = check_task(L, s, 2);
    const char *name = luaL_checkstring(L, 3);
    cx_scheduler_outcome outcome;
    if (cx_scheduler_outcome_from_name(name, &outcome) != 0)
        return luaL_argerror(
            L, 3,
            lua_pushfstring(L, "unknown outcome '%s' (ok, retry, failed, interrupted, park)",
                            name));
    int64_t now = check_ms(L, 4);
    cx_scheduler_finish_opts opts = {NULL, 0};
    int has_park = 0;
    if (!lua_isnoneornil(L, 5)) {
        luaL_checktype(L, 5, LUA_TTABLE);
        lua_getfield(L, 5, "class");
        if (!lua_isnil(L, -1) && lua_type(L, -1) != LUA_TSTRING)
            return luaL_error(L, "class must be a string");
        opts.class_name = lua_tostring(L, -1); /* anchored in the options table */
        lua_pop(L, 1);
        lua_getfield(L, 5, "park_until_ms");
        if ((has_park = !lua_isnil(L, -1)))
            opts.park_until_ms = ms_value(L, -1, "park_until_ms");
        lua_pop(L, 1);
    }
    if (outcome == CX_SCHEDULER_PARK && !has_park)
        return luaL_error(L, "outcome 'park' needs park_until_ms");
    cx_scheduler_finish_result r;
    cx_scheduler_error e;
    if (cx_scheduler_finish(s, t, outcome, now, &opts, &r, &e) != 0)
        return fail(L, &e);
    lua_createtable(L, 0, 5);
    set_str(L, "state", cx_scheduler_state_name(r.state));
    set_int(L, "backoff_ms", r.backoff_ms);
    if (r.state == CX_SCHEDULER_BACKOFF)
        set_int(L, "retry_at_ms", r.retry_at_ms);
    lua_createtable(L, (int)r.n_skipped, 0);
    for (size_t i = 0; i < r.n_skipped; i++) {
        lua_createtable(L, 0, 4);
        set_int(L, "task", r.skipped[i].task + 1);
        set_str(L, "id", cx_scheduler_task_id(s, r.skipped[i].task));
        set_int(L, "ancestor", r.skipped[i].ancestor + 1);
        set_str(L, "ancestor_id", cx_scheduler_task_id(s, r.skipped[i].ancestor));
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "skipped");
    lua_createtable(L, (int)r.n_moved, 0);
    for (size_t i = 0; i < r.n_moved; i++) {
        lua_createtable(L, 0, 4);
        set_int(L, "task", r.moved[i].task + 1);
        set_str(L, "id", cx_scheduler_task_id(s, r.moved[i].task));
        set_int(L, "from", r.moved[i].from + 1);
        set_int(L, "to", r.moved[i].to + 1);
        lua_rawseti(L, -2, (lua_Integer)i + 1);
    }
    lua_setfield(L, -2, "moved");
    return 1;
}

/* s:wake_ms(now_ms) -> ms or nil */
static int l_wake_ms(lua_State *L)
{
    cx_scheduler *s = check_sched(L);
    int64_t w = cx_scheduler_wake_ms(s, check_ms(L, 2));
    if (w < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, w);
    return 1;
}

static int l_stop(lua_State *L)
{
    cx_scheduler_stop(check_sched(L));
    return 0;
}

static int l_stopped(lua_State *L)
{
    lua_pushboolean(L, cx_scheduler_stopped(check_sched(L)));
    return 1;
}

static int l_max_workers(lua_State *L)
{
    lua_pushinteger(L, cx_scheduler_max_workers(check_sched(L)));
    return 1;
}

static int l_remaining(lua_State *L)
{
    lua_pushinteger(L, (lua_Integer)cx_scheduler_remaining(check_sched(L)));
    return 1;
}

/* s:stats() -> per backend {index=, name=, cap=, waiting=, queued=, running=, done=, failed=,
 * skipped=, blocked=, parked_until=} */
static int l_stats(lua_State *L)
{
    cx_scheduler *s = check_sched(L);
    size_t nb = cx_scheduler_backend_count(s);
    lua_createtable(L, (int)nb, 0);
    for (size_t b = 0; b < nb; b++) {
        cx_scheduler_backend_stats st;
        cx_scheduler_backend_stats_at(s, (int)b, &st);
        lua_createtable(L, 0, 11);
        set_int(L, "index", (lua_Integer)b + 1);
        set_str(L, "name", st.name);
        set_int(L, "cap", st.cap);
        set_int(L, "waiting", (lua_Integer)st.waiting);
        set_int(L, "queued", (lua_Integer)st.queued);
        set_int(L, "running", (lua_Integer)st.running);
        set_int(L, "done", (lua_Integer)st.done);
        set_int(L, "failed", (lua_Integer)st.failed);
        set_int(L, "skipped", (lua_Integer)st.skipped);
        set_int(L, "blocked", (lua_Integer)st.blocked);
        if (st.parked_until_ms)
            set_int(L, "parked_until", st.parked_until_ms);
        lua_rawseti(L, -2, (lua_Integer)b + 1);
    }
    return 1;
}

/* s:counts() -> {waiting=, ready=, backoff=, running=, complete=, failed=, skipped=, blocked=} */
static int l_counts(lua_State *L)
{
    size_t counts[CX_SCHEDULER_NSTATES];
    cx_scheduler_counts(check_sched(L), counts);
    lua_createtable(L, 0, CX_SCHEDULER_NSTATES);
    for (int i = 0; i < CX_SCHEDULER_NSTATES; i++)
        set_int(L, cx_scheduler_state_name((cx_scheduler_state)i), (lua_Integer)counts[i]);
    return 1;
}

/* s:task_info(task) -> {id=, state=, backend=, primary_backend=, order=, attempts=, max_retries=,
 * worker=, last_class=, ancestor=, ancestor_id=, blocked_reason=, entered_ms=, ready_ms=,
 * started_ms=, finished_ms=, retry_at_ms=, last_backoff_ms=, ticket=} (absent: not applicable) */
static int l_task_info(lua_State *L)
{
    cx_scheduler *s = check_sched(L);
    int t = check_task(L, s, 2);
    cx_scheduler_task_info i;
    cx_scheduler_task_info_at(s, t, &i);
    lua_createtable(L, 0, 20);
    set_int(L, "task", t + 1);
    set_str(L, "id", i.id);
    set_str(L, "state", cx_scheduler_state_name(i.state));
    set_int(L, "backend", i.backend + 1);
    set_int(L, "primary_backend", i.primary_backend + 1);
    set_int(L, "order", i.order);
    set_int(L, "attempts", i.attempts);
    set_int(L, "max_retries", i.max_retries);
    if (i.worker)
        set_int(L, "worker", i.worker);
    set_str(L, "last_class", i.last_class);
    if (i.ancestor >= 0) {
        set_int(L, "ancestor", i.ancestor + 1);
        set_str(L, "ancestor_id", cx_scheduler_task_id(s, i.ancestor));
    }
    set_str(L, "blocked_reason", i.blocked_reason);
    set_ms(L, "entered_ms", i.entered_ms);
    set_ms(L, "ready_ms", i.ready_ms);
    set_ms(L, "started_ms", i.started_ms);
    set_ms(L, "finished_ms", i.finished_ms);
    set_ms(L, "retry_at_ms", i.retry_at_ms);
    set_ms(L, "last_backoff_ms", i.last_backoff_ms);
    set_ms(L, "ticket", i.ticket);
    return 1;
}

/* s:find(id) -> index or nil */
static int l_find(lua_State *L)
{
    int t = cx_scheduler_find(check_sched(L), luaL_checkstring(L, 2));
    if (t < 0)
        lua_pushnil(L);
    else
        lua_pushinteger(L, t + 1);
    return 1;
}

/* s:backoff_ms(id, attempt) -> the backoff after a transient failure of that attempt */
static int l_backoff_ms(lua_State *L)
{
    cx_scheduler *s = check_sched(L);
    const char *id = luaL_checkstring(L, 2);
    lua_Integer a = luaL_checkinteger(L, 3);
    luaL_argcheck(L, a >= 1 && a <= 1000000, 3, "attempt must be >= 1");
    lua_pushinteger(L, cx_scheduler_backoff_ms(s, id, (int)a));
    return 1;
}

static int l_close(lua_State *L)
{
    lua_sched *u = luaL_checkudata(L, 1, SCHED_MT);
    cx_scheduler_free(u->s);
    u->s = NULL;
    return 0;
}

/* sched.new{max_workers=, fairness="round_robin"|"least_loaded", seed=, jitter_percent=} */
static int l_new(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    cx_scheduler_config cfg = {0};
    cfg.max_workers = int_field(L, 1, "max_workers", 1, 1);
    lua_getfield(L, 1, "fairness");
    const char *f = lua_isnil(L, -1) ? "round_robin" : lua_tostring(L, -1);
    if (!f || (strcmp(f, "round_robin") != 0 && strcmp(f, "least_loaded") != 0))
        return luaL_error(L, "fairness must be \"round_robin\" or \"least_loaded\"");
    cfg.fairness = f[0] == 'r' ? CX_SCHEDULER_ROUND_ROBIN : CX_SCHEDULER_LEAST_LOADED;
    lua_pop(L, 1);
    lua_getfield(L, 1, "seed");
    if (!lua_isnil(L, -1)) {
        int ok;
        cfg.seed = (uint64_t)lua_tointegerx(L, -1, &ok);
        if (!ok)
            return luaL_error(L, "seed must be an integer");
    }
    lua_pop(L, 1);
    cfg.jitter_percent = int_field(L, 1, "jitter_percent", 10, 0);
    if (cfg.jitter_percent > CX_SCHEDULER_MAX_JITTER_PERCENT)
        return luaL_error(L, "jitter_percent must be within 0..%d",
                          CX_SCHEDULER_MAX_JITTER_PERCENT);
    lua_sched *u = lua_newuserdatauv(L, sizeof *u, 0);
    u->s = NULL;
    luaL_setmetatable(L, SCHED_MT);
    cx_scheduler_error e;
    u->s = cx_scheduler_new(&cfg, &e);
    if (!u->s)
        return luaL_error(L, "%s", e.message);
    return 1;
}

int cx_lua_open_sched(lua_State *L)
{
    static const luaL_Reg methods[] = {{"backend", l_backend},
                                       {"task", l_task},
                                       {"satisfied", l_satisfied},
                                       {"seal", l_seal},
                                       {"next", l_next},
                                       {"finish", l_finish},
                                       {"wake_ms", l_wake_ms},
                                       {"stop", l_stop},
                                       {"stopped", l_stopped},
                                       {"remaining", l_remaining},
                                       {"stats", l_stats},
                                       {"counts", l_counts},
                                       {"task_info", l_task_info},
                                       {"find", l_find},
                                       {"backoff_ms", l_backoff_ms},
                                       {"max_workers", l_max_workers},
                                       {"close", l_close},
                                       {NULL, NULL}};
    if (luaL_newmetatable(L, SCHED_MT)) {
        luaL_newlib(L, methods);
        lua_setfield(L, -2, "__index");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__gc");
        lua_pushcfunction(L, l_close);
        lua_setfield(L, -2, "__close");
    }
    lua_pop(L, 1);
    static const luaL_Reg fns[] = {{"new", l_new}, {NULL, NULL}};
    luaL_newlib(L, fns);
    return 1;
}
