/* The envelope binding as Lua sees it: result tables, streams, argument errors, garbage collection.
 */
#include "check.h"
#include "lua_bindings.h"

#include <lauxlib.h>
#include <lualib.h>

/* Runs a chunk with `env` bound to require("cx.core").envelope; it returns true or a message. */
static int run(lua_State *L, const char *code)
{
    char src[8192];
    snprintf(src, sizeof src, "local env = ...\n%s", code);
    if (luaL_loadstring(L, src) != LUA_OK) {
        fprintf(stderr, "load: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return 0;
    }
    lua_getglobal(L, "ENVELOPE");
    if (lua_pcall(L, 1, 1, 0) != LUA_OK) {
        fprintf(stderr, "error: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
        return 0;
    }
    int ok = lua_toboolean(L, -1) && !lua_isstring(L, -1);
    if (!ok)
        fprintf(stderr, "failed: %s\n", lua_isstring(L, -1) ? lua_tostring(L, -1) : "false");
    lua_pop(L, 1);
    return ok;
}

int main(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "cx.core", luaopen_cx_core, 0);
    lua_getfield(L, -1, "envelope");
    lua_setglobal(L, "ENVELOPE");
    lua_pop(L, 1);

    CHECK(run(
        L, "local r = env.parse('codex', '{\"type\":\"thread.started\",\"thread_id\":\"t\"}\\n"
           "{\"type\":\"error\",\"message\":\"Reconnecting... 1/5\"}\\n"
           "{\"type\":\"item.completed\",\"item\":{\"type\":\"agent_message\",\"text\":\"hi\"}}\\n"
           "{\"type\":\"turn.completed\",\"usage\":{\"input_tokens\":9,\"cached_input_tokens\":2,"
           "\"output_tokens\":1}}\\n')\n"
           "return r.ok == true and r.text == 'hi' and r.events == 4 and r.terminal == 'completed'"
           " and r.thread_id == 't' and r.usage.input_tokens == 9 and"
           " r.usage.cached_input_tokens == 2 and r.usage.output_tokens == 1 and"
           " r.usage.reasoning_output_tokens == nil and #r.notices == 1 and"
           " r.notices[1] == 'Reconnecting... 1/5' and r.items.agent_message == 1 and"
           " r.class == nil and r.reason == nil"));
    CHECK(run(L, "local r = env.parse('json', '42')\n"
                 "return r.ok == false and r.class == 'http_json_type_unsupported' and"
                 " r.reason:find('got a number', 1, true) and r.text == nil and r.usage == nil"));
    /* bodies may hold any byte: a NUL is a class, not a truncated string */
    CHECK(run(L, "local r = env.parse('text', 'a\\0b')\nreturn r.class == 'nul_byte'"));
    CHECK(run(L, "local r = env.parse('text', 'abcdef', {max_bytes = 3})\n"
                 "return r.class == 'body_too_large'"));
    CHECK(run(L, "local s = env.stream('ollama')\n"
                 "local ok1, t1 = s:feed('{\"response\":\"a\",\"done\":fa')\n"
                 "local ok2, t2 = s:feed('lse}\\n{\"response\":\"b\",\"done\":true,"
                 "\"prompt_eval_count\":3}\\n')\n"
                 "local r = s:finish()\n"
                 "return ok1 and not t1 and ok2 and t2 and r.ok and r.text == 'ab' and"
                 " r.usage.input_tokens == 3 and r.terminal == 'done'"));
    CHECK(run(L, "local s = env.stream('jsonl')\n"
                 "local ok = s:feed('nope\\n')\n"
                 "local r = s:finish()\n"
                 "return ok == false and r.class == 'jsonl_invalid'"));
    CHECK(run(L, "local ok, err = pcall(env.parse, 'xml', '')\n"
                 "return not ok and err:find(\"unknown envelope format 'xml'\", 1, true) ~= nil"));
    CHECK(run(L, "local ok = pcall(env.parse, 'text', 'x', {max_bytes = 0})\nreturn not ok"));
    CHECK(run(L, "local s = env.stream('text')\ns:close()\n"
                 "local ok, err = pcall(s.feed, s, 'x')\n"
                 "return not ok and err:find('closed', 1, true) ~= nil"));
    CHECK(run(L, "local f, c = env.formats(), env.classes()\n"
                 "local seen = {}\nfor _, n in ipairs(c) do seen[n] = true end\n"
                 "return #f == 6 and f[1] == 'text' and f[6] == 'ollama' and not seen.ok and"
                 " seen.provider_error and seen.quota_exhausted and seen.incomplete and #c == 17"));
    /* many abandoned streams are collected without leaks or crashes */
    CHECK(run(L, "for i = 1, 200 do local s = env.stream('openai'); s:feed('data: {') end\n"
                 "collectgarbage()\nreturn true"));
    lua_close(L);
    return CHECK_DONE();
}
