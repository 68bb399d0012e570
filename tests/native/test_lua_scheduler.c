/* The Lua face of the scheduler, `require("cx.core").sched`: shapes of the tables that cross,
 * 1-based indexes, argument errors raising, conditions as nil, message, class, and the object's
 * lifetime (__close, __gc, use after close). */
#include "lua_check.h"

/* Each chunk raises on the first expectation that does not hold. */
#define PRELUDE                                                                                    \
    "local sched = require('cx.core').sched\n"                                                     \
    "local function expect(c, what) if not c then error(what, 2) end end\n"                        \
    "local function raises(pat, f, ...)\n"                                                         \
    "  local ok, err = pcall(f, ...)\n"                                                            \
    "  expect(not ok, 'no error for ' .. pat)\n"                                                   \
    "  expect(tostring(err):find(pat, 1, true), 'error ' .. tostring(err) .. ' lacks ' .. pat)\n"  \
    "end\n"

static const char *const flow =
    PRELUDE "local s <close> = sched.new{max_workers = 4, fairness = 'least_loaded', seed = 1}\n"
            "local codex = s:backend('codex', 4)\n"
            "expect(codex == 1, 'backend index')\n"
            "local a = s:task{id = 'A', order = 1, backend = codex, locks = {'repo:write'}}\n"
            "local b = s:task{id = 'B', order = 2, backend = 'codex', deps = {'A'},\n"
            "                 locks = {'repo:read'}}\n"
            "local c = s:task{id = 'C', backend = codex, deps = {'A'}, locks = {'repo:read'}}\n"
            "expect(a == 1 and b == 2 and c == 3, 'task indexes')\n"
            "local blocked = s:seal(1000)\n"
            "expect(type(blocked) == 'table' and #blocked == 0, 'nothing blocked')\n"
            "local l = s:next(1000)\n"
            "expect(l.task == a and l.id == 'A' and l.backend == codex, 'launch A')\n"
            "expect(l.backend_name == 'codex' and l.worker == 1 and l.attempt == 1, 'fields')\n"
            "expect(l.queue_ms == 0 and l.entered_ms == 1000 and l.ready_ms == 1000, 'times')\n"
            "expect(l.retry_reason == nil and l.retry_backoff_ms == nil, 'no retry fields')\n"
            "expect(l.moved_from == nil, 'not moved')\n"
            "expect(s:next(1000) == nil, 'B and C wait for A')\n"
            "local info = s:task_info(b)\n"
            "expect(info.state == 'waiting' and info.id == 'B' and info.order == 2, 'info')\n"
            "expect(info.entered_ms == 1000 and info.started_ms == nil, 'info times')\n"
            "local r = s:finish(a, 'ok', 1500.7)\n"
            "expect(r.state == 'complete' and #r.skipped == 0 and #r.moved == 0, 'finish')\n"
            "local l2, l3 = s:next(1500), s:next(1500)\n"
            "expect(l2.id == 'B' and l3.id == 'C', 'readers together')\n"
            "expect(l2.ready_ms == 1500 and l2.queue_ms == 0, 'float time floored')\n"
            "expect(l2.worker == 1 and l3.worker == 2, 'lowest free slots')\n"
            "local st = s:stats()\n"
            "expect(#st == 1 and st[1].name == 'codex' and st[1].cap == 4, 'stats')\n"
            "expect(st[1].running == 2 and st[1].done == 1 and st[1].queued == 0, 'stats counts')\n"
            "expect(st[1].parked_until == nil, 'not parked')\n"
            "local n = s:counts()\n"
            "expect(n.running == 2 and n.complete == 1 and n.blocked == 0, 'counts')\n"
            "expect(s:remaining() == 2 and s:find('C') == c and s:find('Z') == nil, 'find')\n"
            "s:finish(b, 'ok', 1600) s:finish(c, 'ok', 1700)\n"
            "expect(s:remaining() == 0 and s:wake_ms(1700) == nil, 'done')\n";

