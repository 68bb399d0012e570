/* luaopen_cx_core: assembles the native bindings into one module table, `require "cx.core"`. */
#include "lua_bindings.h"

#include <lauxlib.h>
#include <signal.h>

typedef struct binding {
    const char *name;
    lua_CFunction open;
} binding;

/* One binding per line, so each addition is its own line. */
/* clang-format off */
static const binding bindings[] = {
    {"json", cx_lua_open_json},
    {"digest", cx_lua_open_digest},
    {"fs", cx_lua_open_fs},
    {"filelock", cx_lua_open_filelock},
    {"logcheck", cx_lua_open_logcheck},
    {"runlog", cx_lua_open_runlog},
    {"loop", cx_lua_open_loop},
    {"envelope", cx_lua_open_envelope},
    {"env", cx_lua_open_env},
    {"git", cx_lua_open_git},
    {"atomicfile", cx_lua_open_atomicfile},
    {"sandbox", cx_lua_open_sandbox},
    {"signals", cx_lua_open_signals},
    {"sched", cx_lua_open_sched},
};
/* clang-format on */

int luaopen_cx_core(lua_State *L)
{
    /* Writes to a child that has exited must fail with EPIPE, not kill the process. */
    struct sigaction sa;
    if (sigaction(SIGPIPE, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL) {
        sa.sa_handler = SIG_IGN;
        sigaction(SIGPIPE, &sa, NULL);
    }
    lua_newtable(L);
    for (size_t i = 0; i < sizeof bindings / sizeof bindings[0]; i++) {
        bindings[i].open(L);
        lua_setfield(L, -2, bindings[i].name);
    }
    lua_pushstring(L, CX_VERSION);
    lua_setfield(L, -2, "version");
    return 1;
}
