/* The Lua binding of the signal handling (`core.signals`) and the loop's wake-up through it: a
 * child sends us SIGTERM, loop:wait returns early, loop:cancel(id, grace) ends the child. */
#include "lua_check.h"

#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static const char *const script =
    "local core = require 'cx.core'\n"
    "local s = core.signals\n"
    "local pid = ...\n"
    "local function expect(cond, what) if not cond then error(what, 2) end end\n"
    "expect(s.installed() == false and s.pending() == nil and s.exit_code() == nil, 'fresh')\n"
    "s.defer()\n"
    "expect(s.deferring() == false, 'defer without install does nothing')\n"
    "expect(s.install() == true and s.install() == false and s.installed(), 'install once')\n"
    "s.defer()\n"
    "expect(s.deferring(), 'deferring')\n"
    "local loop = core.loop.new()\n"
    "local id = loop:spawn{argv = {'sh', '-c', 'kill -TERM ' .. pid .. '; exec sleep 300'},\n"
    "                      grace_ms = 60000}\n"
    "local got = loop:wait(120000)\n"
    "expect(#got == 0 and loop:pending() == 1, 'woken early with no completion')\n"
    "local signo, name = s.pending()\n"
    "expect(signo == 15 and name == 'SIGTERM' and s.exit_code() == 143, 'pending SIGTERM')\n"
    "expect(loop:cancel(id, 50) == true, 'cancel with a grace')\n"
    "local ok, err = pcall(loop.cancel, loop, id, -1)\n"
    "expect(not ok and err:find('grace_ms'), 'negative grace')\n"
    "local c\n"
    "repeat c = loop:wait(60000)[1] until c\n"
    "expect(c.id == id and c.class == 'cancelled' and c.signal == 15, 'cancelled child')\n"
    "loop:close()\n"
    "s.uninstall()\n"
    "expect(not s.installed() and s.pending() == nil and s.exit_code() == nil, 'uninstalled')\n";

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    lua_State *L = lua_check_state();
    char chunk[4096];
    snprintf(chunk, sizeof chunk, "return (function(...) %s end)(%d)", script, (int)getpid());
    lua_check_run(L, "signals", chunk);
    lua_close(L);
    return CHECK_DONE();
}