static const char *const failures =
    PRELUDE "local s = sched.new{max_workers = 2, jitter_percent = 0}\n"
            "local b = s:backend('codex', 2)\n"
            "local a = s:task{id = 'a', backend = b, max_retries = 1}\n"
            "local d = s:task{id = 'd', backend = b, deps = {'a'}}\n"
            "local e = s:task{id = 'e', backend = b, deps = {'d'}}\n"
            "s:task{id = 'x', backend = b, deps = {'y'}}\n"
            "s:task{id = 'y', backend = b, deps = {'x'}}\n"
            "s:task{id = 'u', backend = b, deps = {'ghost', 'gone'}}\n"
            "s:task{id = 'k', backend = b, deps = {'before'}}\n"
            "expect(s:satisfied('before') == true, 'satisfied')\n"
            "local blocked = s:seal()\n"
            "expect(#blocked == 3, 'blocked count ' .. #blocked)\n"
            "expect(blocked[1].id == 'x' and blocked[1].task == 4, 'blocked x')\n"
            "expect(blocked[1].reason == 'unresolved dependencies: y; cycle: x -> y -> x', "
            "blocked[1].reason)\n"
            "expect(table.concat(blocked[1].cycle, ',') == 'x,y,x', 'cycle ids')\n"
            "expect(blocked[3].reason == 'unresolved dependencies: ghost, gone', 'unknown')\n"
            "expect(blocked[3].unresolved[2] == 'gone' and blocked[3].cycle == nil, 'lists')\n"
            "local l = s:next(0)\n"
            "expect(l.id == 'a', 'a first') expect(s:next(0).id == 'k', 'k: dep satisfied')\n"
            "local r = s:finish(a, 'retry', 100, {class = 'timeout'})\n"
            "expect(r.state == 'backoff' and r.backoff_ms == 250 and r.retry_at_ms == 350, 'bo')\n"
            "expect(s:wake_ms(100) == 350 and s:next(349) == nil, 'waits the backoff')\n"
            "l = s:next(360)\n"
            "expect(l.attempt == 2 and l.retry_reason == 'timeout', 'retry reason')\n"
            "expect(l.retry_backoff_ms == 250 and l.queue_ms == 10, 'retry fields')\n"
            "r = s:finish(a, 'failed', 400, {class = 'schema'})\n"
            "expect(r.state == 'failed' and #r.skipped == 2, 'skipped')\n"
            "expect(r.skipped[1].id == 'd' and r.skipped[1].task == d, 'skip d')\n"
            "expect(r.skipped[1].ancestor == a and r.skipped[1].ancestor_id == 'a', 'ancestor')\n"
            "expect(r.skipped[2].id == 'e' and r.skipped[2].ancestor_id == 'a', 'skip e')\n"
            "local info = s:task_info(e)\n"
            "expect(info.state == 'skipped' and info.ancestor_id == 'a', 'skip info')\n"
            "info = s:task_info(a)\n"
            "expect(info.last_class == 'schema' and info.attempts == 2, 'a info')\n"
            "expect(info.last_backoff_ms == 250 and info.finished_ms == 400, 'a times')\n"
            "expect(s:task_info(4).blocked_reason:find('cycle'), 'blocked reason')\n"
            "expect(s:backoff_ms('a', 1) == 250 and s:backoff_ms('a', 9) == 2000, 'backoff')\n"
            "s:close() s:close()\n";

