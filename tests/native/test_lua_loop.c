/* The Lua binding of the loop against the in-test HTTP server: the completion tables that
 * loop:http produces for success, statuses and timeouts. */
#include "check.h"
#include "fixture_http.h"
#include "lua_bindings.h"

#include <lauxlib.h>
#include <lualib.h>
#include <signal.h>

/* Each check returns nil when it holds, else a message; `url(path)` builds a fixture URL. */
static const char *const script =
    "local core = require 'cx.core'\n"
    "local port = ...\n"
    "local token = 'cx-lua-token-2718'\n"
    "local function url(p) return ('http://127.0.0.1:%d%s'):format(port, p) end\n"
    "local loop = core.loop.new()\n"
    "local ids = {\n"
    "  ok = loop:http{url = url('/ok/lua'), bearer = token, total_timeout_ms = 10000},\n"
    "  auth = loop:http{url = url('/auth'), bearer = token},\n"
    "  echo = loop:http{url = url('/echo'), method = 'POST', body = 'a\\0b',\n"
    "                   headers = {'Content-Type: application/octet-stream'}},\n"
    "  limited = loop:http{url = url('/status/429'), bearer = token},\n"
    "  reset = loop:http{url = url('/ratelimit')},\n"
    "  broken = loop:http{url = url('/status/502'), bearer = token},\n"
    "  missing = loop:http{url = url('/status/404'), bearer = token},\n"
    "  big = loop:http{url = url('/big/4096'), max_bytes = 100, bearer = token},\n"
    "  hang = loop:http{url = url('/hang'), first_byte_timeout_ms = 200, bearer = token},\n"
    "  stall = loop:http{url = url('/stall'), idle_timeout_ms = 200, bearer = token},\n"
    "}\n"
    "local done = {}\n"
    "while loop:pending() > 0 do\n"
    "  for _, c in ipairs(loop:wait(10000)) do done[c.id] = c end\n"
    "end\n"
    "loop:close()\n"
    "local c = {}\n"
    "for k, id in pairs(ids) do c[k] = done[id] end\n"
    "local function expect(cond, what) if not cond then error(what, 2) end end\n"
    "for k, v in pairs(c) do\n"
    "  expect(v.kind == 'http', k .. ': kind')\n"
    "  expect(not (v.error or ''):find(token, 1, true), k .. ': token in error')\n"
    "end\n"
    "expect(c.ok.ok and c.ok.status == 200 and c.ok.body == 'ok:lua', 'ok')\n"
    "expect(c.ok.content_type == 'text/plain', 'content_type')\n"
    "expect(c.ok.first_byte_ms >= 0 and c.ok.duration_ms >= c.ok.first_byte_ms, 'times')\n"
    "expect(c.ok.timed_out == false and c.ok.class == nil, 'ok class')\n"
    "expect(c.auth.body == 'Bearer ' .. token, 'bearer header')\n"
    "expect(c.echo.body == 'a\\0b', 'binary body round trip')\n"
    "expect(c.limited.class == 'rate_limited' and c.limited.status == 429, '429')\n"
    "local hd = c.reset.headers\n"
    "expect(hd['retry-after'] == '7', 'Retry-After, by its lower-case name')\n"
    "expect(hd['x-ratelimit-reset-requests'] == '1.5s', 'value trimmed')\n"
    "expect(hd['x-dup'] == 'a, b', 'a repeated header joined')\n"
    "expect(c.ok.headers['content-type'] == 'text/plain', 'headers of a 200')\n"
    "expect(c.hang.headers == nil, 'no headers when no response came')\n"
    "expect(c.broken.class == 'server_error' and c.broken.status == 502, '502')\n"
    "expect(c.missing.class == 'http_status' and not c.missing.ok, '404')\n"
    "expect(c.big.class == 'body_too_large', 'body cap')\n"
    "expect(c.hang.class == 'timeout' and c.hang.timeout_phase == 'first_byte', 'hang')\n"
    "expect(c.hang.timed_out and c.hang.first_byte_ms == nil, 'hang fields')\n"
    "expect(c.stall.timeout_phase == 'idle' and c.stall.body == '0123456789', 'stall')\n";

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    fixture_http *server = fixture_http_start();
    CHECK(server != NULL);
    if (!server)
        return CHECK_DONE();
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    luaL_requiref(L, "cx.core", luaopen_cx_core, 0);
    lua_pop(L, 1);
    int rc = luaL_loadbuffer(L, script, strlen(script), "=lua_loop_script");
    if (rc == LUA_OK) {
        lua_pushinteger(L, fixture_http_port(server));
        rc = lua_pcall(L, 1, 0, 0);
    }
    if (rc != LUA_OK)
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
    CHECK_INT(rc, LUA_OK);
    lua_close(L);
    fixture_http_stop(server);
    return CHECK_DONE();
}
