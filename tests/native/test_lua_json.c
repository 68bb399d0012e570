/* The json and digest bindings and the cx.core assembly, seen from Lua: a lua_State loads cx.core
 * and runs small chunks that assert. */
#include "check.h"
#include "lua_bindings.h"

#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>

static void run(lua_State *L, const char *name, const char *chunk)
{
    int rc = luaL_loadbuffer(L, chunk, strlen(chunk), name) || lua_pcall(L, 0, 0, 0);
    check_count++;
    if (rc != 0) {
        check_failures++;
        fprintf(stderr, "%s: %s\n", name, lua_tostring(L, -1));
        lua_pop(L, 1);
    }
}

static const char *core_table =
    "local core = require('cx.core')\n"
    "assert(type(core.version) == 'string' and core.version:match('^%d+%.'))\n"
    "for _, k in ipairs({'json', 'digest'}) do\n"
    "  assert(type(core[k]) == 'table', k)\n"
    "end\n";

static const char *decode =
    "local j = require('cx.core').json\n"
    "local v = "
    "j.decode('{\"i\":3,\"f\":2.5,\"s\":\"x\\\\u00e9\",\"n\":null,\"t\":true,\"a\":[1,[]]}')\n"
    "assert(math.type(v.i) == 'integer' and v.i == 3)\n"
    "assert(math.type(v.f) == 'float' and v.f == 2.5)\n"
    "assert(v.s == 'x\\xc3\\xa9' and v.n == j.null and v.t == true)\n"
    "assert(j.is_array(v.a) and j.is_array(v.a[2]) and #v.a[2] == 0)\n"
    "assert(not j.is_array(v))\n"
    "assert(j.decode('\"top\"') == 'top' and j.decode('7') == 7 and j.decode('null') == j.null)\n"
    "local bad, msg = j.decode('{\"a\":')\n"
    "assert(bad == nil and msg:match('line 1 column'), msg)\n"
    "bad, msg = j.decode('\"\\xff\"')\n"
    "assert(bad == nil and msg, 'invalid UTF-8 must not decode')\n"
    "bad, msg = j.decode('')\n"
    "assert(bad == nil and msg)\n"
    "local deep = string.rep('[', 5000) .. string.rep(']', 5000)\n"
    "bad, msg = j.decode(deep)\n"
    "assert(bad == nil and msg, 'nesting is bounded')\n";

static const char *encode =
    "local j = require('cx.core').json\n"
    "assert(j.encode({b = 1, a = {2, 3}, c = j.null}) == '{\"a\":[2,3],\"b\":1,\"c\":null}')\n"
    "assert(j.encode({}) == '{}' and j.encode(j.array({})) == '[]' and j.encode(j.array()) == "
    "'[]')\n"
    "assert(j.encode({x = 1.0, y = 0.1, z = -0}) == '{\"x\":1.0,\"y\":0.1,\"z\":0}')\n"
    "assert(j.encode(1/0) == 'null' and j.encode(true) == 'true')\n"
    "assert(j.encode({[1] = 'a', [3] = 'c'}) == nil)\n"
    "local out, err = j.encode({[1] = 'a', [3] = 'c'})\n"
    "assert(out == nil and err:match('keys must be strings'), err)\n"
    "out, err = j.encode({f = print})\n"
    "assert(out == nil and err:match('function'), err)\n"
    "local t = {} t.t = t\n"
    "out, err = j.encode(t)\n"
    "assert(out == nil and err:match('too deep'), err)\n"
    "assert(j.encode({a = {}, b = {1}}, true) == '{\\n  \"a\": {},\\n  \"b\": [\\n    1\\n  "
    "]\\n}')\n"
    "local s = '{\"$id\":\"x\",\"A\":[],\"a\":{\"k\":[1.5,\"\\\\n\"]},\"b\":null}'\n"
    "assert(j.encode(j.decode(s)) == s, 'round trip')\n";

static const char *digest = "local d = require('cx.core').digest\n"
                            "assert(d.sha256_hex('abc') == "
                            "'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')\n"
                            "assert(#d.sha256_hex(string.rep('x', 100000)) == 64)\n"
                            "assert(not pcall(d.sha256_hex, {}))\n";

int main(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_PRELOAD_TABLE);
    lua_pushcfunction(L, luaopen_cx_core);
    lua_setfield(L, -2, "cx.core");
    lua_pop(L, 1);
    run(L, "core_table", core_table);
    run(L, "decode", decode);
    run(L, "encode", encode);
    run(L, "digest", digest);
    /* loading cx.core makes writes to a dead pipe fail with EPIPE instead of killing the process */
    struct sigaction sa;
    sigaction(SIGPIPE, NULL, &sa);
    CHECK(sa.sa_handler == SIG_IGN);
    lua_close(L);
    return CHECK_DONE();
}