static const char *const parking =
    PRELUDE "local s = sched.new{max_workers = 3}\n"
            "local codex, ollama = s:backend('codex', 1), s:backend('ollama', 2)\n"
            "local a = s:task{id = 'a', backend = codex}\n"
            "local m = s:task{id = 'm', backend = codex, alternatives = {'ollama'}}\n"
            "local w = s:task{id = 'w', backend = codex}\n"
            "s:seal(0)\n"
            "expect(s:next(0).id == 'a' and s:next(0) == nil, 'cap 1')\n"
            "local r = s:finish(a, 'park', 10, {class = 'quota_exhausted', park_until_ms = 900})\n"
            "expect(r.state == 'ready' and #r.moved == 1, 'moved')\n"
            "expect(r.moved[1].id == 'm' and r.moved[1].task == m, 'moved task')\n"
            "expect(r.moved[1].from == codex and r.moved[1].to == ollama, 'moved from/to')\n"
            "local l = s:next(10)\n"
            "expect(l.id == 'm' and l.backend == ollama and l.moved_from == codex, 'alternative')\n"
            "expect(s:next(10) == nil and s:wake_ms(10) == 900, 'parked')\n"
            "expect(s:stats()[1].parked_until == 900, 'stats parked')\n"
            "expect(s:task_info(a).attempts == 0, 'park costs no attempt')\n"
            "l = s:next(905)\n"
            "expect(l.id == 'a' and l.queue_ms == 5 and l.ready_ms == 900, 'after the park')\n"
            "s:stop()\n"
            "expect(s:stopped() and s:next(905) == nil, 'stopped')\n"
            "r = s:finish(a, 'interrupted', 910)\n"
            "expect(r.state == 'ready' and s:task_info(a).attempts == 0, 'interrupted')\n"
            "expect(s:remaining() == 1, 'm still runs')\n"
            "s:finish(m, 'ok', 920)\n"
            "expect(s:remaining() == 0 and s:task_info(w).state == 'ready', 'w not run')\n";

static const char *const conditions =
    PRELUDE "local s = sched.new{max_workers = 1}\n"
            "local b = s:backend('codex', 1)\n"
            "local v, msg, cls = s:backend('codex', 2)\n"
            "expect(v == nil and cls == 'duplicate' and msg:find('already defined'), 'dup be')\n"
            "s:task{id = 't', backend = b}\n"
            "v, msg, cls = s:task{id = 't', backend = b}\n"
            "expect(v == nil and cls == 'duplicate' and msg == \"duplicate task id 't'\", msg)\n"
            "v, msg, cls = s:next(0)\n"
            "expect(v == nil and cls == 'invalid_state' and msg:find('seal'), 'not sealed')\n"
            "v, msg, cls = s:finish(1, 'ok', 0)\n"
            "expect(v == nil and cls == 'invalid_state', 'finish before seal')\n"
            "s:seal(0)\n"
            "v, msg, cls = s:task{id = 'late', backend = b}\n"
            "expect(v == nil and cls == 'invalid_state' and msg:find('sealed'), 'late task')\n"
            "v, msg, cls = s:seal(0)\n"
            "expect(v == nil and cls == 'invalid_state', 'sealed twice')\n"
            "v, msg, cls = s:finish(1, 'ok', 0)\n"
            "expect(v == nil and cls == 'invalid_state' and msg:find('not running'), msg)\n"
            "v, msg, cls = s:satisfied('x')\n"
            "expect(v == nil and cls == 'invalid_state', 'satisfied after seal')\n";

static const char *const type_errors =
    PRELUDE "raises('bad argument #1', sched.new)\n"
            "raises('max_workers must be an integer >= 1', sched.new, {max_workers = 0})\n"
            "raises('max_workers must be within', sched.new, {max_workers = 1e6})\n"
            "raises('fairness must be', sched.new, {fairness = 'fast'})\n"
            "raises('fairness must be', sched.new, {fairness = 3})\n"
            "raises('seed must be an integer', sched.new, {seed = 'x'})\n"
            "raises('jitter_percent must be within', sched.new, {jitter_percent = 60})\n"
            "local s = sched.new{max_workers = 2}\n"
            "raises('bad argument #1', s.backend, 'notsched', 'x', 1)\n"
            "raises('bad argument #2', s.backend, s, {}, 1)\n"
            "raises('cap must be >= 1', s.backend, s, 'x', 0)\n"
            "local b = s:backend('codex', 1)\n"
            "raises('bad argument #2', s.task, s, 'id')\n"
            "raises('id must be a string', s.task, s, {backend = b})\n"
            "raises('id must be a string', s.task, s, {id = 4, backend = b})\n"
            "raises('backend is required', s.task, s, {id = 'x'})\n"
            "raises('backend must be a backend index or name', s.task, s, {id = 'x', backend = "
            "9})\n"
            "raises(\"unknown backend 'gpt'\", s.task, s, {id = 'x', backend = 'gpt'})\n"
            "raises('order must be an integer', s.task, s, {id = 'x', backend = b, order = 1.5})\n"
            "raises('max_retries must be an integer >= 0', s.task, s,\n"
            "       {id = 'x', backend = b, max_retries = -1})\n"
            "raises('deps must be an array of strings', s.task, s, {id = 'x', backend = b, deps "
            "= 'a'})\n"
            "raises('deps[2] must be a string', s.task, s, {id = 'x', backend = b, deps = {'a', "
            "2}})\n"
            "raises('locks[1] must be a string', s.task, s, {id = 'x', backend = b, locks = "
            "{true}})\n"
            "raises('alternatives must be an array', s.task, s, {id = 'x', backend = b,\n"
            "       alternatives = 2})\n"
            "raises('alternatives must be a backend', s.task, s, {id = 'x', backend = b,\n"
            "       alternatives = {7}})\n"
            "expect(s:task{id = 'ok', backend = b} == 1, 'nothing added by the failures')\n"
            "s:seal()\n"
            "raises('bad argument #2', s.next, s, 'soon')\n"
            "raises('now_ms must be a number', s.next, s, 0/0)\n"
            "raises('no such task', s.finish, s, 2, 'ok', 0)\n"
            "raises('no such task', s.task_info, s, 0)\n"
            "local l = s:next(0)\n"
            "raises(\"unknown outcome 'fine'\", s.finish, s, l.task, 'fine', 0)\n"
            "raises(\"outcome 'park' needs park_until_ms\", s.finish, s, l.task, 'park', 0)\n"
            "raises(\"outcome 'park' needs park_until_ms\", s.finish, s, l.task, 'park', 0, {})\n"
            "raises('class must be a string', s.finish, s, l.task, 'retry', 0, {class = 1})\n"
            "raises('park_until_ms must be a number', s.finish, s, l.task, 'park', 0,\n"
            "       {park_until_ms = 'later'})\n"
            "raises('bad argument #5', s.finish, s, l.task, 'ok', 0, 'opts')\n"
            "raises('attempt must be >= 1', s.backoff_ms, s, 'x', 0)\n"
            "expect(s:finish(l.task, 'ok', 1).state == 'complete', 'still usable')\n"
            "s:close()\n"
            "raises('the scheduler is closed', s.next, s, 0)\n"
            "raises('the scheduler is closed', s.stats, s)\n";

/* Schedulers dropped without close are freed by __gc (valgrind/ASan see no leak). */
static const char *const lifetime =
    PRELUDE "for i = 1, 50 do\n"
            "  local s = sched.new{max_workers = 3}\n"
            "  local b = s:backend('b', 2)\n"
            "  for k = 1, 20 do s:task{id = 't' .. k, backend = b, locks = {'repo:read'},\n"
            "                          deps = k > 1 and {'t' .. (k - 1)} or nil} end\n"
            "  if i % 2 == 0 then s:seal(0) s:next(0) end\n"
            "end\n"
            "collectgarbage() collectgarbage()\n"
            "do local s <close> = sched.new{max_workers = 1} end\n";

int main(void)
{
    lua_State *L = lua_check_state();
    lua_check_run(L, "=flow", flow);
    lua_check_run(L, "=failures", failures);
    lua_check_run(L, "=parking", parking);
    lua_check_run(L, "=conditions", conditions);
    lua_check_run(L, "=type_errors", type_errors);
    lua_check_run(L, "=lifetime", lifetime);
    lua_close(L);
    return CHECK_DONE();
}
